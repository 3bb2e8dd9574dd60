package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The default transfer head: spark-lr's objective, trained for 500 optimizer steps' worth of epochs. */
class HeadSpecTest {
  @Test
  void automaticEpochsGiveFiveHundredStepsWithinEightToThirtyTwoEpochs() {
    HeadTransfer.HeadSpec d = HeadTransfer.HeadSpec.DEFAULT;
    assertEquals(8, d.epochsFor(4000), "4000 rows at batch 64: 63 steps per epoch, 8 epochs = 504 steps");
    assertEquals(32, d.epochsFor(1000), "1000 rows: 16 steps per epoch, 32 epochs");
    assertEquals(8, d.epochsFor(100_000), "large splits still get 8 epochs");
    assertEquals(32, d.epochsFor(60), "tiny splits stop at 32 epochs");
    assertEquals(16, d.with("batch", 32L).epochsFor(1000), "500 steps of 32 rows");
  }

  @Test
  void explicitEpochsAreKept() {
    assertEquals(3, HeadTransfer.HeadSpec.DEFAULT.withEpochs(3).epochsFor(1000));
  }

  @Test
  void theDefaultIsSparkLrsObjective() {
    // TransferSpec's spark-lr: regParam 1e-3 on standardized features = L2 weight decay 1e-3 on z-scored inputs
    assertEquals(1e-3, ((Number) HeadTransfer.HeadSpec.DEFAULT.config().get("wd")).doubleValue());
    assertEquals(0L, HeadTransfer.HeadSpec.DEFAULT.config().get("width"), "width 0: logistic regression");
  }


  @Test
  void negativeEpochsAreRefused() {
    var e = assertThrows(IllegalArgumentException.class, () -> HeadTransfer.HeadSpec.DEFAULT.withEpochs(-1));
    assertEquals("head epochs must be >= 1, or 0 for automatic; found -1", e.getMessage());
  }

  @Test
  void theDefaultDecaysItsRateOverTheRunsSteps() {
    HeadTransfer.HeadSpec d = HeadTransfer.HeadSpec.DEFAULT;
    assertEquals("cosine", d.config().get("decay"));
    assertEquals(32L * 16, d.configFor(1000).get("decay_steps"), "32 epochs of ⌈1000/64⌉ = 16 steps");
    assertEquals(8L * 63, d.configFor(4000).get("decay_steps"), "8 epochs of ⌈4000/64⌉ = 63 steps");
    assertEquals(3L * 16, d.withEpochs(3).configFor(1000).get("decay_steps"));
    assertEquals(77L, d.with("decay_steps", 77L).configFor(1000).get("decay_steps"), "given steps are kept");
    assertFalse(d.with("decay", "none").configFor(1000).containsKey("decay_steps"), "no decay, no steps");
  }
}
