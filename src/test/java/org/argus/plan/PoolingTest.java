package org.argus.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PoolingTest {
  /** One channel, 4x4, values 0..15 row-major. */
  private static final float[] RAMP = new float[16];

  static {
    for (int i = 0; i < 16; i++) {
      RAMP[i] = i;
    }
  }

  @Test
  void maxToTwoByTwoTakesTheMaxOverEveryRowOfEachBin() {
    float[] out = new float[4];
    Pooling.parse("max:2").apply(RAMP, 0, 1, 4, 4, out, 0);
    // bin rows {0,1} x cols {0,1} holds 0,1,4,5 → 5; a last-row-only max would still be 5 here, so
    // oddSizesCoverEveryRowAndColumn and the bin contents below pin the full-bin semantics
    assertArrayEquals(new float[] {5, 7, 13, 15}, out);
  }

  @Test
  void averageToTwoByTwoAveragesEachBin() {
    float[] out = new float[4];
    Pooling.parse("avg:2").apply(RAMP, 0, 1, 4, 4, out, 0);
    assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, out);
  }

  @Test
  void globalPoolingGivesOneValuePerChannel() {
    float[] two = new float[32];
    for (int i = 0; i < 32; i++) {
      two[i] = i;
    }
    float[] max = new float[2];
    float[] avg = new float[2];
    Pooling.parse("max").apply(two, 0, 2, 4, 4, max, 0);
    Pooling.parse("avg").apply(two, 0, 2, 4, 4, avg, 0);
    assertArrayEquals(new float[] {15, 31}, max);
    assertArrayEquals(new float[] {7.5f, 23.5f}, avg);
  }

  @Test
  void oddSizesCoverEveryRowAndColumn() {
    // 3x3 into 2x2 bins: rows [0,2) and [1,3) overlap in row 1 (adaptive pooling)
    float[] nine = {0, 1, 2, 3, 4, 5, 6, 7, 100};
    float[] out = new float[4];
    Pooling.parse("max:2").apply(nine, 0, 1, 3, 3, out, 0);
    assertArrayEquals(new float[] {4, 5, 7, 100}, out);
  }

  @Test
  void gridLargerThanTheActivationRepeatsCells() {
    float[] one = {7};
    float[] out = new float[4];
    Pooling.parse("max:2").apply(one, 0, 1, 1, 1, out, 0);
    assertArrayEquals(new float[] {7, 7, 7, 7}, out);
  }

  @Test
  void noneFlattensChannelMajor() {
    float[] out = new float[16];
    Pooling.parse("none").apply(RAMP, 0, 1, 4, 4, out, 0);
    assertArrayEquals(RAMP, out);
    assertEquals(16, Pooling.parse("none").outputDim(1, 4, 4));
  }

  @Test
  void outputDimIsChannelsTimesGridSquared() {
    assertEquals(192 * 4, Pooling.parse("max:2").outputDim(192, 12, 12));
    assertEquals(192, Pooling.parse("avg").outputDim(192, 12, 12));
  }

  @Test
  void parsePrintsBackTheSameForm() {
    for (String s : new String[] {"none", "avg", "max", "avg:3", "max:2"}) {
      assertEquals(s, Pooling.parse(s).toString());
    }
  }

  @Test
  void unknownPoolingNamesTheValidForms() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Pooling.parse("median:2"));
    assertTrue(e.getMessage().contains("median:2") && e.getMessage().contains("max:K"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Pooling.parse("max:0"));
  }
}
