package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.argus.runtime.train.Hyperparameters;
import org.junit.jupiter.api.Test;

/** A head's static unit cost: its Linear layers' multiply-adds per example plus a training step's fixed part. */
class HeadUnitCostTest {
  /** Views a (3 columns) and b (5 columns), then 2 structured columns. */
  private static final FeatureViews VIEWS = new FeatureViews(List.of(
      new FeatureViews.View("a", "max:2", 0, 3), new FeatureViews.View("b", "max:2", 3, 5)), 2);
  private static final double STEP = ViewTrainerFactory.STEP_OVERHEAD_MULTIPLY_ADDS;

  private static double cost(String family, Map<String, Object> config) {
    return new ViewTrainerFactory(VIEWS, family, 4, 1).unitCost(new Hyperparameters(config));
  }

  @Test
  void aLogisticRegressionHeadCostsItsInputTimesItsClasses() {
    assertEquals((3 + 2) * 4 + STEP, cost("head", Map.of("layer", "a")));
    assertEquals((5 + 2) * 4 + STEP, cost("head", Map.of("layer", "b", "width", 0L)));
  }

  @Test
  void aHiddenLayerCountsEveryLinearLayer() {
    assertEquals(7 * 16 + 16 * 4 + STEP, cost("head", Map.of("layer", "b", "width", 16L)));
    assertEquals(7 * 16 + 2 * 16 * 16 + 16 * 4 + STEP, cost("head", Map.of("layer", "b", "width", 16L, "depth", 3L)));
  }

  @Test
  void anMlpHeadUsesItsFamilysDefaults() {
    assertEquals(5 * 128 + 128 * 128 + 128 * 4 + STEP, cost("mlp", Map.of("layer", "a")));
  }

  @Test
  void aWiderViewCostsMore() {
    assertTrue(cost("head", Map.of("layer", "b")) > cost("head", Map.of("layer", "a")));
  }

  @Test
  void aConfigNamingNoMaterializedViewIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> cost("head", Map.of("layer", "c")));
  }
}
