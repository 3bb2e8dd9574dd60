package org.argus.model.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.model.keras.OnnxProtos;
import org.argus.model.onnx.TensorData;

/**
 * Rewrites that keep a graph's function (up to float rounding) and let quantization see one node
 * where ONNX Runtime will run one kernel:
 *
 * <ul>
 *   <li><b>BatchNormalization folded into the Conv before it</b> ({@code W'_c = W_c·γ_c/√(σ²_c+ε)},
 *       {@code b'_c = (b_c − μ_c)·γ_c/√(σ²_c+ε) + β_c}; Jacob et al. CVPR 2018 §3.2), when the Conv's
 *       output feeds only that BatchNormalization and is not a graph output. The Conv then writes
 *       the BatchNormalization's output tensor, so layer names stay valid.
 *   <li><b>A constant-zero Pad folded into the Conv after it</b> (its spatial pads added to the
 *       Conv's {@code pads}), when the Pad pads only H and W of an {@code [N, C, H, W]} tensor, feeds
 *       only that Conv and the Conv has no {@code auto_pad}.
 * </ul>
 *
 * <p>Everything else is copied as is. Stateless.
 */
public final class GraphFusion {
  private GraphFusion() {}

  /**
   * Applies both fusions.
   *
   * @param model an fp32 graph (opset ≥ 11: Pad takes its pads as an input)
   * @return the fused model (same inputs, outputs and tensor names, fewer nodes)
   */
  public static ModelProto fuse(ModelProto model) {
    GraphProto g = model.getGraph();
    Map<String, TensorProto> init = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      init.put(t.getName(), t);
    }
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(o -> outputs.add(o.getName()));
    List<NodeProto> nodes = new ArrayList<>(g.getNodeList());
    foldBatchNorms(nodes, init, outputs);
    foldPads(nodes, init, outputs);
    Set<String> used = new HashSet<>();
    nodes.forEach(n -> used.addAll(n.getInputList()));
    GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(nodes).clearInitializer();
    init.values().stream().filter(t -> used.contains(t.getName())).forEach(gb::addInitializer);
    return model.toBuilder().setGraph(gb).build();
  }

  /** @return tensor name → number of consuming nodes */
  static Map<String, Integer> consumers(List<NodeProto> nodes) {
    Map<String, Integer> c = new HashMap<>();
    for (NodeProto n : nodes) {
      for (String i : n.getInputList()) {
        c.merge(i, 1, Integer::sum);
      }
    }
    return c;
  }

  private static void foldBatchNorms(List<NodeProto> nodes, Map<String, TensorProto> init, Set<String> outputs) {
    Map<String, Integer> consumers = consumers(nodes);
    Map<String, Integer> producer = producers(nodes);
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto bn = nodes.get(i);
      if (!bn.getOpType().equals("BatchNormalization") || bn.getInputCount() != 5 || bn.getOutputCount() != 1) {
        continue;
      }
      Integer ci = producer.get(bn.getInput(0));
      if (ci == null || consumers.getOrDefault(bn.getInput(0), 0) != 1 || outputs.contains(bn.getInput(0))) {
        continue;
      }
      NodeProto conv = nodes.get(ci);
      if (!conv.getOpType().equals("Conv") || !init.containsKey(conv.getInput(1))
          || (conv.getInputCount() > 2 && !init.containsKey(conv.getInput(2)))
          || !bn.getInputList().subList(1, 5).stream().allMatch(init::containsKey)) {
        continue;
      }
      nodes.set(ci, foldedConv(conv, bn, init));
      nodes.set(i, null);
    }
    nodes.removeIf(n -> n == null);
  }

  private static NodeProto foldedConv(NodeProto conv, NodeProto bn, Map<String, TensorProto> init) {
    float[] w = floats(init.get(conv.getInput(1)));
    long[] wDims = TensorData.decode(init.get(conv.getInput(1))).shape();
    int out = (int) wDims[0];
    int per = w.length / out;
    float[] b = conv.getInputCount() > 2 ? floats(init.get(conv.getInput(2))) : new float[out];
    float[] gamma = floats(init.get(bn.getInput(1)));
    float[] beta = floats(init.get(bn.getInput(2)));
    float[] mean = floats(init.get(bn.getInput(3)));
    float[] var = floats(init.get(bn.getInput(4)));
    float eps = 1e-5f;
    for (AttributeProto a : bn.getAttributeList()) {
      if (a.getName().equals("epsilon")) {
        eps = a.getF();
      }
    }
    float[] w2 = new float[w.length];
    float[] b2 = new float[out];
    for (int c = 0; c < out; c++) {
      double k = gamma[c] / Math.sqrt((double) var[c] + eps);
      for (int j = 0; j < per; j++) {
        w2[c * per + j] = (float) (w[c * per + j] * k);
      }
      b2[c] = (float) ((b[c] - mean[c]) * k + beta[c]);
    }
    String base = bn.getOutput(0);
    init.put(base + "/folded_W", OnnxProtos.floatTensor(base + "/folded_W", wDims, w2));
    init.put(base + "/folded_B", OnnxProtos.floatTensor(base + "/folded_B", new long[] {out}, b2));
    return conv.toBuilder().clearInput().addInput(conv.getInput(0)).addInput(base + "/folded_W")
        .addInput(base + "/folded_B").clearOutput().addOutput(base).build();
  }

  private static void foldPads(List<NodeProto> nodes, Map<String, TensorProto> init, Set<String> outputs) {
    Map<String, Integer> consumers = consumers(nodes);
    Map<String, List<Integer>> readers = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String in : nodes.get(i).getInputList()) {
        readers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto pad = nodes.get(i);
      if (pad == null || !pad.getOpType().equals("Pad") || pad.getOutputCount() != 1) {
        continue;
      }
      String y = pad.getOutput(0);
      if (consumers.getOrDefault(y, 0) != 1 || outputs.contains(y)) {
        continue;
      }
      long[] p = zeroSpatialPads(pad, init);
      int ci = readers.get(y).get(0);
      NodeProto conv = nodes.get(ci);
      if (p == null || conv == null || !conv.getOpType().equals("Conv") || !conv.getInput(0).equals(y)
          || conv.getAttributeList().stream().anyMatch(a -> a.getName().equals("auto_pad")
              && !a.getS().toStringUtf8().equals("NOTSET"))) {
        continue;
      }
      long[] cp = {0, 0, 0, 0};
      List<AttributeProto> keep = new ArrayList<>();
      for (AttributeProto a : conv.getAttributeList()) {
        if (a.getName().equals("pads")) {
          for (int k = 0; k < 4; k++) {
            cp[k] = a.getInts(k);
          }
        } else if (!a.getName().equals("auto_pad")) {
          keep.add(a);
        }
      }
      // ONNX pads: [x1_begin, x2_begin, x1_end, x2_end] for Conv; Pad over NCHW: [n,c,h,w begins, n,c,h,w ends]
      long[] merged = {cp[0] + p[2], cp[1] + p[3], cp[2] + p[6], cp[3] + p[7]};
      keep.add(OnnxProtos.attrInts("pads", merged));
      nodes.set(ci, conv.toBuilder().setInput(0, pad.getInput(0)).clearAttribute().addAllAttribute(keep).build());
      nodes.set(i, null);
    }
    nodes.removeIf(n -> n == null);
  }

  /** @return the Pad's 8 pads when it pads only H and W of a 4-d tensor with constant 0, else null */
  private static long[] zeroSpatialPads(NodeProto pad, Map<String, TensorProto> init) {
    for (AttributeProto a : pad.getAttributeList()) {
      if (a.getName().equals("mode") && !a.getS().toStringUtf8().equals("constant")) {
        return null;
      }
    }
    if (pad.getInputCount() < 2 || !init.containsKey(pad.getInput(1))) {
      return null;
    }
    if (pad.getInputCount() > 2 && !pad.getInput(2).isEmpty()) {
      TensorProto v = init.get(pad.getInput(2));
      if (v == null || floats(v).length != 1 || floats(v)[0] != 0f) {
        return null;
      }
    }
    if (pad.getInputCount() > 3) {
      return null; // axes input (opset 18)
    }
    long[] p = (long[]) TensorData.decode(init.get(pad.getInput(1))).values();
    if (p.length != 8 || p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0) {
      return null;
    }
    for (long x : p) {
      if (x < 0) {
        return null;
      }
    }
    return p;
  }

  /** @return tensor name → index of the node producing it */
  static Map<String, Integer> producers(List<NodeProto> nodes) {
    Map<String, Integer> p = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).getOutputList()) {
        p.put(o, i);
      }
    }
    return p;
  }

  /** @return a float initializer's values */
  static float[] floats(TensorProto t) {
    Object v = TensorData.decode(t).values();
    if (v instanceof float[] f) {
      return f;
    }
    if (v instanceof double[] d) {
      float[] f = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        f[i] = (float) d[i];
      }
      return f;
    }
    throw new IllegalArgumentException("initializer '" + t.getName() + "' is not floating point");
  }
}
