package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.argus.model.ModelFormatException;

/**
 * The index of a validated ONNX graph: initializers by name, the graph inputs that are not
 * initializers, the outputs, the nodes in topological order, who produces each tensor and every
 * activation name. Built once per {@link OnnxModel}; immutable.
 *
 * @param initializers initializers by name, in declaration order
 * @param inputNames graph inputs that are not initializers, in declaration order
 * @param outputNames graph outputs, in declaration order
 * @param nodes nodes in topological order (Kahn's algorithm, ties broken by stored order, so a
 *     sorted graph keeps its order)
 * @param producerOf topological position of the node producing each tensor
 * @param tensorNames {@code inputNames}, then every node output in topological order
 */
record GraphIndex(
    Map<String, TensorProto> initializers,
    List<String> inputNames,
    List<String> outputNames,
    List<NodeProto> nodes,
    Map<String, Integer> producerOf,
    List<String> tensorNames) {

  /**
   * Validates (see {@link GraphValidation}, in this order: model, initializers, producers, inputs
   * defined, outputs produced, no cycle) and indexes a model.
   *
   * @param byteCount the serialized size, for messages
   * @param folder the model file's folder (for external data), or null
   * @throws ModelFormatException when a check fails
   */
  static GraphIndex build(ModelProto proto, String sourceName, int byteCount, Path folder)
      throws ModelFormatException {
    GraphValidation.checkModel(proto, sourceName, byteCount);
    GraphProto g = proto.getGraph();
    Map<String, TensorProto> inits = GraphValidation.initializers(g, sourceName, folder);
    Set<String> graphInputs = new LinkedHashSet<>();
    List<String> ins = new ArrayList<>();
    for (ValueInfoProto vi : g.getInputList()) {
      graphInputs.add(vi.getName());
      if (!inits.containsKey(vi.getName())) {
        ins.add(vi.getName());
      }
    }
    Map<String, Integer> producers =
        GraphValidation.producers(g, graphInputs, inits, sourceName, folder);
    GraphValidation.checkInputsDefined(g, producers, graphInputs, inits, sourceName);
    List<String> outs = GraphValidation.outputs(g, producers, graphInputs, inits, sourceName);
    List<NodeProto> order = topologicalOrder(g, producers, sourceName);
    Map<String, Integer> producerPos = new HashMap<>();
    List<String> names = new ArrayList<>(ins);
    for (int p = 0; p < order.size(); p++) {
      for (String out : order.get(p).getOutputList()) {
        if (!out.isEmpty()) {
          producerPos.put(out, p);
          names.add(out);
        }
      }
    }
    return new GraphIndex(inits, List.copyOf(ins), outs, List.copyOf(order),
        Collections.unmodifiableMap(producerPos), List.copyOf(names));
  }

  /**
   * Kahn's algorithm; among ready nodes the one stored first goes first.
   *
   * @param producers stored position of each tensor's producer
   * @throws ModelFormatException when the graph has a cycle, naming a node on it
   */
  private static List<NodeProto> topologicalOrder(GraphProto g, Map<String, Integer> producers,
      String sourceName) throws ModelFormatException {
    int count = g.getNodeCount();
    int[] pending = new int[count];
    List<List<Integer>> consumers = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      consumers.add(new ArrayList<>());
    }
    for (int i = 0; i < count; i++) {
      for (String in : g.getNode(i).getInputList()) {
        Integer p = in.isEmpty() ? null : producers.get(in);
        if (p != null) {
          pending[i]++;
          consumers.get(p).add(i);
        }
      }
    }
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < count; i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<NodeProto> order = new ArrayList<>(count);
    while (!ready.isEmpty()) {
      int i = ready.poll();
      order.add(g.getNode(i));
      for (int c : consumers.get(i)) {
        if (--pending[c] == 0) {
          ready.add(c);
        }
      }
    }
    for (int i = 0; order.size() < count && i < count; i++) {
      if (pending[i] > 0) {
        throw new ModelFormatException(
            "'" + sourceName + "': the graph has a cycle through node " + Nodes.label(g.getNode(i), i)
                + "; ONNX graphs must be acyclic");
      }
    }
    return order;
  }
}
