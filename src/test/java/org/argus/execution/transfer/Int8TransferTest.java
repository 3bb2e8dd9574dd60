package org.argus.execution.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.classification.LogisticRegression;
import org.argus.execution.ProgressSink;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Precision;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * {@code precision=int8} in feature transfer on the real MobileNetV2 and Fashion-MNIST: a staged run
 * quantizes every stage's cut, EXPLAIN says int8 per stage and which ops stay fp32, the report's
 * notes carry the calibration provenance and the per-layer accuracy guard, and the int8 accuracy
 * stays near fp32's.
 */
class Int8TransferTest {
  private static final List<String> LAYERS = List.of("block_3_expand_relu", "block_6_expand_relu");

  private static TransferSpec spec(Precision p) {
    return TransferSpec.builder().setFashionMnist(160, 80).setModel("mobilenet_v2").optInputSize(64)
        .setLayers(LAYERS).optPrecision(p).optCalibration(new CalibrationSpec(CalibrationMethod.MINMAX, 64, 42))
        .optLearner(new LogisticRegression().setMaxIter(20).setRegParam(1e-2))
        .optOverrides(Overrides.NONE.withPlan(LogicalPlan.STAGED)).build();
  }

  @Test
  void stagedInt8TransferExplainsQuantizesGuardsAndStaysNearFp32() throws Exception {
    FeatureTransfer int8 = FeatureTransfer.prepare(SparkTestSession.get(), spec(Precision.INT8), ProgressSink.SILENT);
    String explain = int8.explain();
    assertTrue(explain.contains("stage 1/2: input_1 → block_3_expand_relu [int8]"), explain);
    assertTrue(explain.contains("stage 2/2: block_3_expand_relu → block_6_expand_relu [int8]"), explain);
    assertTrue(explain.contains("int8: one fp32 calibration pass over 64 images"), explain);
    assertTrue(explain.contains("left fp32: {Transpose=1}"), explain);
    TransferResult q = int8.run();
    TransferResult f = FeatureTransfer.prepare(SparkTestSession.get(), spec(Precision.FP32), ProgressSink.SILENT).run();
    String notes = String.join("\n", q.notes());
    assertTrue(notes.contains("int8 calibration: minmax on 64 images (seed 42"), notes);
    for (String layer : LAYERS) {
      assertTrue(notes.contains("int8 vs fp32 on 64 held-out images, " + layer + ": cosine 0.9"), notes);
    }
    assertTrue(!notes.contains("BELOW"), notes);
    for (int i = 0; i < LAYERS.size(); i++) {
      assertEquals(f.layers().get(i).featureDim(), q.layers().get(i).featureDim());
      assertEquals(f.layers().get(i).accuracy(), q.layers().get(i).accuracy(), 0.06,
          "80 test images: int8 within 6 points of fp32 at " + LAYERS.get(i));
    }
    assertTrue(f.notes().stream().noneMatch(n -> n.contains("int8")), "an fp32 run says nothing about int8");
  }
}
