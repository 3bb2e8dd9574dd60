package org.argus.execution.inference;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.plan.MaterializedFormat;
import org.argus.plan.Pooling;
import org.argus.model.onnx.ElementType;
import org.argus.runtime.ModelSession;

/**
 * What one output column of an {@link InferenceStage} holds, made from one graph output per
 * example: features (pooled or flattened), the raw activation in a {@link MaterializedFormat},
 * class probabilities, or the top-k classes.
 */
public sealed interface Emit extends Serializable
    permits Emit.Features, Emit.Activation, Emit.Probabilities, Emit.TopK, Emit.Tensor {

  /** @return the column's Spark type */
  DataType type();

  /**
   * Makes the cell of example {@code i}.
   *
   * @param output the output tensor of the whole batch, batch first ({@code [N, …]}); float32 for
   *     every emit but {@link Tensor}
   * @param i the example
   * @return the cell value (a fresh object per row: Spark keeps references)
   */
  Object cell(ModelSession.Output output, int i);

  /**
   * Features: a 4-D {@code [N, C, H, W]} activation reduced by {@code pooling} ({@link
   * Pooling#apply}: {@code C·K·K} floats channel-major for {@code max:K}/{@code avg:K}, {@code C}
   * for global pooling, {@code C·H·W} for {@code none}); any other rank, or a null pooling,
   * flattened row-major.
   *
   * @param pooling reduction of 4-D outputs, or null to flatten every output
   * @param vector true for an ml {@code DenseVector} (float64), false for {@code array<float>}
   */
  record Features(Pooling pooling, boolean vector) implements Emit {
    @Override
    public DataType type() {
      return vector ? SQLDataTypes.VectorType() : DataTypes.createArrayType(DataTypes.FloatType, false);
    }

    @Override
    public Object cell(ModelSession.Output output, int i) {
      float[] values = output.values();
      long[] shape = output.shape();
      int per = perExample(shape);
      float[] f;
      if (pooling != null && shape.length == 4) {
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        f = new float[pooling.outputDim(c, h, w)];
        pooling.apply(values, i * per, c, h, w, f, 0);
      } else {
        f = Arrays.copyOfRange(values, i * per, (i + 1) * per);
      }
      if (!vector) {
        return f;
      }
      double[] d = new double[f.length];
      for (int k = 0; k < f.length; k++) {
        d[k] = f[k];
      }
      return Vectors.dense(d);
    }
  }

  /**
   * The activation itself, for the next stage of a staged plan.
   *
   * @param format how it is stored ({@code binary} little-endian float32, {@code array<float>}, or
   *     {@code binary} uint8 codes)
   * @param scale the tensor's quantization scale ({@link MaterializedFormat#BINARY_UINT8}; else
   *     ignored)
   * @param zeroPoint its zero point ({@link MaterializedFormat#BINARY_UINT8}; else ignored)
   */
  record Activation(MaterializedFormat format, float scale, int zeroPoint) implements Emit {
    /**
     * @throws IllegalArgumentException for {@link MaterializedFormat#BINARY_UINT8} without a scale
     *     {@code > 0} and a zero point in {@code 0..255}
     */
    public Activation {
      if (format == MaterializedFormat.BINARY_UINT8 && (!(scale > 0) || zeroPoint < 0 || zeroPoint > 255)) {
        throw new IllegalArgumentException("uint8 activations need their tensor's quantization scale > 0 and zero "
            + "point 0..255; found scale " + scale + ", zero point " + zeroPoint);
      }
    }

    /** A float32 activation ({@link MaterializedFormat#BINARY_FLOAT32} or {@code ARRAY_FLOAT}). */
    public Activation(MaterializedFormat format) {
      this(format, Float.NaN, 0);
    }

    @Override
    public DataType type() {
      return format.isBinary() ? DataTypes.BinaryType : DataTypes.createArrayType(DataTypes.FloatType, false);
    }

    @Override
    public Object cell(ModelSession.Output output, int i) {
      float[] values = output.values();
      int per = perExample(output.shape());
      return switch (format) {
        case BINARY_FLOAT32 -> MaterializedFormat.encodeBinary(values, i * per, per);
        case BINARY_UINT8 -> MaterializedFormat.encodeUint8(values, i * per, per, scale, zeroPoint);
        case ARRAY_FLOAT -> Arrays.copyOfRange(values, i * per, (i + 1) * per);
      };
    }
  }

  /** Class probabilities as {@code array<float>} (the head's output, flattened). */
  record Probabilities() implements Emit {
    @Override
    public DataType type() {
      return DataTypes.createArrayType(DataTypes.FloatType, false);
    }

    @Override
    public Object cell(ModelSession.Output output, int i) {
      int per = perExample(output.shape());
      return Arrays.copyOfRange(output.values(), i * per, (i + 1) * per);
    }
  }

  /**
   * The {@code k} most probable classes as {@code array<struct<label:string, probability:float>>},
   * most probable first (ties: lower class index first).
   *
   * @param k classes to keep (≥ 1)
   * @param labels class names in output order (a class without a name is its index)
   */
  record TopK(int k, List<String> labels) implements Emit {
    /** The struct of one entry. */
    public static final StructType ENTRY = new StructType()
        .add("label", DataTypes.StringType, false)
        .add("probability", DataTypes.FloatType, false);

    /** Copies the labels; checks k. */
    public TopK {
      if (k < 1) {
        throw new IllegalArgumentException("top-k needs k ≥ 1, found " + k);
      }
      labels = List.copyOf(labels);
    }

    @Override
    public DataType type() {
      return DataTypes.createArrayType(ENTRY, false);
    }

    @Override
    public Object cell(ModelSession.Output output, int i) {
      int per = perExample(output.shape());
      return top(Arrays.copyOfRange(output.values(), i * per, (i + 1) * per), k, labels);
    }

    /**
     * @param p probabilities of one example
     * @param k classes to keep
     * @param labels class names
     * @return the {@code k} most probable classes as (label, probability) rows
     */
    public static Row[] top(float[] p, int k, List<String> labels) {
      Integer[] idx = new Integer[p.length];
      for (int c = 0; c < p.length; c++) {
        idx[c] = c;
      }
      Arrays.sort(idx, (a, b) -> p[b] != p[a] ? Float.compare(p[b], p[a]) : Integer.compare(a, b));
      int n = Math.min(k, p.length);
      Row[] out = new Row[n];
      for (int j = 0; j < n; j++) {
        int c = idx[j];
        out[j] = RowFactory.create(c < labels.size() ? labels.get(c) : Integer.toString(c), p[c]);
      }
      return out;
    }
  }

  /**
   * One example of a graph output of any supported element type, flattened row-major: float and
   * float16 as {@code array<float>}, double as {@code array<double>} (either as an ml {@code
   * vector}, float64, with {@code vector}), int8 / uint8 / int16 / int32 as {@code array<int>},
   * int64 as {@code array<bigint>}, bool as {@code array<boolean>}.
   *
   * @param element the graph output's element type
   * @param vector true for an ml vector (floating types only)
   */
  record Tensor(ElementType element, boolean vector) implements Emit {
    /** @throws IllegalArgumentException for a vector of a non-floating type */
    public Tensor {
      if (vector && !element.isFloating()) {
        throw new IllegalArgumentException("an ml vector holds float64 values; a " + element.onnxName()
            + " output is emitted as an array");
      }
    }

    @Override
    public DataType type() {
      if (vector) {
        return SQLDataTypes.VectorType();
      }
      return DataTypes.createArrayType(sparkElement(element), false);
    }

    /**
     * @param t an element type
     * @return the Spark type an array cell of it holds: float (float, float16), double, int
     *     (int8, uint8, int16, int32), bigint (int64), boolean
     */
    public static DataType sparkElement(ElementType t) {
      return switch (t) {
        case FLOAT, FLOAT16 -> DataTypes.FloatType;
        case DOUBLE -> DataTypes.DoubleType;
        case UINT8, INT8, INT16, INT32 -> DataTypes.IntegerType;
        case INT64 -> DataTypes.LongType;
        case BOOL -> DataTypes.BooleanType;
      };
    }

    @Override
    public Object cell(ModelSession.Output output, int i) {
      if (output.type() != element) {
        throw new IllegalStateException("graph output '" + output.name() + "' has element type "
            + output.type().onnxName() + " but its column was declared for " + element.onnxName());
      }
      int per = perExample(output.shape());
      Object data = output.data();
      Object cell = java.lang.reflect.Array.newInstance(data.getClass().getComponentType(), per);
      System.arraycopy(data, i * per, cell, 0, per);
      if (!vector) {
        return cell;
      }
      double[] d = new double[per];
      for (int k = 0; k < per; k++) {
        d[k] = java.lang.reflect.Array.getDouble(cell, k);
      }
      return Vectors.dense(d);
    }
  }

  /** @return floats per example of a batch tensor shape */
  static int perExample(long[] shape) {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return Math.toIntExact(n);
  }
}
