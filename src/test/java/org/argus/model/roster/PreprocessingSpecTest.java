package org.argus.model.roster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.argus.model.roster.PreprocessingSpec.Resize;
import org.argus.model.roster.PreprocessingSpec.Scaling;
import org.junit.jupiter.api.Test;

class PreprocessingSpecTest {
  @Test
  void fourPartSpecUsesHalfPixelResize() {
    assertEquals(Resize.HALF_PIXEL, PreprocessingSpec.parse("224:rgb:tf:nhwc").resize());
  }

  @Test
  void fifthPartSelectsAlignCornersResize() {
    assertEquals(Resize.ALIGN_CORNERS, PreprocessingSpec.parse("224:RGB:unit:nhwc:Align_Corners").resize());
  }

  @Test
  void compactOmitsTheDefaultResizeAndRoundTripsTheOther() {
    assertEquals("224x224:rgb:tf:nhwc", PreprocessingSpec.parse("224:rgb:tf:nhwc").compact());
    PreprocessingSpec aligned = PreprocessingSpec.parse("299:rgb:unit:nhwc:align_corners");
    assertEquals("299x299:rgb:unit:nhwc:align_corners", aligned.compact());
    assertEquals(aligned, PreprocessingSpec.parse(aligned.compact()));
  }

  @Test
  void unknownResizeIsRefusedListingTheValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PreprocessingSpec.parse("224:rgb:tf:nhwc:bicubic"));
    assertTrue(e.getMessage().contains("bicubic") && e.getMessage().contains("align_corners"), e.getMessage());
  }

  @Test
  void withSizeAndWithScalingKeepTheResize() {
    PreprocessingSpec s = PreprocessingSpec.parse("224:rgb:unit:nhwc:align_corners").withSize(96, 96)
        .withScaling(Scaling.TF);
    assertEquals("96x96:rgb:tf:nhwc:align_corners", s.compact());
  }

  @Test
  void rosterPredictorPreprocessingIsNsfwjsOwn() {
    for (RosterModel m : Roster.all()) {
      PreprocessingSpec p = m.predictorPreprocessing();
      assertEquals(Scaling.UNIT, p.scaling(), m.name());
      assertEquals(Resize.ALIGN_CORNERS, p.resize(), m.name());
      assertEquals(m.preprocessing().height(), p.height(), m.name());
    }
  }
}
