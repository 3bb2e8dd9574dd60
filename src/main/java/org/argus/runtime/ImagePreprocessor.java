package org.argus.runtime;

import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.PreprocessingSpec.ChannelOrder;
import org.argus.model.roster.PreprocessingSpec.Layout;
import org.argus.model.roster.PreprocessingSpec.Scaling;

/**
 * Turns one decoded image (Spark image struct fields) into one example of a model's input tensor,
 * following a {@link PreprocessingSpec}: bilinear resize with half-pixel centres (OpenCV {@code
 * INTER_LINEAR}), gray replicated to 3 channels, alpha dropped, channel order, scaling and layout.
 *
 * <p>Stateless and thread-safe.
 */
public final class ImagePreprocessor {
  private final PreprocessingSpec spec;

  /** @param spec the model's preprocessing */
  public ImagePreprocessor(PreprocessingSpec spec) {
    this.spec = spec;
  }

  /** @return the spec this preprocessor applies */
  public PreprocessingSpec spec() {
    return spec;
  }

  /**
   * Writes one example of {@code spec.floatsPerExample()} floats into {@code dst} at {@code
   * offset}: {@code [H, W, 3]} for NHWC or {@code [3, H, W]} for NCHW.
   *
   * @param data pixel bytes as in Spark's image schema: row-major, {@code nChannels} interleaved
   *     bytes per pixel in BGR(A) order (1 channel = gray)
   * @param height source height in pixels
   * @param width source width in pixels
   * @param nChannels 1 (gray), 3 (BGR) or 4 (BGRA)
   * @throws IllegalArgumentException for another channel count or a data length that is not
   *     {@code height·width·nChannels}
   */
  public void fill(byte[] data, int height, int width, int nChannels, float[] dst, int offset) {
    if (nChannels != 1 && nChannels != 3 && nChannels != 4) {
      throw new IllegalArgumentException(
          "image has " + nChannels + " channels; supported: 1 (gray), 3 (BGR), 4 (BGRA)");
    }
    if (data.length != height * width * nChannels) {
      throw new IllegalArgumentException(
          "image data has "
              + data.length
              + " bytes; expected height·width·nChannels = "
              + height
              + "·"
              + width
              + "·"
              + nChannels
              + " = "
              + (height * width * nChannels));
    }
    int oh = spec.height();
    int ow = spec.width();
    boolean nhwc = spec.layout() == Layout.NHWC;
    boolean rgb = spec.channelOrder() == ChannelOrder.RGB;
    Scaling scaling = spec.scaling();
    float sy = (float) height / oh;
    float sx = (float) width / ow;
    int plane = oh * ow;
    float[] px = new float[3];
    for (int y = 0; y < oh; y++) {
      float fy = Math.max(0f, (y + 0.5f) * sy - 0.5f);
      int y0 = Math.min((int) fy, height - 1);
      int y1 = Math.min(y0 + 1, height - 1);
      float wy = fy - y0;
      for (int x = 0; x < ow; x++) {
        float fx = Math.max(0f, (x + 0.5f) * sx - 0.5f);
        int x0 = Math.min((int) fx, width - 1);
        int x1 = Math.min(x0 + 1, width - 1);
        float wx = fx - x0;
        // bilinear in source BGR order; px[k] is source channel k (B, G, R) or gray replicated
        for (int k = 0; k < 3; k++) {
          int ch = nChannels == 1 ? 0 : k;
          float v00 = data[(y0 * width + x0) * nChannels + ch] & 0xff;
          float v01 = data[(y0 * width + x1) * nChannels + ch] & 0xff;
          float v10 = data[(y1 * width + x0) * nChannels + ch] & 0xff;
          float v11 = data[(y1 * width + x1) * nChannels + ch] & 0xff;
          float top = v00 + (v01 - v00) * wx;
          float bot = v10 + (v11 - v10) * wx;
          px[k] = top + (bot - top) * wy;
        }
        for (int c = 0; c < 3; c++) {
          int srcCh = rgb ? 2 - c : c; // tensor channel c in target order ← source BGR index
          float v = px[srcCh];
          switch (scaling) {
            case TF -> v = v / 127.5f - 1f;
            case CAFFE -> v = v - PreprocessingSpec.CAFFE_BGR_MEAN[rgb ? 2 - c : c];
            case UNIT -> v = v / 255f;
            case NONE -> {}
          }
          int idx = nhwc ? offset + (y * ow + x) * 3 + c : offset + c * plane + y * ow + x;
          dst[idx] = v;
        }
      }
    }
  }
}
