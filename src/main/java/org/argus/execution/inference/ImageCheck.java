package org.argus.execution.inference;

import org.apache.spark.sql.Row;
import org.argus.data.image.DecodeResult;
import org.argus.data.image.ImageDecoder;
import org.argus.runtime.ImagePreprocessor;

/**
 * Whether an image value can be fed to a CNN, and why not: the one set of reasons every surface
 * reports (the featurizer's and predictor's {@code invalid_reason}, SQL errors, feature transfer's
 * quarantine). Encoded bytes are decoded by {@link ImageDecoder} (its reasons: {@code zero-byte
 * file}, {@code truncated or corrupt …}, {@code not an image …}); image structs are checked for a
 * usable size, channel count and data length.
 */
public final class ImageCheck {
  private ImageCheck() {}

  /** Channel counts a Spark image struct may have: gray, BGR, BGRA. */
  static final String CHANNELS = "supported: 1 (gray), 3 (BGR), 4 (BGRA)";

  /**
   * Checks a Spark image struct without preprocessing it.
   *
   * @param image the struct (origin, height, width, nChannels, mode, data), or null
   * @return null when usable, else the reason
   */
  public static String reason(Row image) {
    if (image == null) {
      return "null image";
    }
    int h = image.isNullAt(1) ? -1 : image.getInt(1);
    int w = image.isNullAt(2) ? -1 : image.getInt(2);
    int c = image.isNullAt(3) ? -1 : image.getInt(3);
    byte[] data = image.isNullAt(5) ? null : (byte[]) image.get(5);
    if (h < 1 || w < 1 || data == null || data.length == 0) {
      return "undecodable image (height " + h + ", width " + w + ", "
          + (data == null ? "no" : data.length) + " data bytes)";
    }
    if (c != 1 && c != 3 && c != 4) {
      return "image has " + c + " channels; " + CHANNELS;
    }
    if ((long) h * w * c != data.length) {
      return "image data has " + data.length + " bytes; height·width·nChannels = " + h + "·" + w + "·" + c
          + " = " + ((long) h * w * c);
    }
    return null;
  }

  /**
   * Checks and preprocesses one image value into {@code dst} from {@code offset}.
   *
   * @param value a Spark image struct {@link Row}, encoded image bytes, or null
   * @param encoded whether {@code value} is encoded bytes
   * @param pre the preprocessor writing the model's layout
   * @param dst the batch buffer
   * @param offset where the example starts
   * @return null on success, else why the value is not a usable image
   */
  static String fill(Object value, boolean encoded, ImagePreprocessor pre, float[] dst, int offset) {
    if (value == null) {
      return encoded ? "null content" : "null image";
    }
    if (encoded) {
      DecodeResult d = ImageDecoder.decode((byte[]) value);
      if (!d.isDecoded()) {
        return d.reason();
      }
      pre.fill(d.image().data(), d.image().height(), d.image().width(), d.image().nChannels(), dst, offset);
      return null;
    }
    Row img = (Row) value;
    String reason = reason(img);
    if (reason != null) {
      return reason;
    }
    pre.fill((byte[]) img.get(5), img.getInt(1), img.getInt(2), img.getInt(3), dst, offset);
    return null;
  }
}
