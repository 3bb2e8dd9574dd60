package org.argus.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trainers' learning-rate schedule: constant, or a cosine to 0 over decay_steps. */
class LearningRateTest {
  @Test
  void withoutDecayEveryStepUsesTheConfigsRate() throws Exception {
    long t = LearningRate.decaySteps(new Hyperparameters(Map.of("lr", 0.01)));
    assertEquals(0, t);
    assertEquals(0.01f, LearningRate.at(0.01f, t, 12345));
  }

  @Test
  void cosineDecayStartsAtTheRateHalvesHalfWayAndEndsAtZero() throws Exception {
    long t = LearningRate.decaySteps(new Hyperparameters(Map.of("decay", "cosine", "decay_steps", 100L)));
    assertEquals(100, t);
    assertEquals(0.01f, LearningRate.at(0.01f, t, 0), "the first step: no step taken before");
    assertEquals(0.005f, LearningRate.at(0.01f, t, 50), 1e-9f);
    assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), LearningRate.at(0.01f, t, 25), 1e-9);
    assertEquals(0f, LearningRate.at(0.01f, t, 100), 1e-12f);
    assertEquals(0f, LearningRate.at(0.01f, t, 150), 1e-12f, "past decay_steps: 0");
  }

  @Test
  void anUnknownDecayOrACosineWithoutStepsIsRefusedNamingWhatIsValid() {
    var e = assertThrows(TrainingException.class,
        () -> LearningRate.decaySteps(new Hyperparameters(Map.of("decay", "step"))));
    assertTrue(e.getMessage().contains("unknown decay 'step'") && e.getMessage().contains("valid: none, cosine"),
        e.getMessage());
    var f = assertThrows(TrainingException.class,
        () -> LearningRate.decaySteps(new Hyperparameters(Map.of("decay", "cosine"))));
    assertTrue(f.getMessage().contains("decay_steps >= 1") && f.getMessage().contains("found none"), f.getMessage());
    var g = assertThrows(TrainingException.class,
        () -> LearningRate.decaySteps(new Hyperparameters(Map.of("decay", "cosine", "decay_steps", 0L))));
    assertTrue(g.getMessage().contains("found 0"), g.getMessage());
  }
}
