package org.argus.execution.inference;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
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

  /** @return float32 values of one example ({@code product(shape)}) */
  int floatsPerExample();

  /**
   * @param n examples in the batch
   * @return the batch tensor's shape, batch first (e.g. {@code [n, H, W, 3]})
   */
  long[] batchShape(int n);

  /**
   * Writes the row's example into {@code dst} from {@code offset}.
   *
   * @param row the input row
   * @param dst the batch buffer
   * @param offset where this example starts
   * @return null on success, else the reason the row's value is invalid
   */
  String fill(Row row, float[] dst, int offset);

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
    public String fill(Row row, float[] dst, int offset) {
      Object value = row.isNullAt(column) ? null : row.get(column);
      return ImageCheck.fill(value, encoded, new ImagePreprocessor(spec), dst, offset);
    }
  }

  /**
   * A layer's activation materialized by an earlier stage ({@link MaterializedFormat}): {@code
   * product(shape)} float32 values per row, e.g. {@code [C, H, W]} channel-major.
   *
   * @param column the activation column
   * @param shape the activation's per-example shape, without the batch dimension
   * @param format how the column stores it
   */
  record Activations(int column, long[] shape, MaterializedFormat format) implements TensorSource {
    @Override
    public int floatsPerExample() {
      return product(shape);
    }

    @Override
    public long[] batchShape(int n) {
      return withBatch(n, shape);
    }

    @Override
    public String fill(Row row, float[] dst, int offset) {
      if (row.isNullAt(column)) {
        return "null activation";
      }
      int expected = floatsPerExample();
      int got;
      if (format == MaterializedFormat.BINARY_FLOAT32) {
        got = MaterializedFormat.decodeBinary((byte[]) row.get(column), dst, offset, expected);
      } else {
        got = Numbers.copy(row.get(column), dst, offset, expected);
      }
      if (got != expected) {
        return "activation has " + (got < 0 ? "a length that is not a whole number of float32 values" : got
            + " values") + "; the stage expects " + Arrays.toString(shape) + " = " + expected;
      }
      return null;
    }
  }

  /**
   * A numeric column: {@code array<float>}, {@code array<double>}, an ml {@code Vector}, or the
   * {@code float[]} an adjacent Argus stage hands over without re-encoding; {@code product(shape)}
   * values per row, cast to float32.
   *
   * @param column the column
   * @param name the column's name (for reasons)
   * @param tensor the graph input it feeds (for reasons)
   * @param shape the per-example shape, without the batch dimension
   */
  record Numbers(int column, String name, String tensor, long[] shape) implements TensorSource {
    @Override
    public int floatsPerExample() {
      return product(shape);
    }

    @Override
    public long[] batchShape(int n) {
      return withBatch(n, shape);
    }

    @Override
    public String fill(Row row, float[] dst, int offset) {
      if (row.isNullAt(column)) {
        return "null in column '" + name + "'";
      }
      int n = floatsPerExample();
      int got = copy(row.get(column), dst, offset, n);
      if (got == -2) {
        return "column '" + name + "' holds a null element";
      }
      if (got != n) {
        return "column '" + name + "' has " + got + " values but input '" + tensor + "' has per-example shape "
            + Arrays.toString(shape) + " = " + n + " values";
      }
      return null;
    }

    /**
     * Copies a numeric cell into {@code dst} when it has {@code expected} values.
     *
     * @return the number of values in the cell (nothing copied when it differs from {@code
     *     expected}), or -2 when an element is null
     */
    static int copy(Object value, float[] dst, int off, int expected) {
      if (value instanceof float[] fa) {
        if (fa.length == expected) {
          System.arraycopy(fa, 0, dst, off, expected);
        }
        return fa.length;
      }
      if (value instanceof double[] da) {
        if (da.length == expected) {
          for (int q = 0; q < expected; q++) {
            dst[off + q] = (float) da[q];
          }
        }
        return da.length;
      }
      if (value instanceof Vector vec) {
        if (vec.size() == expected) {
          for (int q = 0; q < expected; q++) {
            dst[off + q] = (float) vec.apply(q);
          }
        }
        return vec.size();
      }
      List<?> list;
      if (value instanceof Object[] arr) {
        list = Arrays.asList(arr);
      } else if (value instanceof scala.collection.Seq<?> seq) {
        list = scala.jdk.javaapi.CollectionConverters.asJava(seq);
      } else if (value instanceof List<?> l) {
        list = l;
      } else {
        throw new IllegalArgumentException("not a numeric array or vector: " + value.getClass().getName());
      }
      if (list.size() == expected) {
        for (int q = 0; q < expected; q++) {
          Object o = list.get(q);
          if (o == null) {
            return -2;
          }
          dst[off + q] = ((Number) o).floatValue();
        }
      }
      return list.size();
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
