package org.argus.runtime;

import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.PreprocessingSpec.ChannelOrder;
import org.argus.model.roster.PreprocessingSpec.Layout;
import org.argus.model.roster.PreprocessingSpec.Resize;
import org.argus.model.roster.PreprocessingSpec.Scaling;

/**
 * Turns one decoded image (Spark image struct fields) into one example of a model's input tensor,
 * following a {@link PreprocessingSpec}: bilinear resize with half-pixel centres (OpenCV {@code
 * INTER_LINEAR}, the default) or aligned corners (TF.js {@code resizeBilinear(alignCorners=true)},
 * as nsfwjs; see {@link Resize}), gray replicated to 3 channels, alpha dropped, channel order,
 * scaling and layout. Interpolation runs on the source bytes {@code 0..255} before scaling (the
 * scalings are affine, so this equals scaling first up to float rounding).
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
    Axis ys = Axis.of(spec.resize(), height, oh);
    Axis xs = Axis.of(spec.resize(), width, ow);
    int plane = oh * ow;
    float[] px = new float[3];
    for (int y = 0; y < oh; y++) {
      int y0 = ys.lo[y];
      int y1 = ys.hi[y];
      float wy = ys.frac[y];
      for (int x = 0; x < ow; x++) {
        int x0 = xs.lo[x];
        int x1 = xs.hi[x];
        float wx = xs.frac[x];
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

  /**
   * Where each output pixel along one axis samples the source: the two source pixels {@code lo},
   * {@code hi} and the weight {@code frac} of {@code hi}.
   */
  private record Axis(int[] lo, int[] hi, float[] frac) {
    /**
     * @param resize the sampling convention
     * @param in source pixels along the axis
     * @param out output pixels along the axis
     */
    static Axis of(Resize resize, int in, int out) {
      int[] lo = new int[out];
      int[] hi = new int[out];
      float[] frac = new float[out];
      if (resize == Resize.HALF_PIXEL) {
        float s = (float) in / out;
        for (int i = 0; i < out; i++) {
          float f = Math.max(0f, (i + 0.5f) * s - 0.5f);
          lo[i] = Math.min((int) f, in - 1);
          hi[i] = Math.min(lo[i] + 1, in - 1);
          frac[i] = f - lo[i];
        }
      } else {
        // TF.js CPU backend, resizeBilinear(alignCorners=true, halfPixelCenters=false), in doubles
        double ratio = out > 1 ? (double) (in - 1) / (out - 1) : (double) in / out;
        for (int i = 0; i < out; i++) {
          double f = ratio * i;
          lo[i] = Math.max(0, (int) Math.floor(f));
          hi[i] = Math.min(in - 1, (int) Math.ceil(f));
          frac[i] = (float) (f - lo[i]);
        }
      }
      return new Axis(lo, hi, frac);
    }
  }
}
