package org.argus.execution.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.argus.execution.ProgressSink;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Precision;
import org.argus.plan.MaterializedFormat;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * A staged int8 plan may store its activations as the uint8 codes of each stage's own quantization
 * ({@link MaterializedFormat#BINARY_UINT8}): the features equal those of float32 activations and
 * the held activation column is smaller (real MobileNetV2 64², real Fashion-MNIST).
 */
class Uint8ActivationsTest {
  private static TransferSpec spec(Precision p, MaterializedFormat f) {
    // stage 2 reads stage 1's activation (block_3_expand is a convolution of block_2_add)
    return FeatureTransferTest.base(null).setLayers(List.of("block_2_add", "block_3_expand_relu")).optPrecision(p)
        .optCalibration(new CalibrationSpec(CalibrationMethod.MINMAX, 32, 7))
        .optOverrides(new Overrides(LogicalPlan.STAGED, null, null, null, null, null, null, null, null, f)).build();
  }

  /** @return id → features of every column, and the bytes held when the first stage ended */
  private static Map<Long, List<float[]>> materialize(MaterializedFormat f, long[] firstStageHeld) throws Exception {
    MaterializedFeatures m = FeatureTransfer.prepare(SparkTestSession.get(), spec(Precision.INT8, f),
        ProgressSink.SILENT).materialize();
    try {
      firstStageHeld[0] = m.measured().phases().stream().filter(p -> p.label().startsWith("stage 1/")).findFirst()
          .orElseThrow().heldBytes();
      return MaterializeTest.features(m);
    } finally {
      m.unpersist();
    }
  }

  @Test
  void uint8ActivationsGiveTheFeaturesOfFloat32ActivationsFromFewerBytes() throws Exception {
    long[] heldF32 = new long[1];
    long[] heldU8 = new long[1];
    Map<Long, List<float[]>> f32 = materialize(MaterializedFormat.BINARY_FLOAT32, heldF32);
    Map<Long, List<float[]>> u8 = materialize(MaterializedFormat.BINARY_UINT8, heldU8);
    assertEquals(f32.keySet(), u8.keySet());
    for (Map.Entry<Long, List<float[]>> e : f32.entrySet()) {
      for (int c = 0; c < e.getValue().size(); c++) {
        assertArrayEquals(e.getValue().get(c), u8.get(e.getKey()).get(c), "id " + e.getKey() + " column " + c);
      }
    }
    assertTrue(heldU8[0] < heldF32[0] * 0.6, "stage 1 held " + heldU8[0] + " B with uint8 vs " + heldF32[0]
        + " B with float32 activations");
  }

  @Test
  void uint8ActivationsOfAnFp32TransferAreRefusedSayingWhy() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureTransfer.prepare(
        SparkTestSession.get(), spec(Precision.FP32, MaterializedFormat.BINARY_UINT8), ProgressSink.SILENT));
    assertTrue(e.getMessage().contains("binary-uint8") && e.getMessage().contains("int8"), e.getMessage());
  }

  @Test
  void uint8CodesRoundTripADequantizedTensorExactly() {
    float scale = 0.0473f;
    int zp = 17;
    float[] dq = new float[256];
    for (int q = 0; q < 256; q++) {
      dq[q] = (float) (q - zp) * scale;
    }
    byte[] codes = MaterializedFormat.encodeUint8(dq, 0, 256, scale, zp);
    float[] back = new float[256];
    assertEquals(256, MaterializedFormat.decodeUint8(codes, back, 0, 256, scale, zp));
    assertArrayEquals(dq, back);
    assertEquals(MaterializedFormat.BINARY_UINT8, MaterializedFormat.parse("binary-uint8"));
    assertEquals(4 + 1000, MaterializedFormat.BINARY_UINT8.activationCellBytes(1000));
  }
}
