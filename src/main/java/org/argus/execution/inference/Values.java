package org.argus.execution.inference;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.argus.model.onnx.ElementType;

/**
 * Copies one cell of a numeric or boolean column into a batch buffer of an {@link ElementType},
 * checking each value against the type (range, whole numbers for integers).
 */
final class Values {
  private Values() {}

  /** A cell that cannot go into the tensor; the message completes "column 'x' …". */
  static final class Invalid extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Copies a cell into {@code dst} when it has {@code expected} values.
   *
   * @param value {@code float[]}, {@code double[]}, an ml {@code Vector}, a Spark array (Scala
   *     {@code Seq}, {@code Object[]} or {@code List}) of boxed numbers or booleans, or one boxed
   *     number or boolean (a one-value cell)
   * @param dst the batch buffer, the Java array of {@code type}
   * @param off where the example starts in {@code dst}
   * @param expected values the example must have
   * @param type the tensor's element type
   * @return the number of values in the cell (nothing copied when it differs from {@code expected})
   * @throws Invalid for a null element or a value the type cannot hold (message names the index and
   *     the value)
   * @throws IllegalArgumentException for a cell of another kind (a schema check missed it)
   */
  static int copy(Object value, Object dst, int off, int expected, ElementType type) {
    if (value instanceof float[] fa) {
      if (fa.length == expected) {
        if (type == ElementType.FLOAT) {
          System.arraycopy(fa, 0, dst, off, expected);
        } else {
          for (int q = 0; q < expected; q++) {
            putDouble(dst, type, off + q, fa[q], q);
          }
        }
      }
      return fa.length;
    }
    if (value instanceof double[] da) {
      if (da.length == expected) {
        for (int q = 0; q < expected; q++) {
          putDouble(dst, type, off + q, da[q], q);
        }
      }
      return da.length;
    }
    if (value instanceof Vector vec) {
      if (vec.size() == expected) {
        for (int q = 0; q < expected; q++) {
          putDouble(dst, type, off + q, vec.apply(q), q);
        }
      }
      return vec.size();
    }
    List<?> list = asList(value);
    if (list.size() == expected) {
      for (int q = 0; q < expected; q++) {
        Object o = list.get(q);
        if (o == null) {
          throw new Invalid("holds a null element at index " + q);
        }
        put(dst, type, off + q, o, q);
      }
    }
    return list.size();
  }

  private static List<?> asList(Object value) {
    if (value instanceof Number || value instanceof Boolean) {
      return List.of(value);
    }
    if (value instanceof Object[] arr) {
      return Arrays.asList(arr);
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      return scala.jdk.javaapi.CollectionConverters.asJava(seq);
    }
    if (value instanceof List<?> l) {
      return l;
    }
    throw new IllegalArgumentException("not a numeric or boolean array, vector or scalar: " + value.getClass().getName());
  }

  private static void put(Object dst, ElementType type, int i, Object o, int index) {
    if (o instanceof Boolean b) {
      putLong(dst, type, i, b ? 1 : 0, index);
    } else if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
      putLong(dst, type, i, ((Number) o).longValue(), index);
    } else {
      putDouble(dst, type, i, ((Number) o).doubleValue(), index);
    }
  }

  private static void putLong(Object dst, ElementType type, int i, long v, int index) {
    if (type == ElementType.INT64) {
      ((long[]) dst)[i] = v;
    } else {
      putDouble(dst, type, i, v, index);
    }
  }

  private static void putDouble(Object dst, ElementType type, int i, double v, int index) {
    if (!type.holds(v)) {
      throw new Invalid("has value " + v + " at index " + index + ", which " + type.onnxName() + " cannot hold ("
          + range(type) + ")");
    }
    switch (type) {
      case FLOAT, FLOAT16 -> ((float[]) dst)[i] = (float) v;
      case DOUBLE -> ((double[]) dst)[i] = v;
      case UINT8, INT8, INT16, INT32 -> ((int[]) dst)[i] = (int) v;
      case INT64 -> ((long[]) dst)[i] = (long) v;
      case BOOL -> ((boolean[]) dst)[i] = v != 0;
    }
  }

  private static String range(ElementType type) {
    return switch (type) {
      case UINT8 -> "whole numbers 0…255";
      case INT8 -> "whole numbers −128…127";
      case INT16 -> "whole numbers −32768…32767";
      case INT32 -> "whole numbers −2147483648…2147483647";
      case INT64 -> "whole numbers";
      case BOOL -> "0 or 1, false or true";
      case FLOAT16 -> "−65504…65504, ±inf, NaN";
      case FLOAT, DOUBLE -> "any";
    };
  }
}
