package org.argus.execution.transfer;

import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * Lazy, eager and staged plans on the real MobileNetV2 (64×64) and real Fashion-MNIST give the
 * same per-layer metrics — cross-validated choices included; layers out of order are sorted; a
 * layer that is not a separator falls back to a cut from the pixels in the staged plan; the
 * cross-validated model is the chosen params refitted on the whole training split.
 */
class FeatureTransferTest {
  // block_2_add cannot be computed from block_2_expand_relu alone (residual from block_1_project_BN)
  static final List<String> LAYERS = List.of("block_2_add", "block_2_expand_relu");

  /** A 2-point grid: regParam 0.01 (fits) and 10 (so strong that it predicts nearly one class). */
  static ParamMap[] grid() {
    LogisticRegression other = new LogisticRegression(); // the spec binds the grid to its learner by name
    return new ParamGridBuilder().addGrid(other.regParam(), new double[] {0.01, 10.0}).build();
  }

  static TransferSpec.Builder base(LogicalPlan plan) {
    return TransferSpec.builder()
        .setFashionMnist(160, 40)
        .setModel("mobilenet_v2")
        .optInputSize(64)
        .setLayers(LAYERS)
        .optOverrides(plan == null ? Overrides.NONE : Overrides.NONE.withPlan(plan));
  }

  @Test
  void allPlansGiveIdenticalCrossValidatedMetricsAndExplainSaysWhatItDid() throws Exception {
    List<TransferResult> results = new ArrayList<>();
    for (LogicalPlan p : LogicalPlan.values()) {
      TransferSpec spec = base(p)
          .optLearner(new LogisticRegression().setMaxIter(5).setRegParam(1e-2))
          .optParamGrid(grid())
          .optFolds(2)
          .build();
      FeatureTransfer ft = FeatureTransfer.prepare(SparkTestSession.get(), spec, ProgressSink.SILENT);
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
    assertEquals(200, lazy.counts().joinedRows());
    for (TransferResult r : results) {
      String plan = r.decision().chosen().logical().cliName();
      for (int i = 0; i < 2; i++) {
        TransferResult.LayerResult a = lazy.layers().get(i);
        TransferResult.LayerResult b = r.layers().get(i);
        assertEquals(a.layer(), b.layer());
        assertEquals(a.featureDim(), b.featureDim());
        assertEquals(160, b.trainRows());
        assertEquals(40, b.testRows());
        assertEquals(a.accuracy(), b.accuracy(), 1e-12, plan + " " + a.layer());
        assertEquals(a.macroF1(), b.macroF1(), 1e-12, plan + " " + a.layer());
        TransferResult.CrossValidation cva = a.crossValidation();
        TransferResult.CrossValidation cvb = b.crossValidation();
        assertEquals(cva.chosenParams(), cvb.chosenParams(), plan + " " + a.layer());
        assertEquals(cva.meanMetric(), cvb.meanMetric(), 1e-12, plan + " " + a.layer());
        assertEquals(cva.gridMetrics().size(), cvb.gridMetrics().size());
        for (int g = 0; g < cva.gridMetrics().size(); g++) {
          assertEquals(cva.gridMetrics().get(g), cvb.gridMetrics().get(g), 1e-12, plan + " " + a.layer() + " point " + g);
        }
      }
    }
    for (TransferResult.LayerResult l : lazy.layers()) {
      TransferResult.CrossValidation cv = l.crossValidation();
      assertEquals(2, cv.folds());
      assertEquals("accuracy", cv.metric());
      assertEquals(Map.of("regParam", "0.01"), cv.chosenParams(), l.layer() + " " + cv.gridMetrics());
      assertEquals(cv.gridMetrics().get(0), cv.meanMetric());
      assertTrue(cv.gridMetrics().get(0) > cv.gridMetrics().get(1), l.layer() + " " + cv.gridMetrics());
    }
    assertEquals(24 * 4, lazy.layers().get(1).featureDim());
    assertTrue(lazy.layers().get(1).accuracy() > 0.3, "block_2_add accuracy " + lazy.layers().get(1).accuracy());
  }

  @Test
  void theCrossValidatedModelIsTheChosenParamsRefittedOnTheWholeTrainingSplit() throws Exception {
    // the learner as configured (regParam 10) loses to 0.01 in the grid; the refit must use 0.01
    TransferSpec cv = base(LogicalPlan.EAGER).setLayers(List.of("block_2_expand_relu"))
        .optLearner(new LogisticRegression().setMaxIter(5).setRegParam(10.0))
        .optParamGrid(grid()).optFolds(2).build();
    TransferSpec refit = base(LogicalPlan.EAGER).setLayers(List.of("block_2_expand_relu"))
        .optLearner(new LogisticRegression().setMaxIter(5).setRegParam(0.01)).build();
    TransferResult.LayerResult a = FeatureTransfer.prepare(SparkTestSession.get(), cv, ProgressSink.SILENT).run().layers().get(0);
    TransferResult.LayerResult b = FeatureTransfer.prepare(SparkTestSession.get(), refit, ProgressSink.SILENT).run().layers().get(0);
    assertEquals(Map.of("regParam", "0.01"), a.crossValidation().chosenParams());
    assertEquals(0.01, (Double) a.model().getOrDefault(a.model().getParam("regParam")));
    assertEquals(160, a.trainRows());
    assertEquals(b.accuracy(), a.accuracy(), 1e-12);
    assertEquals(b.macroF1(), a.macroF1(), 1e-12);
    assertNull(b.crossValidation());
  }
}
