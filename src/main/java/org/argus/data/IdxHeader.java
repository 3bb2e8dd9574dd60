package org.argus.data;

import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The header of an IDX file, the format of MNIST and Fashion-MNIST (LeCun, Cortes and Burges, "The
 * MNIST database of handwritten digits", section "File formats for the MNIST database"): a
 * big-endian int32 magic number {@code 0x0000TTDD} (two zero bytes, {@code TT} = element type,
 * {@code 0x08} = unsigned byte; {@code DD} = number of dimensions), then {@code DD} big-endian int32
 * dimension sizes; the elements follow in row-major order. Pure Java: parses any {@link DataInput}
 * (a Hadoop {@code FSDataInputStream} is one).
 *
 * @param magic the magic number read
 * @param dims the dimension sizes, outermost (the record count) first; each {@code >= 0}
 */
record IdxHeader(int magic, List<Integer> dims) {
  /** Magic number of an unsigned-byte file with 3 dimensions (images: count × rows × columns). */
  static final int UBYTE_3D = 0x00000803;

  /** Magic number of an unsigned-byte file with 1 dimension (labels: count). */
  static final int UBYTE_1D = 0x00000801;

  /** The first two bytes of every gzip stream ({@code 1f 8b}), as the high half of an int32. */
  private static final int GZIP_ID = 0x1f8b;

  /** Copies {@code dims}. */
  IdxHeader {
    dims = List.copyOf(dims);
  }

  /**
   * Reads and validates a header of unsigned bytes.
   *
   * @param in positioned at the first byte of the file
   * @param file the file's name for messages
   * @param expectedMagic {@link #UBYTE_3D} or {@link #UBYTE_1D}; its low byte is the number of
   *     dimensions read
   * @return the header
   * @throws IllegalArgumentException when the magic number differs from {@code expectedMagic} (a
   *     gzip-compressed file gets its own message with the hint to decompress it) or a dimension
   *     is negative
   * @throws IOException when the input cannot be read or ends inside the header
   */
  static IdxHeader read(DataInput in, String file, int expectedMagic) throws IOException {
    int dims = expectedMagic & 0xff;
    int magic = in.readInt();
    if ((magic >>> 16) == GZIP_ID) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "IDX file %s: magic number 0x%08x is gzip's, expected 0x%08x; the file is still"
                  + " gzip-compressed (decompress it with gunzip, or use"
                  + " FashionMnist.provision())",
              file,
              magic,
              expectedMagic));
    }
    if (magic != expectedMagic) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "IDX file %s: magic number 0x%08x, expected 0x%08x (unsigned bytes, %d"
                  + " dimension%s); is it still gzip-compressed or the wrong file?",
              file,
              magic,
              expectedMagic,
              dims,
              dims == 1 ? "" : "s"));
    }
    List<Integer> sizes = new ArrayList<>(dims);
    for (int i = 0; i < dims; i++) {
      int size = in.readInt();
      if (size < 0) {
        throw new IllegalArgumentException(
            "IDX file " + file + ": dimension " + i + " is " + size + "; valid: >= 0");
      }
      sizes.add(size);
    }
    return new IdxHeader(magic, sizes);
  }

  /** @return the number of records (the outermost dimension) */
  int count() {
    return dims.get(0);
  }

  /** @return bytes before the first element: 4 for the magic number plus 4 per dimension */
  long headerBytes() {
    return 4L + 4L * dims.size();
  }

  /** @return bytes of one record: the product of the dimensions after the first (1 for labels) */
  long recordBytes() {
    long bytes = 1;
    for (int i = 1; i < dims.size(); i++) {
      bytes *= dims.get(i);
    }
    return bytes;
  }

  /** @return the file length this header implies: header plus {@code count() * recordBytes()} */
  long fileBytes() {
    return headerBytes() + count() * recordBytes();
  }

  /**
   * @param index a record index, {@code 0 <= index < count()}
   * @return the byte offset of that record in the file
   */
  long offsetOf(long index) {
    return headerBytes() + index * recordBytes();
  }

  /**
   * @param file the file's name for messages
   * @param actualBytes the file's length
   * @throws IllegalArgumentException when {@code actualBytes != fileBytes()} (truncated or padded)
   */
  void checkLength(String file, long actualBytes) {
    if (actualBytes != fileBytes()) {
      throw new IllegalArgumentException(
          "IDX file "
              + file
              + " is "
              + actualBytes
              + " bytes but its header implies "
              + fileBytes()
              + " (truncated or padded file)");
    }
  }
}
