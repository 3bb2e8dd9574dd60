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

  @Test
  void dataOfTheWrongLengthIsRefusedWithTheExpectedSize() {
    ImagePreprocessor p = new ImagePreprocessor(PreprocessingSpec.parse("2:rgb:tf:nhwc"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.fill(new byte[5], 2, 2, 3, new float[12], 0));
    assertEquals(true, e.getMessage().contains("12"), e.getMessage());
  }
}
