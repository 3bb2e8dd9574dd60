package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** FLOP estimates per node and per tensor (see {@link NodeCost} for the formulas). */
final class Costs {
  private static final Set<String> ELEMENTWISE = Set.of(
      "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Clip", "Elu",
      "Selu", "Celu", "HardSigmoid", "HardSwish", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf",
      "Floor", "Ceil", "Round", "Reciprocal", "Softplus", "Softsign", "Sign", "Gelu", "Mish",
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "Where", "Equal",
      "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor", "Not", "LRN");
  private static final Set<String> NORMALIZATION = Set.of(
      "BatchNormalization", "InstanceNormalization", "LayerNormalization");

  private Costs() {}

  /**
   * @param infos inferred shapes of every activation of {@code model}
   * @return one cost per node, in topological order
   */
  static List<NodeCost> nodeCosts(OnnxModel model, Map<String, TensorInfo> infos) {
    List<NodeProto> nodes = model.nodes();
    List<NodeCost> costs = new ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      String out = n.getOutputCount() > 0 ? n.getOutput(0) : "";
      costs.add(new NodeCost(Nodes.nodeName(n, i), n.getOpType(), out,
          flops(model, n, infos)));
    }
    return costs;
  }

  private static long[] shape(OnnxModel model, Map<String, TensorInfo> infos, String name) {
    TensorInfo i = infos.get(name);
    if (i != null) {
      return i.shape();
    }
    var t = model.initializers().get(name);
    return t == null ? null : t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static long perExample(Map<String, TensorInfo> infos, String name) {
    TensorInfo i = infos.get(name);
    return i == null ? -1 : i.elementsPerExample();
  }

  /**
   * @return the sum of {@code costs}, or -1 if one of them is unknown
   * @throws ArithmeticException on overflow
   */
  static long total(List<NodeCost> costs) {
    long total = 0;
    for (NodeCost c : costs) {
      if (c.flopsPerExample() < 0) {
        return -1;
      }
      total = Math.addExact(total, c.flopsPerExample());
    }
    return total;
  }

  /** @return FLOPs per example of node {@code n} (see {@link NodeCost}), -1 if unknown */
  static long flops(OnnxModel model, NodeProto n, Map<String, TensorInfo> infos) {
    String op = n.getOpType();
    if (n.getOutputCount() == 0) {
      return 0;
    }
    long out = perExample(infos, n.getOutput(0));
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      return 0;
    }
    if (ELEMENTWISE.contains(op)) {
      return out;
    }
    if (NORMALIZATION.contains(op)) {
      return out < 0 ? -1 : 2 * out;
    }
    switch (op) {
      case "Conv" -> {
        long[] w = shape(model, infos, n.getInput(1));
        if (out < 0 || w == null || w.length < 3) {
          return -1;
        }
        long perOut = w[1]; // Cin / group
        for (int i = 2; i < w.length; i++) {
          perOut *= w[i];
        }
        if (perOut < 0) {
          return -1;
        }
        return 2 * out * perOut + (Nodes.hasInput(n, 2) ? out : 0);
      }
      case "Gemm" -> {
        long[] a = shape(model, infos, n.getInput(0));
        if (out < 0 || a == null || a.length != 2) {
          return -1;
        }
        long k = a[Nodes.attrInt(n, "transA", 0) != 0 ? 0 : 1];
        return k < 0 ? -1 : 2 * k * out + (Nodes.hasInput(n, 2) ? out : 0);
      }
      case "MatMul" -> {
        long[] a = shape(model, infos, n.getInput(0));
        if (out < 0 || a == null || a.length == 0) {
          return -1;
        }
        long k = a[a.length - 1];
        return k < 0 ? -1 : 2 * k * out;
      }
      case "MaxPool", "AveragePool", "LpPool" -> {
        long[] k = Nodes.attrInts(n, "kernel_shape");
        if (out < 0 || k == null) {
          return -1;
        }
        long p = out;
        for (long d : k) {
          p *= d;
        }
        return p;
      }
      case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" -> {
        return perExample(infos, n.getInput(0));
      }
      default -> {
        return 0;
      }
    }
  }

  /**
   * Sum of the costs of every node needed to compute each tensor (its producer and all its
   * ancestors); -1 if one of them is unknown; 0 for graph inputs.
   */
  static Map<String, Long> cumulativeFlops(OnnxModel model, List<NodeCost> costs) {
    List<NodeProto> nodes = model.nodes();
    BitSet[] ancestors = new BitSet[nodes.size()];
    Map<String, Long> result = new HashMap<>();
    for (String in : model.inputNames()) {
      result.put(in, 0L);
    }
    for (int i = 0; i < nodes.size(); i++) {
      BitSet b = new BitSet(nodes.size());
      b.set(i);
      for (String in : nodes.get(i).getInputList()) {
        Integer p = in.isEmpty() ? null : model.producerPosition(in);
        if (p != null) {
          b.or(ancestors[p]);
        }
      }
      ancestors[i] = b;
      long sum = 0;
      for (int j = b.nextSetBit(0); j >= 0; j = b.nextSetBit(j + 1)) {
        long c = costs.get(j).flopsPerExample();
        if (c < 0) {
          sum = -1;
          break;
        }
        sum += c;
      }
      for (String out : nodes.get(i).getOutputList()) {
        if (!out.isEmpty()) {
          result.put(out, sum);
        }
      }
    }
    return result;
  }
}
