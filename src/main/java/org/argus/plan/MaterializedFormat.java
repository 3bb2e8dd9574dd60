package org.argus.plan;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * How a plan stores what one stage hands to the next: the <em>activation</em> column a staged
 * plan's stage {@code i+1} reads (a layer's {@code [C, H, W]} float32 values per row), and the
 * pooled <em>features</em> column every plan materializes for training ({@code array<float>}, the
 * DESIGN.md §3 contract). One value, shared by the cost model (bytes stored per row, heap to read
 * a row back) and the executor (encode / decode), so the optimizer costs what actually runs.
 *
 * <p>Sizes are of Spark's in-memory columnar cache ({@code InMemoryRelation}): a {@code binary}
 * cell is a 4-byte length plus its bytes; an {@code array<float>} cell is stored as an {@code
 * UnsafeArrayData} (8-byte element count, a null bitmap of one 8-byte word per 64 elements, 4
 * bytes per element) plus a 4-byte length; neither type is compressed by the columnar cache (its
 * compression schemes cover primitive and string columns only). Measured against Spark's storage
 * status in {@code bench/results/transfer.md}.
 */
public enum MaterializedFormat {
  /**
   * Activations as {@code binary}: little-endian float32, 4 bytes per value, read back as one
   * {@code byte[]} per row and decoded straight into the next stage's input buffer (no boxing).
   */
  BINARY_FLOAT32,
  /**
   * Activations as {@code array<float>}: Spark's row deserializer hands a cached {@code
   * array<float>} back as boxed {@code Float}s, one object per value ({@link #BOXED_FLOAT_BYTES}
   * each). Kept for comparison: it made stages 2–4 of a staged InceptionV3 plan spend 2–3× their
   * ONNX Runtime time boxing (session 8's JFR profile).
   */
  ARRAY_FLOAT,
  /**
   * Activations of an int8 plan as {@code binary}: one byte per value, the uint8 code of the
   * stage's own quantization of the tensor. An int8 stage's output is {@code
   * DequantizeLinear(q, scale, zeroPoint)} (issue "Int8 featurization"), so {@code q} is recovered
   * exactly ({@link #encodeUint8}) and decoded as DequantizeLinear does ({@link #decodeUint8}): the
   * next stage reads the same float32 values as from {@link #BINARY_FLOAT32}, from a quarter of the
   * bytes. A boundary whose tensor is not a DequantizeLinear output (fp32 stages, an op left fp32)
   * is stored as {@link #BINARY_FLOAT32}.
   */
  BINARY_UINT8;

  /** The format plans use unless told otherwise. */
  public static final MaterializedFormat DEFAULT = BINARY_FLOAT32;

  /**
   * Heap bytes of one boxed {@code java.lang.Float} held in an object array: 16-byte object
   * (12-byte header + 4-byte value, 8-byte aligned) plus a 4-byte compressed reference.
   */
  public static final long BOXED_FLOAT_BYTES = 20;

  /** Bytes of a {@code byte[]} / {@code float[]} / {@code Object[]} header (compressed oops). */
  public static final long ARRAY_HEADER_BYTES = 16;

  /**
   * @param floats values in the cell
   * @return bytes of one cached {@code array<float>} cell of {@code floats} values (the features
   *     column of every format, and the activation column of {@link #ARRAY_FLOAT})
   */
  public static long arrayCellBytes(long floats) {
    return 4 + 8 + 8 * ((floats + 63) / 64) + 4 * floats;
  }

  /**
   * @param floats values in the cell
   * @return bytes of one cached {@code binary} cell holding {@code floats} float32 values
   */
  public static long binaryCellBytes(long floats) {
    return 4 + 4 * floats;
  }

  /**
   * @param floats values of one row's activation ({@code C·H·W})
   * @return bytes one row's activation cell takes in the columnar cache
   */
  public long activationCellBytes(long floats) {
    return switch (this) {
      case BINARY_FLOAT32 -> binaryCellBytes(floats);
      case ARRAY_FLOAT -> arrayCellBytes(floats);
      case BINARY_UINT8 -> 4 + floats;
    };
  }

  /** @return whether activations are stored as Spark {@code binary} cells (else {@code array<float>}) */
  public boolean isBinary() {
    return this != ARRAY_FLOAT;
  }

  /**
   * @param floats values of one row's pooled features
   * @return bytes one row's features cell ({@code array<float>}) takes in the columnar cache
   */
  public long featureCellBytes(long floats) {
    return arrayCellBytes(floats);
  }

  /**
   * Heap of one activation cell as the next stage's task holds it after Spark deserialized the
   * row (before it is copied into the ORT input buffer).
   *
   * @param floats values of the activation
   * @return bytes: one {@code byte[]} for {@link #BINARY_FLOAT32}; an {@code Object[]} of boxed
   *     {@code Float}s for {@link #ARRAY_FLOAT}
   */
  public long activationReadHeapBytes(long floats) {
    return switch (this) {
      case BINARY_FLOAT32 -> ARRAY_HEADER_BYTES + 4 * floats;
      case ARRAY_FLOAT -> ARRAY_HEADER_BYTES + BOXED_FLOAT_BYTES * floats;
      case BINARY_UINT8 -> ARRAY_HEADER_BYTES + floats;
    };
  }

  /**
   * Heap of one activation cell as the producing task emits it (before Spark encodes the row).
   *
   * @param floats values of the activation
   * @return bytes of the emitted object ({@code byte[]} or {@code float[]}, 4 bytes a value; 1 for
   *     {@link #BINARY_UINT8})
   */
  public long activationWriteHeapBytes(long floats) {
    return ARRAY_HEADER_BYTES + (this == BINARY_UINT8 ? 1 : 4) * floats;
  }

  /**
   * Heap one activation cell costs while Spark encodes the producing task's row and caches it
   * (measured with a JFR allocation profile of a staged plan): {@code binary} — copied into the
   * {@code UnsafeRow}, then read back ({@code UnsafeRow.getBinary}) three times by the in-memory
   * column builder (statistics, size, append); {@code array<float>} — converted by {@code
   * UnsafeArrayData.fromPrimitiveArray}, then copied into the row.
   *
   * @param floats values of the activation
   * @return bytes allocated per row
   */
  public long activationEncodeHeapBytes(long floats) {
    return this == ARRAY_FLOAT ? 2 * arrayCellBytes(floats) : 4 * activationCellBytes(floats);
  }

  /**
   * Heap one pooled-features cell ({@code array<float>}) costs while Spark encodes and caches the
   * row: {@code UnsafeArrayData.fromPrimitiveArray}, then the copy into the row.
   *
   * @param floats values of the features
   * @return bytes allocated per row
   */
  public long featureEncodeHeapBytes(long floats) {
    return 2 * arrayCellBytes(floats);
  }

  /**
   * Encodes {@code n} floats from {@code values[from…]} as a {@link #BINARY_FLOAT32} cell.
   *
   * @return {@code 4·n} bytes, little-endian float32
   */
  public static byte[] encodeBinary(float[] values, int from, int n) {
    byte[] out = new byte[n * Float.BYTES];
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, from, n);
    return out;
  }

  /**
   * Decodes a {@link #BINARY_FLOAT32} cell into {@code dst[at…]}.
   *
   * @return the number of floats in the cell ({@code bytes.length / 4}); nothing is copied when it
   *     differs from {@code expected}
   */
  public static int decodeBinary(byte[] bytes, float[] dst, int at, int expected) {
    int n = bytes.length / Float.BYTES;
    if (n == expected && bytes.length % Float.BYTES == 0) {
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, at, n);
    }
    return bytes.length % Float.BYTES == 0 ? n : -1;
  }

  /**
   * Encodes {@code n} values of a DequantizeLinear output as their uint8 codes ({@link
   * #BINARY_UINT8}): {@code q = clamp(round(v / scale) + zeroPoint, 0, 255)}, ONNX QuantizeLinear's
   * rounding (half to even).
   *
   * @param values the stage's float32 output
   * @param from first value
   * @param n values
   * @param scale the tensor's quantization scale ({@code > 0})
   * @param zeroPoint its zero point, {@code 0..255}
   * @return {@code n} bytes
   */
  public static byte[] encodeUint8(float[] values, int from, int n, float scale, int zeroPoint) {
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      long q = (long) Math.rint(values[from + i] / scale) + zeroPoint;
      out[i] = (byte) Math.max(0, Math.min(255, q));
    }
    return out;
  }

  /**
   * Decodes a {@link #BINARY_UINT8} cell into {@code dst[at…]} as ONNX DequantizeLinear does:
   * {@code (float) (q − zeroPoint) · scale}.
   *
   * @return the number of values in the cell; nothing is copied when it differs from {@code expected}
   */
  public static int decodeUint8(byte[] bytes, float[] dst, int at, int expected, float scale, int zeroPoint) {
    if (bytes.length == expected) {
      for (int i = 0; i < bytes.length; i++) {
        dst[at + i] = (float) ((bytes[i] & 0xFF) - zeroPoint) * scale;
      }
    }
    return bytes.length;
  }

  /** @return the CLI name: {@code binary-float32}, {@code array-float} or {@code binary-uint8} */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @param text {@code binary-float32}, {@code array-float} or {@code binary-uint8} (case-insensitive,
   *     {@code _} or {@code -})
   * @return the format
   * @throws IllegalArgumentException naming the text and the valid names
   */
  public static MaterializedFormat parse(String text) {
    for (MaterializedFormat f : values()) {
      if (f.cliName().equalsIgnoreCase(text.trim().replace('_', '-'))) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown materialized format '" + text + "'; valid: binary-float32, array-float, "
        + "binary-uint8 (int8 plans)");
  }
}
