package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Forward shape and type inference over an {@link OnnxModel}'s nodes in topological order. Dims
 * are {@code long}, {@code -1} = unknown; a {@code null} shape = unknown rank.
 *
 * <p>This class holds one run's state (inferred tensors, known small integer constants such as
 * Reshape targets and Pad amounts, declared value infos) and dispatches each node to its op's
 * {@link ShapeRule} (see {@link ShapeRules}). A node of another domain or an op without a rule gets
 * the shape declared for its outputs in the graph's {@code value_info}/outputs, else unknown.
 */
final class ShapeInference {
  private final OnnxModel model;
  private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
  private final Map<String, long[]> constants = new HashMap<>();
  private final Map<String, ValueInfoProto> declared = new HashMap<>();

  private ShapeInference(OnnxModel model) {
    this.model = model;
  }

  /**
   * @param inputShapes shape per graph input; inputs not in the map use their declared shape
   * @return type and shape by tensor name: graph inputs, then node outputs in topological order
   * @throws IllegalArgumentException see {@link OnnxModel#inferShapes}
   */
  static Map<String, TensorInfo> infer(OnnxModel model, Map<String, long[]> inputShapes) {
    if (inputShapes == null) {
      throw new NullPointerException("inputShapes");
    }
    ShapeInference si = new ShapeInference(model);
    return si.run(inputShapes);
  }

  private Map<String, TensorInfo> run(Map<String, long[]> inputShapes) {
    GraphProto g = model.proto().getGraph();
    for (String k : inputShapes.keySet()) {
      if (!model.inputNames().contains(k)) {
        throw new IllegalArgumentException("unknown graph input '" + k + "' in input shapes of '"
            + model.sourceName() + "'; graph inputs are " + model.inputNames());
      }
    }
    for (ValueInfoProto vi : g.getValueInfoList()) {
      declared.put(vi.getName(), vi);
    }
    for (ValueInfoProto vi : g.getOutputList()) {
      declared.put(vi.getName(), vi);
    }
    for (TensorProto t : model.initializers().values()) {
      long[] v = ConstantShapes.intValues(t);
      if (v != null) {
        constants.put(t.getName(), v);
      }
    }
    for (ValueInfoProto vi : g.getInputList()) {
      if (!model.initializers().containsKey(vi.getName())) {
        String name = vi.getName();
        infos.put(name, new TensorInfo(name, declaredType(vi),
            inputShape(name, declaredShape(vi), inputShapes.get(name)), "input"));
      }
    }
    List<NodeProto> nodes = model.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      node(nodes.get(i), i);
    }
    return infos;
  }

  /** @return {@code given} (checked against the declared rank), or the declared shape */
  private static long[] inputShape(String name, long[] decl, long[] given) {
    if (given == null) {
      return decl;
    }
    if (decl != null && decl.length != given.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(given) + " for input '"
          + name + "' has rank " + given.length + " but the model declares rank "
          + decl.length + " " + TensorInfo.shapeString(decl));
    }
    for (long d : given) {
      if (d < -1) {
        throw new IllegalArgumentException("shape " + Arrays.toString(given) + " for input '"
            + name + "' has dimension " + d + "; valid dims are >= 0, or -1 = unknown");
      }
    }
    return given.clone();
  }

  private void node(NodeProto n, int index) {
    boolean std = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    ShapeRule rule = std ? ShapeRules.forOp(n.getOpType()) : null;
    if (rule == null) {
      unknown(n);
    } else {
      rule.infer(this, n, index);
    }
  }

  private static long[] declaredShape(ValueInfoProto vi) {
    if (!vi.hasType() || !vi.getType().hasTensorType()
        || !vi.getType().getTensorType().hasShape()) {
      return null;
    }
    TensorShapeProto s = vi.getType().getTensorType().getShape();
    long[] d = new long[s.getDimCount()];
    for (int i = 0; i < d.length; i++) {
      TensorShapeProto.Dimension dim = s.getDim(i);
      d[i] = dim.hasDimValue() && dim.getDimValue() >= 0 ? dim.getDimValue() : -1;
    }
    return d;
  }

  private static int declaredType(ValueInfoProto vi) {
    TypeProto t = vi.getType();
    return t.hasTensorType() ? t.getTensorType().getElemType() : 0;
  }

  // ---- what rules read and write ----

  /** @return the inferred (or initializer) shape of tensor {@code name}, or null if unknown */
  long[] shape(String name) {
    TensorInfo i = infos.get(name);
    if (i != null) {
      return i.shape();
    }
    TensorProto t = model.initializers().get(name);
    if (t != null) {
      return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }
    return null;
  }

  /** @return the element type of tensor {@code name}, 0 if unknown */
  int type(String name) {
    TensorInfo i = infos.get(name);
    if (i != null) {
      return i.elemType();
    }
    TensorProto t = model.initializers().get(name);
    return t != null ? t.getDataType() : 0;
  }

  /** @return the shape of the node's input #{@code i}; null when absent or unknown */
  long[] inputShape(NodeProto n, int i) {
    String x = Nodes.input(n, i);
    return x.isEmpty() ? null : shape(x);
  }

  /** @return the element type of the node's input #{@code i}; 0 when absent or unknown */
  int inputType(NodeProto n, int i) {
    String x = Nodes.input(n, i);
    return x.isEmpty() ? 0 : type(x);
  }

  /** @return the known integer values of tensor {@code name} (a small int tensor), or null */
  long[] constant(String name) {
    return constants.get(name);
  }

  /** Records the integer values of tensor {@code name}. */
  void putConstant(String name, long[] values) {
    constants.put(name, values);
  }

  /** Records output #{@code out} of {@code n} (skipped when the node has no such output). */
  void put(NodeProto n, int out, int type, long[] shape) {
    if (out < n.getOutputCount() && !n.getOutput(out).isEmpty()) {
      String name = n.getOutput(out);
      infos.put(name, new TensorInfo(name, type, shape, n.getOpType()));
    }
  }

  /** Records every output of {@code n} with its declared type and shape, or as unknown. */
  void unknown(NodeProto n) {
    for (int o = 0; o < n.getOutputCount(); o++) {
      ValueInfoProto vi = declared.get(n.getOutput(o));
      if (vi != null) {
        put(n, o, declaredType(vi), declaredShape(vi));
      } else {
        put(n, o, 0, null);
      }
    }
  }
}
