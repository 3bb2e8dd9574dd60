package org.argus.model.onnx;

import java.util.Arrays;
import java.util.Optional;

/**
 * The tensor element types Argus feeds to and reads from ONNX Runtime, with the Java array that
 * carries a batch of them on the JVM side:
 *
 * <table>
 *   <caption>element types</caption>
 *   <tr><th>ONNX type (TensorProto.DataType)</th><th>Java array</th><th>range checked on input</th></tr>
 *   <tr><td>float (1), float16 (10)</td><td>{@code float[]}</td><td>float16: ±65 504</td></tr>
 *   <tr><td>double (11)</td><td>{@code double[]}</td><td>–</td></tr>
 *   <tr><td>int8 (3), uint8 (2), int16 (5), int32 (6)</td><td>{@code int[]}</td><td>the type's range</td></tr>
 *   <tr><td>int64 (7)</td><td>{@code long[]}</td><td>–</td></tr>
 *   <tr><td>bool (9)</td><td>{@code boolean[]}</td><td>–</td></tr>
 * </table>
 *
 * <p>Codes from {@code onnx.proto} ({@code TensorProto.DataType}). Other ONNX types (strings,
 * uint16/32/64, bfloat16, complex, float8, sequences, maps) are not supported by Argus's kernel;
 * {@link #fromOnnx} returns empty for them so callers can refuse them with a message.
 */
public enum ElementType {
  /** IEEE 754 binary32. */
  FLOAT(1, "float", Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY),
  /** Unsigned 8-bit integer, 0…255. */
  UINT8(2, "uint8", 0, 255),
  /** Signed 8-bit integer, −128…127. */
  INT8(3, "int8", -128, 127),
  /** Signed 16-bit integer. */
  INT16(5, "int16", Short.MIN_VALUE, Short.MAX_VALUE),
  /** Signed 32-bit integer. */
  INT32(6, "int32", Integer.MIN_VALUE, Integer.MAX_VALUE),
  /** Signed 64-bit integer. */
  INT64(7, "int64", Long.MIN_VALUE, Long.MAX_VALUE),
  /** Boolean (one byte per element in ONNX Runtime). */
  BOOL(9, "bool", 0, 1),
  /** IEEE 754 binary16 (carried as float32 on the JVM, converted at the ONNX Runtime boundary). */
  FLOAT16(10, "float16", -65504, 65504),
  /** IEEE 754 binary64. */
  DOUBLE(11, "double", Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);

  private final int onnxCode;
  private final String onnxName;
  private final double min;
  private final double max;

  ElementType(int onnxCode, String onnxName, double min, double max) {
    this.onnxCode = onnxCode;
    this.onnxName = onnxName;
    this.min = min;
    this.max = max;
  }

  /** @return the {@code TensorProto.DataType} code */
  public int onnxCode() {
    return onnxCode;
  }

  /** @return the ONNX name, e.g. {@code int64} */
  public String onnxName() {
    return onnxName;
  }

  /** @return true for float, float16 and double */
  public boolean isFloating() {
    return this == FLOAT || this == FLOAT16 || this == DOUBLE;
  }

  /** @return true for the integer types (int8 … int64, uint8) */
  public boolean isInteger() {
    return this == UINT8 || this == INT8 || this == INT16 || this == INT32 || this == INT64;
  }

  /**
   * @param value a value about to be stored in a tensor of this type
   * @return whether it is within the type's range (integers must also be whole numbers; every
   *     finite or infinite value fits float, double and NaN fits every floating type)
   */
  public boolean holds(double value) {
    if (isFloating()) {
      return this != FLOAT16 || !Double.isFinite(value) || (value >= min && value <= max);
    }
    return value >= min && value <= max && value == Math.rint(value);
  }

  /**
   * @param n elements
   * @return a zeroed Java array carrying {@code n} elements of this type (see the class table)
   */
  public Object newArray(int n) {
    return switch (this) {
      case FLOAT, FLOAT16 -> new float[n];
      case DOUBLE -> new double[n];
      case UINT8, INT8, INT16, INT32 -> new int[n];
      case INT64 -> new long[n];
      case BOOL -> new boolean[n];
    };
  }

  /**
   * @param code a {@code TensorProto.DataType} code
   * @return the element type, or empty when Argus does not support it
   */
  public static Optional<ElementType> fromOnnx(int code) {
    return Arrays.stream(values()).filter(t -> t.onnxCode == code).findFirst();
  }

  /**
   * @param code a {@code TensorProto.DataType} code
   * @return its ONNX name ({@code string}, {@code uint16}, … for the unsupported ones), for messages
   */
  public static String onnxName(int code) {
    String[] names = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string",
        "bool", "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16"};
    return fromOnnx(code).map(ElementType::onnxName)
        .orElse(code >= 0 && code < names.length ? names[code] : "type " + code);
  }

  /** @return the supported types' ONNX names, for messages */
  public static String supported() {
    return String.join(", ", Arrays.stream(values()).map(ElementType::onnxName).toList());
  }
}
