package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The values of one ONNX {@code TensorProto} (an initializer, or a {@code .pb} file of ONNX's backend
 * test data), decoded into the Java array of its {@link ElementType}, row-major.
 *
 * <p>Decoding follows {@code onnx.proto}: {@code raw_data} is little-endian and packed; otherwise
 * float values are in {@code float_data}, double in {@code double_data}, int64 in {@code
 * int64_data}, and int32, int16, int8, uint8, bool and float16 (its 16 bits) in {@code int32_data}.
 *
 * @param name the tensor's name (may be empty)
 * @param type its element type
 * @param shape its dims (empty for a scalar)
 * @param values {@code product(shape)} values as {@link ElementType#newArray} of {@code type}
 */
public record TensorData(String name, ElementType type, long[] shape, Object values) {

  /**
   * @param t a tensor proto
   * @return its values
   * @throws IllegalArgumentException for an element type Argus does not support (names it), data
   *     stored externally, or a value count that does not match the dims
   */
  public static TensorData decode(TensorProto t) {
    ElementType type = ElementType.fromOnnx(t.getDataType()).orElseThrow(() -> new IllegalArgumentException(
        "tensor '" + t.getName() + "' has element type " + ElementType.onnxName(t.getDataType()) + "; supported: "
            + ElementType.supported()));
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new IllegalArgumentException("tensor '" + t.getName() + "' stores its data externally; only embedded "
          + "tensors are decoded here");
    }
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long d : shape) {
      if (d < 0 || (d > 0 && count > Integer.MAX_VALUE / d)) {
        throw new IllegalArgumentException("tensor '" + t.getName() + "' has dims " + Arrays.toString(shape)
            + "; each must be ≥ 0 and their product at most " + Integer.MAX_VALUE);
      }
      count *= d;
    }
    int n = (int) count;
    Object values = type.newArray(n);
    int got = t.hasRawData() ? raw(t, type, values, n) : typed(t, type, values, n);
    if (got != n) {
      throw new IllegalArgumentException("tensor '" + t.getName() + "' has " + got + " values for dims "
          + Arrays.toString(shape) + " = " + n);
    }
    return new TensorData(t.getName(), type, shape, values);
  }

  /**
   * @param file a serialized {@code TensorProto} (e.g. {@code test_data_set_0/input_0.pb})
   * @return its values
   * @throws IOException when the file cannot be read or is not a tensor proto
   * @throws IllegalArgumentException as {@link #decode}
   */
  public static TensorData read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return decode(TensorProto.parseFrom(in));
    }
  }

  private static int raw(TensorProto t, ElementType type, Object dst, int n) {
    ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int width = switch (type) {
      case UINT8, INT8, BOOL -> 1;
      case INT16, FLOAT16 -> 2;
      case FLOAT, INT32 -> 4;
      case INT64, DOUBLE -> 8;
    };
    if (b.remaining() != (long) n * width) {
      return b.remaining() / width;
    }
    for (int i = 0; i < n; i++) {
      switch (type) {
        case FLOAT -> ((float[]) dst)[i] = b.getFloat();
        case DOUBLE -> ((double[]) dst)[i] = b.getDouble();
        case INT64 -> ((long[]) dst)[i] = b.getLong();
        case INT32 -> ((int[]) dst)[i] = b.getInt();
        case INT16 -> ((int[]) dst)[i] = b.getShort();
        case INT8 -> ((int[]) dst)[i] = b.get();
        case UINT8 -> ((int[]) dst)[i] = b.get() & 0xff;
        case BOOL -> ((boolean[]) dst)[i] = b.get() != 0;
        case FLOAT16 -> ((float[]) dst)[i] = Float16.toFloat(b.getShort());
      }
    }
    return n;
  }

  private static int typed(TensorProto t, ElementType type, Object dst, int n) {
    List<? extends Number> src = switch (type) {
      case FLOAT -> t.getFloatDataList();
      case DOUBLE -> t.getDoubleDataList();
      case INT64 -> t.getInt64DataList();
      case INT32, INT16, INT8, UINT8, BOOL, FLOAT16 -> t.getInt32DataList();
    };
    if (src.size() != n) {
      return src.size();
    }
    for (int i = 0; i < n; i++) {
      Number v = src.get(i);
      switch (type) {
        case FLOAT -> ((float[]) dst)[i] = v.floatValue();
        case DOUBLE -> ((double[]) dst)[i] = v.doubleValue();
        case INT64 -> ((long[]) dst)[i] = v.longValue();
        case INT32, INT16, INT8, UINT8 -> ((int[]) dst)[i] = v.intValue();
        case BOOL -> ((boolean[]) dst)[i] = v.intValue() != 0;
        case FLOAT16 -> ((float[]) dst)[i] = Float16.toFloat((short) v.intValue());
      }
    }
    return n;
  }

  /** IEEE 754 binary16 → binary32 (exact; every half value is a float). */
  static final class Float16 {
    private Float16() {}

    static float toFloat(short bits) {
      int h = bits & 0xffff;
      int sign = (h >>> 15) << 31;
      int exp = (h >>> 10) & 0x1f;
      int mant = h & 0x3ff;
      if (exp == 0x1f) {
        return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
      }
      if (exp == 0) {
        float v = mant * 0x1p-24f;
        return sign == 0 ? v : -v;
      }
      return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
  }
}
