package org.argus.model.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static int8 quantization of the real MobileNetV2 (96², pixels → block_13_expand_relu): fusions keep
 * the function, the plan quantizes every Conv and Add, the int8 graph stays within the documented
 * tolerance of fp32 on fixed inputs, and ONNX Runtime fuses the QDQ groups into QLinearConv.
 */
class Int8QuantizerTest {
  private static final String LAYER = "block_13_expand_relu";
  private static ResolvedModel model;
  private static OnnxModel fp32;
  private static float[] x;
  private static long[] shape;

  @BeforeAll
  static void setUp() throws Exception {
    model = ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(96), ResolvedModel.LOCAL_FILES);
    GraphCut cut = model.cutFromPixels(List.of(LAYER));
    fp32 = cut.model();
    shape = model.preprocessing().batchShape(8);
    Random r = new Random(7);
    x = new float[8 * model.preprocessing().floatsPerExample()];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() * 2 - 1; // mobilenet_v2's tf scaling: [−1, 1]
    }
  }

  private static float[] run(OnnxModel m, float[] in, String out) throws Exception {
    try (ModelSession s = SessionCache.open(m.sourceName(), m.toBytes(), 1)) {
      return s.run(model.pixelInput(), in, shape, List.of(out)).get(0).values();
    }
  }

  /** Ranges measured directly on {@code in} (what Calibration does per partition, without Spark). */
  private static ActivationRanges rangesOn(float[] in) throws Exception {
    Int8Quantizer.Calibrated c = Int8Quantizer.calibrationGraph(fp32);
    RangeStats stats = new RangeStats(c.plan().measuredTensors(), null);
    try (ModelSession s = SessionCache.open("calibration", c.model().toBytes(), 1)) {
      List<ModelSession.Output> outs = s.run(model.pixelInput(), in, shape, c.plan().measuredTensors());
      for (int t = 0; t < outs.size(); t++) {
        stats.observe(t, outs.get(t).values(), 0, outs.get(t).values().length);
      }
    }
    return new ActivationRanges(stats.ranges(CalibrationMethod.MINMAX), new ActivationRanges.Provenance(
        fp32.sha256(), CalibrationMethod.MINMAX, 7, List.of("random-8"), "96x96 tf"));
  }

  @Test
  void theMinMaxCalibrationGraphGivesEachTensorsExactMinimumAndMaximum() throws Exception {
    Int8Quantizer.Calibrated c = Int8Quantizer.calibrationGraph(fp32);
    List<String> tensors = c.plan().measuredTensors().stream().filter(t -> !t.equals(model.pixelInput())).toList();
    List<String> names = new java.util.ArrayList<>();
    tensors.forEach(t -> {
      names.add(Int8Quantizer.minMaxOutput(t, true));
      names.add(Int8Quantizer.minMaxOutput(t, false));
    });
    try (ModelSession full = SessionCache.open("calibration-full", c.model().toBytes(), 1);
        ModelSession reduced = SessionCache.open("calibration-min-max", c.minMax().toBytes(), 1)) {
      List<ModelSession.Output> whole = full.run(model.pixelInput(), x, shape, tensors);
      List<ModelSession.Output> scalars = reduced.run(model.pixelInput(), x, shape, names);
      for (int t = 0; t < tensors.size(); t++) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : whole.get(t).values()) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        assertEquals(1, scalars.get(2 * t).values().length, tensors.get(t));
        assertEquals(lo, scalars.get(2 * t).values()[0], 0f, tensors.get(t) + " min");
        assertEquals(hi, scalars.get(2 * t + 1).values()[0], 0f, tensors.get(t) + " max");
      }
    }
  }

  @Test
  void fusionKeepsTheGraphsFunction() throws Exception {
    OnnxModel fused = OnnxModel.of(GraphFusion.fuse(fp32.proto()), "fused");
    assertTrue(fused.nodeCount() < fp32.nodeCount() - 20, fused.nodeCount() + " vs " + fp32.nodeCount());
    assertFalse(fused.proto().getGraph().getNodeList().stream()
        .anyMatch(n -> n.getOpType().equals("BatchNormalization") || n.getOpType().equals("Pad")));
    float[] a = run(fp32, x, LAYER);
    float[] b = run(fused, x, LAYER);
    assertTrue(maxRelativeError(a, b) < 1e-4, "max error / max |value| = " + maxRelativeError(a, b));
  }

  @Test
  void planQuantizesEveryConvAndAddAndAbsorbsReluSix() {
    QdqPlan plan = QdqPlan.of(GraphFusion.fuse(fp32.proto()));
    long convs = fp32.proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count();
    assertEquals((int) convs, plan.quantizedOps().get("Conv"));
    assertEquals(8, plan.quantizedOps().get("Add"));
    assertEquals(Map.of("Transpose", 1), plan.fp32Ops(), "only the NHWC → NCHW transpose stays fp32");
    assertTrue(plan.absorbed().size() > 20, "ReLU6 after a Conv is absorbed: " + plan.absorbed().size());
  }

  @Test
  void int8GraphStaysWithinToleranceOfFp32OnFixedInputs() throws Exception {
    OnnxModel q = Int8Quantizer.quantize(fp32, rangesOn(x)).model();
    float[] a = run(fp32, x, LAYER);
    float[] b = run(q, x, LAYER);
    assertEquals(a.length, b.length);
    double cos = cosine(a, b);
    assertTrue(cos >= 0.99, "cosine " + cos);
    assertTrue(maxRelativeError(a, b) < 0.15, "max error / max |value| = " + maxRelativeError(a, b));
  }

  @Test
  void onnxRuntimeFusesEveryQuantizedConvIntoQLinearConv(@TempDir Path dir) throws Exception {
    OnnxModel q = Int8Quantizer.quantize(fp32, rangesOn(x)).model();
    Path optimized = dir.resolve("optimized.onnx");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      o.setOptimizedModelFilePath(optimized.toString());
      env.createSession(q.toBytes(), o).close();
    }
    Map<String, Integer> ops = new HashMap<>();
    for (NodeProto n : ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()) {
      ops.merge(n.getOpType(), 1, Integer::sum);
    }
    long convs = fp32.proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count();
    assertEquals((int) convs, ops.getOrDefault("QLinearConv", 0), "optimized graph ops: " + ops);
    assertFalse(ops.containsKey("Conv") || ops.containsKey("FusedConv"), "no float Conv left: " + ops);
  }

  @Test
  void quantizedGraphRecordsItsCalibrationProvenance() throws Exception {
    ActivationRanges ranges = rangesOn(x);
    Int8Quantizer.Quantized q = Int8Quantizer.quantize(fp32, ranges);
    Map<String, String> meta = new HashMap<>();
    q.model().proto().getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
    assertEquals(fp32.sha256(), meta.get("argus.int8.fp32_sha256"));
    assertEquals("minmax", meta.get("argus.int8.method"));
    assertEquals("random-8", meta.get("argus.int8.sample_ids"));
    assertEquals(ranges.provenance().key(), meta.get("argus.int8.key"));
    assertTrue(QdqPlan.alreadyQuantized(q.model().proto()));
    assertFalse(QdqPlan.alreadyQuantized(fp32.proto()));
  }

  @Test
  void aTensorWithoutARangeIsNamed() {
    ActivationRanges none = new ActivationRanges(Map.of(), new ActivationRanges.Provenance(fp32.sha256(),
        CalibrationMethod.MINMAX, 1, List.of(), "none"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(fp32, none));
    assertTrue(e.getMessage().contains("has no calibrated range"), e.getMessage());
  }

  @Test
  void percentileRangesLieInsideMinMaxAndKeepAReluFloorOfZero() {
    RangeStats first = new RangeStats(List.of("t"), null);
    float[] v = new float[100_000];
    Random r = new Random(3);
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.max(0, (float) r.nextGaussian());
    }
    v[0] = 40f; // an outlier
    first.observe(0, v, 0, v.length);
    RangeStats second = new RangeStats(List.of("t"), first.minMax());
    second.observe(0, v, 0, 50_000);
    second.merge(new RangeStats(List.of("t"), first.minMax()));
    RangeStats rest = new RangeStats(List.of("t"), first.minMax());
    rest.observe(0, v, 50_000, v.length);
    second.merge(rest);
    float[] p = second.ranges(CalibrationMethod.PERCENTILE).get("t");
    assertEquals(0f, p[0]);
    assertTrue(p[1] < 6f && p[1] > 3f, "99.99th percentile of a half-normal ≈ 3.9, found " + p[1]);
    assertEquals(40f, first.ranges(CalibrationMethod.MINMAX).get("t")[1]);
  }

  @Test
  void uint8ParametersMakeZeroExact() {
    float[] p = Int8Quantizer.uint8Params(-1.5f, 4.5f);
    assertEquals(6f / 255, p[0], 1e-7);
    assertEquals(64f, p[1]);
    assertEquals(0f, p[0] * (Math.round(0 / p[0] + p[1]) - p[1]));
    assertEquals(1f, Int8Quantizer.uint8Params(0f, 0f)[0], "a constant-zero tensor gets scale 1");
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  static double maxRelativeError(float[] a, float[] b) {
    double max = 0;
    double err = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i]));
      err = Math.max(err, Math.abs(a[i] - b[i]));
    }
    return err / max;
  }
}
