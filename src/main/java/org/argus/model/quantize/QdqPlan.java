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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which nodes of a fused fp32 graph ({@link GraphFusion}) are quantized and which activation tensors
 * need a calibrated range. Computed from the graph alone, before calibration, so that calibration
 * fetches exactly the tensors the rewrite will quantize.
 *
 * <p>Quantized op types ({@link #QUANTIZED_OPS}): {@code Conv} with constant weights (incl. grouped
 * and depthwise), {@code Add} and {@code Concat} of activations, {@code MaxPool}, {@code AveragePool},
 * {@code GlobalAveragePool}. Every other op (Gemm, Softmax, Transpose, Pad that could not be folded,
 * Clip/Relu that could not be absorbed, …) stays fp32 and is counted in {@link #fp32Ops()}.
 *
 * <p>A {@code Relu}, or a {@code Clip} whose lower bound is 0 (ReLU6), that directly follows a
 * quantized Conv whose output feeds nothing else is <em>absorbed</em>: the Conv writes the
 * activation's output and the uint8 quantization of that tensor (range [0, max], zero point 0)
 * performs the clamp, as ONNX Runtime's quantizer does ({@code QDQRemovableActivation}).
 *
 * @param quantizedNodes names of the nodes that run quantized
 * @param absorbed activation node name → the Conv node name that absorbs it
 * @param tensors the activation tensors that get a QuantizeLinear/DequantizeLinear pair, in graph
 *     order (what calibration must measure)
 * @param sameRangeAs tensor → tensor whose range it shares (a MaxPool's output shares its input's, so
 *     ONNX Runtime can run the pool on uint8 directly)
 * @param quantizedOps op type → count of quantized nodes
 * @param fp32Ops op type → count of nodes left in fp32
 */
public record QdqPlan(Set<String> quantizedNodes, Map<String, String> absorbed, List<String> tensors,
    Map<String, String> sameRangeAs, Map<String, Integer> quantizedOps, Map<String, Integer> fp32Ops) {

  /** Op types the rewrite quantizes. */
  public static final Set<String> QUANTIZED_OPS =
      Set.of("Conv", "Add", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool");

  /** Op types that mark a graph as already quantized. */
  public static final Set<String> QUANTIZED_MARKERS = Set.of("QuantizeLinear", "DequantizeLinear", "QLinearConv",
      "ConvInteger", "MatMulInteger", "QLinearMatMul", "DynamicQuantizeLinear");

  /** Copies. */
  public QdqPlan {
    quantizedNodes = Set.copyOf(quantizedNodes);
    absorbed = Map.copyOf(absorbed);
    tensors = List.copyOf(tensors);
    sameRangeAs = Map.copyOf(sameRangeAs);
    quantizedOps = new TreeMap<>(quantizedOps);
    fp32Ops = new TreeMap<>(fp32Ops);
  }

  /**
   * @param model any ONNX model
   * @return true when it already contains quantization ops ({@link #QUANTIZED_MARKERS})
   */
  public static boolean alreadyQuantized(ModelProto model) {
    return model.getGraph().getNodeList().stream().anyMatch(n -> QUANTIZED_MARKERS.contains(n.getOpType()));
  }

  /**
   * Plans the quantization of a fused graph.
   *
   * @param fused the output of {@link GraphFusion#fuse}
   * @return the plan
   */
  public static QdqPlan of(ModelProto fused) {
    GraphProto g = fused.getGraph();
    Set<String> init = new HashSet<>();
    g.getInitializerList().forEach(t -> init.add(t.getName()));
    Map<String, TensorProto> initByName = new HashMap<>();
    g.getInitializerList().forEach(t -> initByName.put(t.getName(), t));
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(o -> outputs.add(o.getName()));
    List<NodeProto> nodes = g.getNodeList();
    Map<String, Integer> consumers = GraphFusion.consumers(nodes);
    Map<String, Integer> producer = GraphFusion.producers(nodes);

    Set<String> quantized = new LinkedHashSet<>();
    Map<String, Integer> qOps = new LinkedHashMap<>();
    Map<String, Integer> fOps = new LinkedHashMap<>();
    for (NodeProto n : nodes) {
      if (quantizable(n, init)) {
        quantized.add(n.getName());
      }
    }
    Map<String, String> absorbed = new LinkedHashMap<>();
    Map<String, String> convOutput = new HashMap<>(); // conv node → tensor its Q reads
    for (NodeProto n : nodes) {
      if (!absorbable(n, initByName) || !producer.containsKey(n.getInput(0))) {
        continue;
      }
      NodeProto conv = nodes.get(producer.get(n.getInput(0)));
      if (conv.getOpType().equals("Conv") && quantized.contains(conv.getName())
          && consumers.getOrDefault(n.getInput(0), 0) == 1 && !outputs.contains(n.getInput(0))) {
        absorbed.put(n.getName(), conv.getName());
        convOutput.put(conv.getName(), n.getOutput(0));
      }
    }
    Set<String> tensors = new LinkedHashSet<>();
    Map<String, String> same = new LinkedHashMap<>();
    for (NodeProto n : nodes) {
      if (absorbed.containsKey(n.getName())) {
        continue;
      }
      if (!quantized.contains(n.getName())) {
        fOps.merge(n.getOpType(), 1, Integer::sum);
        continue;
      }
      qOps.merge(n.getOpType(), 1, Integer::sum);
      int activationInputs = n.getOpType().equals("Conv") ? 1 : n.getInputCount();
      for (int i = 0; i < activationInputs; i++) {
        tensors.add(n.getInput(i));
      }
      String out = convOutput.getOrDefault(n.getName(), n.getOutput(0));
      tensors.add(out);
      if (n.getOpType().equals("MaxPool")) {
        same.put(out, n.getInput(0));
      }
    }
    return new QdqPlan(quantized, absorbed, new ArrayList<>(tensors), same, qOps, fOps);
  }

  /** @return the tensors whose own range calibration must measure (those not sharing another's) */
  public List<String> measuredTensors() {
    return tensors.stream().filter(t -> !sameRangeAs.containsKey(t)).toList();
  }

  private static boolean quantizable(NodeProto n, Set<String> init) {
    if (!QUANTIZED_OPS.contains(n.getOpType()) || n.getOutputCount() != 1) {
      return false;
    }
    return switch (n.getOpType()) {
      case "Conv" -> n.getInputCount() >= 2 && !init.contains(n.getInput(0)) && init.contains(n.getInput(1))
          && (n.getInputCount() < 3 || n.getInput(2).isEmpty() || init.contains(n.getInput(2)));
      case "Add", "Concat" -> n.getInputCount() >= 2 && n.getInputList().stream().noneMatch(init::contains);
      default -> n.getInputCount() == 1 || (n.getOpType().equals("MaxPool") && n.getInputCount() == 1);
    };
  }

  /** @return true for Relu, or Clip with lower bound exactly 0 (from its min input or attribute) */
  private static boolean absorbable(NodeProto n, Map<String, TensorProto> init) {
    if (n.getOpType().equals("Relu")) {
      return true;
    }
    if (!n.getOpType().equals("Clip")) {
      return false;
    }
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals("min")) {
        return a.getF() == 0f;
      }
    }
    if (n.getInputCount() < 2 || !init.containsKey(n.getInput(1))) {
      return false;
    }
    float[] min = GraphFusion.floats(init.get(n.getInput(1)));
    return min.length == 1 && min[0] == 0f;
  }
}
