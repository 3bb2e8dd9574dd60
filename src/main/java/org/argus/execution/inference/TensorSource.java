package org.argus.execution.inference;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.argus.model.onnx.ElementType;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.MaterializedFormat;
import org.argus.runtime.ImagePreprocessor;

/**
 * What feeds one graph input of an {@link InferenceStage}, from one column of the input rows, one
 * example per row: pixels preprocessed from an image, a materialized activation decoded, or the
 * numbers of a numeric column. A source either fills its example into the batch's float32 buffer
 * or returns why the row's value cannot be used (the <em>reason</em>, identical on every surface).
 */
public sealed interface TensorSource extends Serializable
    permits TensorSource.Images, TensorSource.Activations, TensorSource.Numbers {

  /** @return the input row's column this source reads */
  int column();

  /** @return values of one example ({@code product(shape)}) */
  int floatsPerExample();

  /** @return the graph input's element type; the batch buffer is {@link ElementType#newArray} of it */
  default ElementType elementType() {
    return ElementType.FLOAT;
  }

  /**
   * @param n examples in the batch
   * @return the batch tensor's shape, batch first (e.g. {@code [n, H, W, 3]})
   */
  long[] batchShape(int n);

  /**
   * Writes the row's example into {@code dst} from {@code offset}.
   *
   * @param row the input row
   * @param dst the batch buffer: the Java array of {@link #elementType()} ({@code float[]} for
   *     float32)
   * @param offset where this example starts
   * @return null on success, else the reason the row's value is invalid
   */
  String fill(Row row, Object dst, int offset);

  /**
   * Images: a Spark image struct (origin, height, width, nChannels, mode, data BGR) or encoded
   * image bytes (the {@code content} of the {@code binaryFile} source, decoded here), resized and
   * scaled by the preprocessing spec to one {@code [H, W, 3]} (NHWC) or {@code [3, H, W]} (NCHW)
   * float32 example. Reasons: {@link ImageCheck}.
   *
   * @param column the image column
   * @param encoded true for encoded bytes, false for the image struct
   * @param spec the model's preprocessing (size, channel order, scaling, layout)
   */
  record Images(int column, boolean encoded, PreprocessingSpec spec) implements TensorSource {
    @Override
    public int floatsPerExample() {
      return spec.floatsPerExample();
    }

    @Override
    public long[] batchShape(int n) {
      return spec.batchShape(n);
    }

    @Override
    public String fill(Row row, Object dst, int offset) {
      Object value = row.isNullAt(column) ? null : row.get(column);
      return ImageCheck.fill(value, encoded, new ImagePreprocessor(spec), (float[]) dst, offset);
    }
  }

  /**
   * A layer's activation materialized by an earlier stage ({@link MaterializedFormat}): {@code
   * product(shape)} float32 values per row, e.g. {@code [C, H, W]} channel-major.
   *
   * @param column the activation column
   * @param shape the activation's per-example shape, without the batch dimension
   * @param format how the column stores it
   * @param scale the quantization scale of {@link MaterializedFormat#BINARY_UINT8} codes (else
   *     ignored)
   * @param zeroPoint their zero point (else ignored)
   */
  record Activations(int column, long[] shape, MaterializedFormat format, float scale, int zeroPoint)
      implements TensorSource {
    /**
     * @throws IllegalArgumentException for {@link MaterializedFormat#BINARY_UINT8} without a scale
     *     {@code > 0} and a zero point in {@code 0..255}
     */
    public Activations {
      if (format == MaterializedFormat.BINARY_UINT8 && (!(scale > 0) || zeroPoint < 0 || zeroPoint > 255)) {
        throw new IllegalArgumentException("uint8 activations need their tensor's quantization scale > 0 and zero "
            + "point 0..255; found scale " + scale + ", zero point " + zeroPoint);
      }
    }

    /** Float32 activations ({@link MaterializedFormat#BINARY_FLOAT32} or {@code ARRAY_FLOAT}). */
    public Activations(int column, long[] shape, MaterializedFormat format) {
      this(column, shape, format, Float.NaN, 0);
    }

    @Override
    public int floatsPerExample() {
      return product(shape);
    }

    @Override
    public long[] batchShape(int n) {
      return withBatch(n, shape);
    }

    @Override
    public String fill(Row row, Object buffer, int offset) {
      if (row.isNullAt(column)) {
        return "null activation";
      }
      float[] dst = (float[]) buffer;
      int expected = floatsPerExample();
      int got;
      if (format == MaterializedFormat.BINARY_FLOAT32) {
        got = MaterializedFormat.decodeBinary((byte[]) row.get(column), dst, offset, expected);
      } else if (format == MaterializedFormat.BINARY_UINT8) {
        got = MaterializedFormat.decodeUint8((byte[]) row.get(column), dst, offset, expected, scale, zeroPoint);
      } else {
        try {
          got = Values.copy(row.get(column), dst, offset, expected, ElementType.FLOAT);
        } catch (Values.Invalid e) {
          return "activation " + e.getMessage();
        }
      }
      if (got != expected) {
        return "activation has " + (got < 0 ? "a length that is not a whole number of float32 values" : got
            + " values") + "; the stage expects " + Arrays.toString(shape) + " = " + expected;
      }
      return null;
    }
  }

  /**
   * A numeric or boolean column: {@code array<float|double|tinyint|smallint|int|bigint|boolean>},
   * an ml {@code Vector}, a scalar of those types, or the {@code float[]} an adjacent Argus stage
   * hands over without re-encoding; {@code product(shape)} values per row, converted to the graph
   * input's element type (integers and booleans are checked against the type's range, e.g. 300 is
   * not an int8).
   *
   * @param column the column
   * @param name the column's name (for reasons)
   * @param tensor the graph input it feeds (for reasons)
   * @param shape the per-example shape, without the batch dimension; with {@code wholeTensor} the
   *     whole tensor's shape, batch axis included
   * @param type the graph input's element type
   * @param wholeTensor true when one row holds the whole input tensor, batch axis included (one
   *     ONNX Runtime call per row)
   */
  record Numbers(int column, String name, String tensor, long[] shape, ElementType type, boolean wholeTensor)
      implements TensorSource {
    /**
     * A float32 input, one example per row.
     *
     * @param column the column
     * @param name the column's name
     * @param tensor the graph input
     * @param shape the per-example shape
     */
    public Numbers(int column, String name, String tensor, long[] shape) {
      this(column, name, tensor, shape, ElementType.FLOAT, false);
    }

    @Override
    public int floatsPerExample() {
      return product(shape);
    }

    @Override
    public ElementType elementType() {
      return type;
    }

    @Override
    public long[] batchShape(int n) {
      if (wholeTensor) {
        if (n != 1) {
          throw new IllegalArgumentException("input '" + tensor + "' takes one whole tensor per row; a batch of "
              + n + " rows cannot be stacked");
        }
        return shape.clone();
      }
      return withBatch(n, shape);
    }

    @Override
    public String fill(Row row, Object dst, int offset) {
      if (row.isNullAt(column)) {
        return "null in column '" + name + "'";
      }
      int n = floatsPerExample();
      int got;
      try {
        got = Values.copy(row.get(column), dst, offset, n, type);
      } catch (Values.Invalid e) {
        return "column '" + name + "' " + e.getMessage() + " for input '" + tensor + "'";
      }
      if (got != n) {
        return "column '" + name + "' has " + got + " values but input '" + tensor + "' has "
            + (wholeTensor ? "shape " : "per-example shape ") + Arrays.toString(shape) + " = " + n + " values";
      }
      return null;
    }
  }

  /** @return the number of values in a tensor of this shape (fits an int: one example) */
  private static int product(long[] shape) {
    return Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
  }

  /** @return {@code [n, shape...]} */
  private static long[] withBatch(int n, long[] shape) {
    long[] s = new long[shape.length + 1];
    s[0] = n;
    System.arraycopy(shape, 0, s, 1, shape.length);
    return s;
  }
}
