package org.argus.data.image;

import java.util.Objects;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * A decoded image in Spark's image-schema layout ({@link
 * org.apache.spark.ml.image.ImageSchema#columnSchema()}): 8 bits per channel, {@code data}
 * row-major (rows top to bottom, pixels left to right, channels interleaved) in OpenCV order —
 * {@code nChannels = 1}: gray, mode {@code CV_8UC1 = 0}; {@code 3}: B, G, R, mode {@code CV_8UC3 =
 * 16}; {@code 4}: B, G, R, A (straight, not premultiplied alpha), mode {@code CV_8UC4 = 24}. Values
 * are 0..255 stored as Java (signed) bytes; read them with {@code b & 0xff}.
 *
 * @param height rows, {@code > 0}
 * @param width columns, {@code > 0}
 * @param nChannels 1, 3 or 4
 * @param mode OpenCV type: 0, 16 or 24 matching {@code nChannels}
 * @param data {@code height * width * nChannels} bytes (not copied; do not mutate)
 */
public record DecodedImage(int height, int width, int nChannels, int mode, byte[] data) {
  /** OpenCV {@code CV_8UC1}: one 8-bit gray channel. */
  public static final int CV_8UC1 = 0;
  /** OpenCV {@code CV_8UC3}: three 8-bit channels, B G R. */
  public static final int CV_8UC3 = 16;
  /** OpenCV {@code CV_8UC4}: four 8-bit channels, B G R A. */
  public static final int CV_8UC4 = 24;

  /**
   * Validates the layout.
   *
   * @throws IllegalArgumentException when a dimension is not positive, {@code nChannels} is not 1,
   *     3 or 4, {@code mode} does not match it, or {@code data.length != height*width*nChannels}
   */
  public DecodedImage {
    Objects.requireNonNull(data, "data");
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "image size " + width + "x" + height + "; valid: positive width and height");
    }
    int expectedMode =
        switch (nChannels) {
          case 1 -> CV_8UC1;
          case 3 -> CV_8UC3;
          case 4 -> CV_8UC4;
          default -> throw new IllegalArgumentException(
              "nChannels = " + nChannels + "; valid: 1, 3 or 4");
        };
    if (mode != expectedMode) {
      throw new IllegalArgumentException(
          "mode = " + mode + " with nChannels = " + nChannels + "; valid: " + expectedMode);
    }
    if ((long) height * width * nChannels != data.length) {
      throw new IllegalArgumentException(
          "data holds "
              + data.length
              + " bytes but "
              + width
              + "x"
              + height
              + "x"
              + nChannels
              + " needs "
              + (long) height * width * nChannels);
    }
  }

  /**
   * @param x column, {@code 0 <= x < width}
   * @param y row, {@code 0 <= y < height}
   * @param channel {@code 0 <= channel < nChannels} (0 = B for colour images)
   * @return the sample value 0..255
   */
  public int sample(int x, int y, int channel) {
    return data[(y * width + x) * nChannels + channel] & 0xff;
  }

  /**
   * @param origin the image's source (a path or URI)
   * @return a Row matching {@code ImageSchema.columnSchema()}: (origin, height, width, nChannels,
   *     mode, data)
   */
  public Row toRow(String origin) {
    return RowFactory.create(origin, height, width, nChannels, mode, data);
  }
}
