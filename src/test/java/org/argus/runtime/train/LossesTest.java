package org.argus.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** A batch's cross-entropy and accuracy from its logits. */
class LossesTest {
  private static final float[] LOGITS = {2f, 1f, 0f, -1f, 3f, 3f, 0.5f, 0.5f, 0.5f};
  private static final int[] LABELS = {0, 2, 1};

  private static double logSoftmax(int row, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < 3; j++) {
      max = Math.max(max, LOGITS[3 * row + j]);
    }
    double sum = 0;
    for (int j = 0; j < 3; j++) {
      sum += Math.exp(LOGITS[3 * row + j] - max);
    }
    return LOGITS[3 * row + k] - max - Math.log(sum);
  }

  @Test
  void theLossIsMinusTheLabelsLogSoftmaxSummedOrAveragedOverRows() {
    ZeroedAllocations.ensure();
    double sum = 0;
    for (int i = 0; i < LABELS.length; i++) {
      sum -= logSoftmax(i, LABELS[i]);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(LOGITS, new Shape(3, 3));
      assertEquals(sum, Losses.negativeLogLikelihood(m, logits, LABELS, false).getFloat(), 1e-5);
      assertEquals(sum / 3, Losses.negativeLogLikelihood(m, logits, LABELS, true).getFloat(), 1e-5);
    }
  }

  @Test
  void aRowIsCorrectWhenItsFirstLargestLogitIsTheLabel() {
    ZeroedAllocations.ensure();
    try (NDManager m = NDManager.newBaseManager()) {
      // row 0: argmax 0 = label; row 1: tie of 1 and 2 goes to 1 ≠ label 2; row 2: three-way tie → 0 ≠ 1
      assertEquals(1, Losses.correct(m.create(LOGITS, new Shape(3, 3)), LABELS));
      assertEquals(3, Losses.correct(m.create(LOGITS, new Shape(3, 3)), new int[] {0, 1, 0}));
    }
  }

  @Test
  void aNanLogitCountsAsTheLargestAsInPyTorch() {
    ZeroedAllocations.ensure();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {5f, Float.NaN, 1f}, new Shape(1, 3));
      assertEquals(1, Losses.correct(logits, new int[] {1}));
      assertEquals(logits.argMax(1).getLong(), 1L, "PyTorch's own argmax agrees");
    }
  }
}
