package org.argus.data.image;

/**
 * The outcome of decoding one file: exactly one of {@code image} and {@code reason} is non-null.
 *
 * @param image the decoded image, or null when the file was rejected
 * @param reason why the file was rejected (e.g. {@code "zero-byte file"}), or null when decoded
 */
public record DecodeResult(DecodedImage image, String reason) {
  /**
   * @throws IllegalArgumentException unless exactly one of {@code image} and {@code reason} is set
   */
  public DecodeResult {
    if ((image == null) == (reason == null)) {
      throw new IllegalArgumentException(
          "exactly one of image and reason must be set; got image="
              + (image != null)
              + ", reason="
              + reason);
    }
  }

  /**
   * @param image the decoded image
   * @return a successful result
   */
  public static DecodeResult decoded(DecodedImage image) {
    return new DecodeResult(image, null);
  }

  /**
   * @param reason why the file was rejected
   * @return a rejection
   */
  public static DecodeResult rejected(String reason) {
    return new DecodeResult(null, reason);
  }

  /** @return true when {@link #image()} is set */
  public boolean isDecoded() {
    return image != null;
  }
}
