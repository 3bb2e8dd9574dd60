package org.argus.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.argus.model.roster.PreprocessingSpec;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {
  private static final float EPS = 1e-6f;

  @Test
  void tfScalingMapsZeroToMinusOneAnd255ToOne() {
    PreprocessingSpec spec = PreprocessingSpec.parse("1:rgb:tf:nhwc");
    float[] out = new float[3];
    new ImagePreprocessor(spec).fill(new byte[] {0}, 1, 1, 1, out, 0);
    assertEquals(-1f, out[0], EPS);
    new ImagePreprocessor(spec).fill(new byte[] {(byte) 255}, 1, 1, 1, out, 0);
    assertEquals(1f, out[2], EPS);
  }

  @Test
  void rgbOrderReversesSparksBgrBytes() {
    PreprocessingSpec spec = PreprocessingSpec.parse("1:rgb:none:nhwc");
    float[] out = new float[3];
    // Spark image data is B, G, R
    new ImagePreprocessor(spec).fill(new byte[] {10, 20, 30}, 1, 1, 3, out, 0);
    assertEquals(30f, out[0], EPS);
    assertEquals(20f, out[1], EPS);
    assertEquals(10f, out[2], EPS);
  }

  @Test
  void caffeScalingKeepsBgrAndSubtractsImagenetMeans() {
    PreprocessingSpec spec = PreprocessingSpec.parse("1:bgr:caffe:nchw");
    float[] out = new float[3];
    new ImagePreprocessor(spec).fill(new byte[] {(byte) 200, (byte) 200, (byte) 200}, 1, 1, 3, out, 0);
    assertEquals(200f - 103.939f, out[0], 1e-4f);
    assertEquals(200f - 123.68f, out[2], 1e-4f);
  }

  @Test
  void grayIsReplicatedAndNchwIsChannelPlanes() {
    PreprocessingSpec spec = PreprocessingSpec.parse("2:rgb:none:nchw");
    float[] out = new float[12];
    new ImagePreprocessor(spec).fill(new byte[] {1, 2, 3, 4}, 2, 2, 1, out, 0);
    for (int c = 0; c < 3; c++) {
      assertEquals(1f, out[c * 4], EPS);
      assertEquals(4f, out[c * 4 + 3], EPS);
    }
  }

  @Test
  void bilinearUpsamplingUsesHalfPixelCentres() {
    // 1x2 gray [0, 100] → 1x4: centres map to x = -0.25, 0.25, 0.75, 1.25 → clamp → 0, 25, 75, 100
    PreprocessingSpec spec = new PreprocessingSpec(1, 4,
        PreprocessingSpec.ChannelOrder.RGB, PreprocessingSpec.Scaling.NONE, PreprocessingSpec.Layout.NHWC);
    float[] out = new float[12];
    new ImagePreprocessor(spec).fill(new byte[] {0, 100}, 1, 2, 1, out, 0);
    assertEquals(0f, out[0], EPS);
    assertEquals(25f, out[3], EPS);
    assertEquals(75f, out[6], EPS);
    assertEquals(100f, out[9], EPS);
  }

  /**
   * TF.js {@code tf.image.resizeBilinear(x, [5, 7], alignCorners=true)} (CPU backend, 4.22.0) of the
   * 3×4 RGB image {@code x[i] = (i·37) mod 256}, printed by {@code dataSync()}.
   */
  private static final float[] TFJS_UP_3X4_TO_5X7 = {0, 37, 74, 55.5f, 92.5f, 129.5f, 111, 148, 185, 166.5f,
      75.5f, 112.5f, 222, 3, 40, 149.5f, 58.5f, 95.5f, 77, 114, 151, 94, 131, 40, 85.5f, 122.5f, 95.5f, 77, 114,
      151, 132.5f, 105.5f, 142.5f, 188, 97, 134, 115.5f, 88.5f, 125.5f, 43, 80, 117, 188, 225, 6, 115.5f, 152.5f,
      61.5f, 43, 80, 117, 98.5f, 135.5f, 172.5f, 154, 191, 228, 81.5f, 118.5f, 155.5f, 9, 46, 83, 154, 191, 100,
      145.5f, 118.5f, 91.5f, 137, 46, 83, 128.5f, 101.5f, 138.5f, 120, 157, 194, 111.5f, 148.5f, 121.5f, 103,
      140, 49, 120, 157, 194, 175.5f, 84.5f, 121.5f, 231, 12, 49, 158.5f, 67.5f, 104.5f, 86, 123, 160, 141.5f,
      178.5f, 87.5f, 197, 234, 15};

  /** The same for the 5×7 image {@code x[i] = (i·53) mod 256} resized to 3×4. */
  private static final float[] TFJS_DOWN_5X7_TO_3X4 = {0, 53, 106, 62, 115, 168, 124, 177, 230, 186, 239, 36,
      178, 231, 28, 240, 37, 90, 46, 99, 152, 108, 161, 214, 100, 153, 206, 162, 215, 12, 224, 21, 74, 30, 83,
      136};

  /** @return Spark BGR bytes of the RGB image {@code x[i] = (i·step) mod 256} with {@code h·w} pixels */
  private static byte[] bgrRamp(int h, int w, int step) {
    byte[] bgr = new byte[h * w * 3];
    for (int px = 0; px < h * w; px++) {
      for (int c = 0; c < 3; c++) {
        bgr[px * 3 + 2 - c] = (byte) (((px * 3 + c) * step) % 256);
      }
    }
    return bgr;
  }

  @Test
  void alignCornersUpsamplingEqualsTfjsResizeBilinear() {
    float[] out = new float[5 * 7 * 3];
    new ImagePreprocessor(PreprocessingSpec.parse("5x7:rgb:none:nhwc:align_corners"))
        .fill(bgrRamp(3, 4, 37), 3, 4, 3, out, 0);
    for (int i = 0; i < out.length; i++) {
      assertEquals(TFJS_UP_3X4_TO_5X7[i], out[i], 1e-4f, "value " + i);
    }
  }

  @Test
  void alignCornersDownsamplingEqualsTfjsResizeBilinear() {
    float[] out = new float[3 * 4 * 3];
    new ImagePreprocessor(PreprocessingSpec.parse("3x4:rgb:none:nhwc:align_corners"))
        .fill(bgrRamp(5, 7, 53), 5, 7, 3, out, 0);
    for (int i = 0; i < out.length; i++) {
      assertEquals(TFJS_DOWN_5X7_TO_3X4[i], out[i], 1e-4f, "value " + i);
    }
  }

  @Test
  void halfPixelDownsamplingDiffersFromTfjsAlignCorners() {
    float[] out = new float[3 * 4 * 3];
    new ImagePreprocessor(PreprocessingSpec.parse("3x4:rgb:none:nhwc")).fill(bgrRamp(5, 7, 53), 5, 7, 3, out, 0);
    double worst = 0;
    for (int i = 0; i < out.length; i++) {
      worst = Math.max(worst, Math.abs(TFJS_DOWN_5X7_TO_3X4[i] - out[i]));
    }
    assertEquals(true, worst > 1, "max difference " + worst);
  }

  @Test
  void bothResizesLeaveAnImageAtTheTargetSizeUnchanged() {
    byte[] bgr = bgrRamp(3, 4, 37);
    for (String resize : new String[] {"half_pixel", "align_corners"}) {
      float[] out = new float[3 * 4 * 3];
      new ImagePreprocessor(PreprocessingSpec.parse("3x4:bgr:none:nhwc:" + resize)).fill(bgr, 3, 4, 3, out, 0);
      for (int i = 0; i < out.length; i++) {
        assertEquals(bgr[i] & 0xff, out[i], EPS, resize + " value " + i);
      }
    }
  }

  @Test
  void dataOfTheWrongLengthIsRefusedWithTheExpectedSize() {
    ImagePreprocessor p = new ImagePreprocessor(PreprocessingSpec.parse("2:rgb:tf:nhwc"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.fill(new byte[5], 2, 2, 3, new float[12], 0));
    assertEquals(true, e.getMessage().contains("12"), e.getMessage());
  }
}
