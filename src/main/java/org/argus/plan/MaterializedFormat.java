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
  ARRAY_FLOAT;

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
    return this == BINARY_FLOAT32 ? binaryCellBytes(floats) : arrayCellBytes(floats);
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
    return this == BINARY_FLOAT32
        ? ARRAY_HEADER_BYTES + 4 * floats
        : ARRAY_HEADER_BYTES + BOXED_FLOAT_BYTES * floats;
  }

  /**
   * Heap of one activation cell as the producing task emits it (before Spark encodes the row).
   *
   * @param floats values of the activation
   * @return bytes of the emitted object ({@code byte[]} or {@code float[]}, both 4 bytes a value)
   */
  public long activationWriteHeapBytes(long floats) {
    return ARRAY_HEADER_BYTES + 4 * floats;
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
    return this == BINARY_FLOAT32 ? 4 * binaryCellBytes(floats) : 2 * arrayCellBytes(floats);
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

  /** @return the CLI name: {@code binary-float32} or {@code array-float} */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @param text {@code binary-float32} or {@code array-float} (case-insensitive, {@code _} or {@code -})
   * @return the format
   * @throws IllegalArgumentException naming the text and the valid names
   */
  public static MaterializedFormat parse(String text) {
    for (MaterializedFormat f : values()) {
      if (f.cliName().equalsIgnoreCase(text.trim().replace('_', '-'))) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown materialized format '" + text + "'; valid: binary-float32, array-float");
  }
}
