package org.argus.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.argus.data.FashionMnist.Split;
import org.junit.jupiter.api.Test;

/**
 * {@link FashionMnist#sampleIds} without Spark: the ids are pinned, so a refactoring that changes
 * which images a seed draws fails here (reports, benchmarks and golden features depend on them).
 */
class FashionMnistSampleIdsTest {
  @Test
  void seed42DrawsThePinnedTrainIds() {
    assertArrayEquals(
        new long[] {8408, 10281, 18589, 18728, 25031, 25135, 42777, 44937},
        FashionMnist.sampleIds(Split.TRAIN, 8, 42L));
  }

  @Test
  void seed7DrawsThePinnedTestIdsOffsetBySixtyThousand() {
    assertArrayEquals(
        new long[] {61963, 62373, 62518, 63742, 64613, 64696, 69805, 69988},
        FashionMnist.sampleIds(Split.TEST, 8, 7L));
  }

  @Test
  void theWholeSplitIsEveryIdOnce() {
    long[] all = FashionMnist.sampleIds(Split.TEST, Split.TEST.size(), 3L);
    assertEquals(Split.TEST.size(), all.length);
    for (int i = 0; i < all.length; i++) {
      assertEquals(Split.TEST.firstId() + i, all[i]);
    }
  }

  @Test
  void aLargerSampleOfTheSameSeedExtendsTheSmallerOne() {
    long[] small = FashionMnist.sampleIds(Split.TRAIN, 20, 5L);
    long[] large = FashionMnist.sampleIds(Split.TRAIN, 200, 5L);
    assertTrue(
        Arrays.stream(small).allMatch(id -> Arrays.binarySearch(large, id) >= 0),
        Arrays.toString(small));
  }

  @Test
  void negativeSampleSizeNamesTheValidRange() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.sampleIds(Split.TRAIN, -1, 1));
    assertTrue(e.getMessage().contains("n = -1") && e.getMessage().contains("0..60000"),
        e.getMessage());
  }
}
