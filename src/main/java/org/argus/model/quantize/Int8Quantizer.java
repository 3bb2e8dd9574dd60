package org.argus.model.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.OnnxProtos;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.onnx.TensorData;

/**
 * Static int8 quantization of an fp32 graph in QDQ form: {@link GraphFusion}, then the {@link QdqPlan},
 * then QuantizeLinear/DequantizeLinear pairs on every planned activation tensor with its calibrated
 * range, int8 per-output-channel weights and int32 biases behind DequantizeLinear (see the package
 * comment for the scheme). ONNX Runtime's graph optimizer (level {@code ALL_OPT}) fuses each
 * {@code DQ → op → Q} group into one quantized kernel; ops left in fp32 run between a DQ and a Q.
 *
 * <p>Tolerance (checked by {@code Int8QuantizerTest} on MobileNetV2 96², pixels → block_13_expand_relu,
 * fixed inputs it was calibrated on): cosine similarity to the fp32 output ≥ 0.99 and max absolute error
 * ≤ 0.15 · max |fp32 value|. On held-out images the run's accuracy guard measures the same per layer
 * ({@code org.argus.execution.inference.PrecisionCheck}).
 *
 * <p>The result's {@code metadata_props} record the calibration provenance ({@code
 * argus.int8.fp32_sha256}, {@code argus.int8.method}, {@code argus.int8.seed}, {@code
 * argus.int8.sample_ids}, {@code argus.int8.preprocessing}, {@code argus.int8.key}). Stateless.
 */
public final class Int8Quantizer {
  private Int8Quantizer() {}

  /**
   * A quantized graph with what it is made of.
   *
   * @param model the int8 graph (same inputs, outputs and output shapes as the fp32 one; outputs float32)
   * @param plan which nodes were quantized and which stayed fp32
   * @param provenance the calibration it was quantized with
   */
  public record Quantized(OnnxModel model, QdqPlan plan, ActivationRanges.Provenance provenance) {}

  /**
   * Fuses and plans a graph: what calibration runs (the fused fp32 graph, same function) and which
   * tensors it must measure.
   *
   * @param fp32 an fp32 graph
   * @return the fused graph with every {@link QdqPlan#measuredTensors()} added as a graph output, and the plan
   * @throws ModelFormatException when the rewritten graph fails validation (a bug; names the graph)
   */
  public static Calibrated calibrationGraph(OnnxModel fp32) throws ModelFormatException {
    ModelProto fused = GraphFusion.fuse(fp32.proto());
    QdqPlan plan = QdqPlan.of(fused);
    GraphProto.Builder g = fused.getGraph().toBuilder();
    Set<String> outs = new HashSet<>();
    g.getOutputList().forEach(o -> outs.add(o.getName()));
    for (String t : plan.measuredTensors()) {
      if (outs.add(t)) {
        g.addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(t));
      }
    }
    // the min/max pass: per measured tensor a ReduceMin and a ReduceMax over all its axes (keepdims 0,
    // no axes: every opset reduces everything), so ONNX Runtime hands back 2 floats, not the tensor
    GraphProto.Builder r = fused.getGraph().toBuilder().clearOutput();
    for (String t : plan.measuredTensors()) {
      for (String op : List.of("ReduceMin", "ReduceMax")) {
        String out = minMaxOutput(t, op.equals("ReduceMin"));
        r.addNode(NodeProto.newBuilder().setOpType(op).setName(out).addInput(t).addOutput(out)
            .addAttribute(OnnxProtos.attrI("keepdims", 0)));
        r.addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(out));
      }
    }
    return new Calibrated(OnnxModel.of(fused.toBuilder().setGraph(g).build(), fp32.sourceName() + " (calibration)"),
        plan, OnnxModel.of(fused.toBuilder().setGraph(r).build(), fp32.sourceName() + " (calibration min/max)"));
  }

  /**
   * @param tensor a measured tensor
   * @param min its minimum (else its maximum)
   * @return the output of {@link Calibrated#minMax()} holding that scalar
   */
  public static String minMaxOutput(String tensor, boolean min) {
    return tensor + (min ? "/calibration_min" : "/calibration_max");
  }

  /**
   * The graphs calibration runs.
   *
   * @param model the fused fp32 graph whose outputs include every tensor to measure (a percentile
   *     pass's histograms read whole tensors)
   * @param plan the plan the measured ranges are for
   * @param minMax the fused fp32 graph whose outputs are, per measured tensor in {@link
   *     QdqPlan#measuredTensors()} order, its minimum and maximum as scalars ({@link #minMaxOutput}):
   *     a min/max pass fetches 2 floats a tensor instead of the tensor (the same values: a minimum is
   *     exact; a tensor holding NaN reports NaN, which the pass skips)
   */
  public record Calibrated(OnnxModel model, QdqPlan plan, OnnxModel minMax) {}

  /**
   * Quantizes a graph.
   *
   * @param fp32 the fp32 graph (its sha256 must be the one the ranges were measured on, or a cut of it)
   * @param ranges calibrated ranges covering every tensor of the graph's plan
   * @return the int8 graph
   * @throws IllegalArgumentException when a planned tensor has no range (names it)
   * @throws ModelFormatException when the rewritten graph fails validation (a bug; names the graph)
   */
  public static Quantized quantize(OnnxModel fp32, ActivationRanges ranges) throws ModelFormatException {
    ModelProto fused = GraphFusion.fuse(fp32.proto());
    QdqPlan plan = QdqPlan.of(fused);
    GraphProto g = fused.getGraph();
    Map<String, TensorProto> init = new LinkedHashMap<>();
    g.getInitializerList().forEach(t -> init.put(t.getName(), t));
    Map<String, float[]> qp = new HashMap<>(); // tensor → {scale, zeroPoint}
    for (String t : plan.tensors()) {
      float[] r = ranges.range(plan.sameRangeAs().getOrDefault(t, t));
      qp.put(t, uint8Params(r[0], r[1]));
    }
    Set<String> graphInputs = new HashSet<>();
    g.getInputList().forEach(i -> graphInputs.add(i.getName()));
    List<NodeProto> prologue = new ArrayList<>();
    Map<String, String> rewire = new HashMap<>();
    for (String t : plan.tensors()) {
      if (graphInputs.contains(t)) {
        qdq(prologue, init, t, t, t + "/dq", qp.get(t));
        rewire.put(t, t + "/dq");
      }
    }
    Map<String, String> convWrites = new HashMap<>();
    Map<String, String> absorbedOut = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      if (plan.absorbed().containsKey(n.getName())) {
        absorbedOut.put(plan.absorbed().get(n.getName()), n.getOutput(0));
      }
    }
    List<NodeProto> body = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (plan.absorbed().containsKey(n.getName())) {
        continue;
      }
      NodeProto.Builder b = n.toBuilder();
      for (int i = 0; i < b.getInputCount(); i++) {
        if (rewire.containsKey(b.getInput(i))) {
          b.setInput(i, rewire.get(b.getInput(i)));
        }
      }
      if (plan.quantizedNodes().contains(n.getName()) && n.getOpType().equals("Conv")) {
        quantizeConvConstants(b, init, prologue, qp.get(n.getInput(0))[0]);
        if (absorbedOut.containsKey(n.getName())) {
          b.setOutput(0, absorbedOut.get(n.getName()));
        }
      }
      List<NodeProto> after = new ArrayList<>();
      for (int o = 0; o < b.getOutputCount(); o++) {
        String t = b.getOutput(o);
        if (qp.containsKey(t) && !graphInputs.contains(t)) {
          b.setOutput(o, t + "/fp32");
          qdq(after, init, t + "/fp32", t, t, qp.get(t));
        }
      }
      body.add(b.build());
      body.addAll(after);
    }
    Set<String> used = new HashSet<>();
    prologue.forEach(n -> used.addAll(n.getInputList()));
    body.forEach(n -> used.addAll(n.getInputList()));
    GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(prologue).addAllNode(body).clearInitializer();
    init.values().stream().filter(t -> used.contains(t.getName())).forEach(gb::addInitializer);
    ModelProto.Builder mb = fused.toBuilder().setGraph(gb);
    ActivationRanges.Provenance p = ranges.provenance();
    meta(mb, "argus.int8.fp32_sha256", p.fp32Sha256());
    meta(mb, "argus.int8.method", p.method().paramValue());
    meta(mb, "argus.int8.seed", Long.toString(p.seed()));
    meta(mb, "argus.int8.sample_ids", String.join("\n", p.sampleIds()));
    meta(mb, "argus.int8.preprocessing", p.preprocessing());
    meta(mb, "argus.int8.key", p.key());
    return new Quantized(OnnxModel.of(mb.build(), fp32.sourceName() + " (int8)"), plan, p);
  }

  /**
   * The uint8 parameters a quantized graph dequantizes a tensor with: those of the
   * DequantizeLinear node that writes it (per-tensor scale and zero point, both initializers).
   * A staged int8 plan stores that tensor as its uint8 codes under them ({@code
   * MaterializedFormat.BINARY_UINT8}) and the next stage reads the same float32 values.
   *
   * @param quantized a graph this class quantized (or any QDQ graph)
   * @param tensor a tensor of it, e.g. a cut's output layer
   * @return {@code {scale, zeroPoint}}, or empty when no DequantizeLinear with per-tensor uint8
   *     initializer parameters writes {@code tensor} (an fp32 graph, an op left fp32)
   */
  public static java.util.Optional<float[]> dequantizeParams(OnnxModel quantized, String tensor) {
    GraphProto g = quantized.proto().getGraph();
    for (NodeProto n : g.getNodeList()) {
      if (!n.getOpType().equals("DequantizeLinear") || n.getOutputCount() != 1 || !n.getOutput(0).equals(tensor)
          || n.getInputCount() < 3) {
        continue;
      }
      TensorProto scale = null;
      TensorProto zp = null;
      for (TensorProto t : g.getInitializerList()) {
        if (t.getName().equals(n.getInput(1))) {
          scale = t;
        } else if (t.getName().equals(n.getInput(2))) {
          zp = t;
        }
      }
      if (scale == null || zp == null || scale.getDimsCount() != 0 || zp.getDimsCount() != 0
          || scale.getDataType() != TensorProto.DataType.FLOAT_VALUE
          || zp.getDataType() != TensorProto.DataType.UINT8_VALUE) {
        return java.util.Optional.empty();
      }
      float s = scale.getFloatDataCount() > 0 ? scale.getFloatData(0)
          : ByteBuffer.wrap(scale.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getFloat();
      int z = zp.getInt32DataCount() > 0 ? zp.getInt32Data(0) : zp.getRawData().byteAt(0) & 0xFF;
      return java.util.Optional.of(new float[] {s, z});
    }
    return java.util.Optional.empty();
  }

  /**
   * uint8 asymmetric parameters of a range, widened to include 0 (so zero padding is exact).
   *
   * @param min the range's minimum
   * @param max the range's maximum
   * @return {@code {scale, zeroPoint}}; scale 1 for an all-zero range
   */
  static float[] uint8Params(float min, float max) {
    double lo = Math.min(min, 0);
    double hi = Math.max(max, 0);
    if (!(hi > lo)) {
      return new float[] {1f, 0f};
    }
    double scale = (hi - lo) / 255.0;
    long zp = Math.round(-lo / scale);
    return new float[] {(float) scale, Math.max(0, Math.min(255, zp))};
  }

  private static void qdq(List<NodeProto> into, Map<String, TensorProto> init, String from, String base,
      String to, float[] p) {
    String s = base + "/scale";
    String z = base + "/zero_point";
    init.put(s, OnnxProtos.floatTensor(s, new long[0], new float[] {p[0]}));
    init.put(z, raw(z, TensorProto.DataType.UINT8_VALUE, new long[0], new byte[] {(byte) (int) p[1]}));
    into.add(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(base + "/Q").addInput(from).addInput(s)
        .addInput(z).addOutput(base + "/q").build());
    into.add(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(base + "/DQ").addInput(base + "/q")
        .addInput(s).addInput(z).addOutput(to).build());
  }

  /** Replaces a Conv's float weight (and bias) by int8 (int32) initializers behind DequantizeLinear. */
  private static void quantizeConvConstants(NodeProto.Builder conv, Map<String, TensorProto> init,
      List<NodeProto> prologue, float inputScale) {
    String wName = conv.getInput(1);
    TensorData w = TensorData.decode(init.get(wName));
    float[] wv = GraphFusion.floats(init.get(wName));
    int out = (int) w.shape()[0];
    int per = wv.length / out;
    float[] scales = new float[out];
    byte[] q = new byte[wv.length];
    for (int c = 0; c < out; c++) {
      float m = 0;
      for (int j = 0; j < per; j++) {
        m = Math.max(m, Math.abs(wv[c * per + j]));
      }
      scales[c] = m > 0 ? m / 127f : 1f;
      for (int j = 0; j < per; j++) {
        q[c * per + j] = (byte) Math.max(-127, Math.min(127, Math.round(wv[c * per + j] / scales[c])));
      }
    }
    String base = conv.getName() + "/W";
    init.put(base + "/q", raw(base + "/q", TensorProto.DataType.INT8_VALUE, w.shape(), q));
    init.put(base + "/scale", OnnxProtos.floatTensor(base + "/scale", new long[] {out}, scales));
    init.put(base + "/zero_point", raw(base + "/zero_point", TensorProto.DataType.INT8_VALUE, new long[] {out},
        new byte[out]));
    prologue.add(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(base + "/DQ").addInput(base + "/q")
        .addInput(base + "/scale").addInput(base + "/zero_point").addOutput(base + "/dq")
        .addAttribute(OnnxProtos.attrI("axis", 0)).build());
    conv.setInput(1, base + "/dq");
    if (conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()) {
      float[] bias = GraphFusion.floats(init.get(conv.getInput(2)));
      ByteBuffer bb = ByteBuffer.allocate(out * 4).order(ByteOrder.LITTLE_ENDIAN);
      float[] bs = new float[out];
      for (int c = 0; c < out; c++) {
        bs[c] = inputScale * scales[c];
        double v = Math.rint(bias[c] / (double) bs[c]);
        bb.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v)));
      }
      String bBase = conv.getName() + "/B";
      init.put(bBase + "/q", raw(bBase + "/q", TensorProto.DataType.INT32_VALUE, new long[] {out}, bb.array()));
      init.put(bBase + "/scale", OnnxProtos.floatTensor(bBase + "/scale", new long[] {out}, bs));
      prologue.add(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(bBase + "/DQ")
          .addInput(bBase + "/q").addInput(bBase + "/scale").addOutput(bBase + "/dq")
          .addAttribute(OnnxProtos.attrI("axis", 0)).build());
      conv.setInput(2, bBase + "/dq");
    }
  }

  private static TensorProto raw(String name, int type, long[] dims, byte[] data) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(data));
    for (long d : dims) {
      b.addDims(d);
    }
    return b.build();
  }

  private static void meta(ModelProto.Builder mb, String key, String value) {
    mb.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
  }
}
