package org.argus.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.classification.LogisticRegression;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * Lazy, eager and staged plans on the real MobileNetV2 (64×64) and real Fashion-MNIST give the
 * same per-layer metrics; layers out of order are sorted; a layer that is not a separator falls
 * back to a cut from the pixels in the staged plan.
 */
class FeatureTransferTest {
  // block_2_add cannot be computed from block_2_expand_relu alone (residual from block_1_project_BN)
  static final List<String> LAYERS = List.of("block_2_add", "block_2_expand_relu");

  static TransferSpec spec(LogicalPlan plan) {
    return TransferSpec.builder()
        .setFashionMnist(100, 40)
        .setModel("mobilenet_v2")
        .optInputSize(64)
        .setLayers(LAYERS)
        .optLearner(new LogisticRegression().setMaxIter(10).setRegParam(1e-2))
        .optOverrides(plan == null ? Overrides.NONE : Overrides.NONE.withPlan(plan))
        .build();
  }

  @Test
  void allPlansGiveIdenticalMetricsAndExplainSaysWhatItDid() throws Exception {
    List<TransferResult> results = new ArrayList<>();
    for (LogicalPlan p : LogicalPlan.values()) {
      FeatureTransfer ft = FeatureTransfer.prepare(SparkTestSession.get(), spec(p), ProgressSink.SILENT);
      assertEquals(p, ft.decision().chosen().logical());
      assertEquals(List.of("block_2_expand_relu", "block_2_add"), ft.layers());
      if (p == LogicalPlan.STAGED) {
        String explain = ft.explain();
        assertTrue(explain.contains("fallback: 'block_2_add' is not computable from 'block_2_expand_relu'"), explain);
        assertTrue(explain.contains("layers sorted to topological order"), explain);
      }
      results.add(ft.run());
    }
    TransferResult lazy = results.get(0);
    assertEquals(2, lazy.layers().size());
    assertEquals(140, lazy.counts().joinedRows());
    for (TransferResult r : results) {
      for (int i = 0; i < 2; i++) {
        TransferResult.LayerResult a = lazy.layers().get(i);
        TransferResult.LayerResult b = r.layers().get(i);
        assertEquals(a.layer(), b.layer());
        assertEquals(a.featureDim(), b.featureDim());
        assertEquals(100, b.trainRows());
        assertEquals(40, b.testRows());
        assertEquals(a.accuracy(), b.accuracy(), 1e-12, r.decision().chosen().logical() + " " + a.layer());
        assertEquals(a.macroF1(), b.macroF1(), 1e-12, r.decision().chosen().logical() + " " + a.layer());
      }
    }
    assertEquals(24 * 4, lazy.layers().get(1).featureDim());
    assertTrue(lazy.layers().get(1).accuracy() > 0.3, "block_2_add accuracy " + lazy.layers().get(1).accuracy());
  }
}
