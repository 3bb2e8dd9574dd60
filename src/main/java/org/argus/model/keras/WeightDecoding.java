package org.argus.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.argus.model.ModelFormatException;

/**
 * Decodes one weight's bytes to float32 as TF.js {@code io.decodeWeights} does (tfjs-core {@code
 * io/io_utils.ts}): little-endian; {@code float32} as is; {@code int32} converted to float;
 * quantized ({@code quantization.dtype}) {@code uint8}/{@code uint16} dequantized as {@code min +
 * scale·q} (computed in double, rounded once to float32); {@code float16} (IEEE 754 binary16)
 * widened exactly.
 */
final class WeightDecoding {
  private WeightDecoding() {}

  /**
   * @param quant the manifest entry's {@code quantization} object, or null
   * @return bytes per stored element
   * @throws ModelFormatException for a dtype or quantization dtype other than those above
   */
  static int bytesPerElement(String wname, String dtype, JsonNode quant)
      throws ModelFormatException {
    if (quant != null && !quant.isNull()) {
      String q = quant.path("dtype").asText("");
      switch (q) {
        case "uint8":
          return 1;
        case "uint16":
        case "float16":
          return 2;
        default:
          throw new ModelFormatException("weight '" + wname + "': unsupported quantization dtype '"
              + q + "'; supported: uint8, uint16, float16");
      }
    }
    switch (dtype) {
      case "float32":
      case "int32":
        return 4;
      default:
        throw new ModelFormatException(
            "weight '" + wname + "': unsupported dtype '" + dtype + "'; supported: float32, int32");
    }
  }

  /**
   * Decodes {@code n} elements starting at byte {@code offset}.
   *
   * @param wname the weight's name, for messages
   * @param dtype the manifest {@code dtype} (float32 for quantized weights)
   * @param quant the manifest {@code quantization} object, or null
   * @return {@code n} float32 values
   * @throws ModelFormatException for an unsupported dtype, a quantized weight whose dtype is not
   *     float32, or uint8/uint16 quantization without {@code min} and {@code scale}
   */
  static float[] decode(byte[] data, int offset, int n, String wname, String dtype, JsonNode quant)
      throws ModelFormatException {
    bytesPerElement(wname, dtype, quant);
    ByteBuffer buf =
        ByteBuffer.wrap(data, offset, data.length - offset).order(ByteOrder.LITTLE_ENDIAN);
    if (quant != null && !quant.isNull()) {
      return dequantize(buf, n, wname, dtype, quant);
    }
    float[] out = new float[n];
    if (dtype.equals("float32")) {
      buf.asFloatBuffer().get(out);
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = buf.getInt();
      }
    }
    return out;
  }

  private static float[] dequantize(ByteBuffer buf, int n, String wname, String dtype,
      JsonNode quant) throws ModelFormatException {
    if (!dtype.equals("float32")) {
      throw new ModelFormatException("weight '" + wname
          + "': quantized weights must have dtype float32, found '" + dtype + "'");
    }
    float[] out = new float[n];
    String q = quant.path("dtype").asText();
    if (q.equals("float16")) {
      for (int i = 0; i < n; i++) {
        out[i] = halfToFloat(buf.getShort());
      }
      return out;
    }
    if (!quant.has("min") || !quant.has("scale")) {
      throw new ModelFormatException("weight '" + wname + "': " + q
          + " quantization needs 'min' and 'scale', found " + quant);
    }
    double min = quant.get("min").asDouble();
    double scale = quant.get("scale").asDouble();
    for (int i = 0; i < n; i++) {
      int v = q.equals("uint8") ? Byte.toUnsignedInt(buf.get()) : Short.toUnsignedInt(buf.getShort());
      out[i] = (float) (v * scale + min);
    }
    return out;
  }

  /** IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN included). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f; // subnormal: mant · 2^-24, exact in float32
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
