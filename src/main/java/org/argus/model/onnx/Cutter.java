package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/** Extracts the subgraph between two tensor sets (see {@link OnnxModel#cut}). */
final class Cutter {
  static final int MAX_LISTED = 30;

  private Cutter() {}

  /**
   * The nodes and initializers a cut needs, or why the cut is impossible.
   *
   * @param problem null when the cut is possible, else why not (names the tensors involved)
   * @param needed positions of the nodes on a path from the inputs to the outputs, ascending
   * @param usedInits initializers those nodes read
   */
  record Traversal(String problem, TreeSet<Integer> needed, Set<String> usedInits) {}

  static OnnxModel cut(OnnxModel m, Collection<String> inputs, Collection<String> outputs) {
    Set<String> ins = new LinkedHashSet<>(Objects.requireNonNull(inputs, "inputs"));
    Set<String> outs = new LinkedHashSet<>(Objects.requireNonNull(outputs, "outputs"));
    Traversal t = traverse(m, ins, outs);
    if (t.problem() != null) {
      throw new IllegalArgumentException(t.problem());
    }
    return build(m, ins, outs, t);
  }

  /**
   * Checks a cut without building it and without exceptions.
   *
   * @return null when {@code inputs} separate {@code outputs} from the graph inputs (the cut is
   *     possible), else the reason it is not (the message {@link #cut} would throw)
   */
  static String problem(OnnxModel m, Collection<String> inputs, Collection<String> outputs) {
    return traverse(m, new LinkedHashSet<>(inputs), new LinkedHashSet<>(outputs)).problem();
  }

  private static Traversal traverse(OnnxModel m, Set<String> ins, Set<String> outs) {
    String badName = checkNames(m, ins, outs);
    if (badName != null) {
      return failed(badName);
    }
    Set<String> graphInputs = new LinkedHashSet<>(m.inputNames());
    Map<String, String> parent = new HashMap<>();
    Set<String> visited = new java.util.HashSet<>();
    Set<String> usedInputs = new LinkedHashSet<>();
    Set<String> usedInits = new java.util.HashSet<>();
    TreeSet<Integer> needed = new TreeSet<>();
    Deque<String> stack = new ArrayDeque<>();
    for (String o : outs) {
      if (visited.add(o)) {
        stack.push(o);
      }
      while (!stack.isEmpty()) {
        String t = stack.pop();
        if (ins.contains(t)) {
          usedInputs.add(t);
          continue;
        }
        Integer p = m.producerPosition(t);
        if (p == null) {
          if (m.initializers().containsKey(t)) {
            usedInits.add(t);
            continue;
          }
          if (graphInputs.contains(t)) {
            return failed(notSeparated(t, parent, ins));
          }
          throw new IllegalStateException("tensor '" + t + "' has no producer in a validated model");
        }
        needed.add(p);
        for (String in : m.nodes().get(p).getInputList()) {
          if (!in.isEmpty() && visited.add(in)) {
            parent.put(in, t);
            stack.push(in);
          }
        }
      }
    }
    for (String i : ins) {
      if (!usedInputs.contains(i)) {
        return failed("input '" + i + "' is not needed to compute " + outs
            + " in '" + m.sourceName() + "' (it is not on a path to them, or another cut input"
            + " lies between); needed inputs: " + usedInputs);
      }
    }
    return new Traversal(null, needed, usedInits);
  }

  /**
   * @return null when both sets are non-empty, every name is an activation of {@code m} and no
   *     output is also an input; else the reason
   */
  private static String checkNames(OnnxModel m, Set<String> ins, Set<String> outs) {
    if (ins.isEmpty()) {
      return "cut inputs of '" + m.sourceName()
          + "' are empty; give at least one tensor, e.g. a graph input " + m.inputNames();
    }
    if (outs.isEmpty()) {
      return "cut outputs of '" + m.sourceName()
          + "' are empty; give at least one tensor, e.g. a graph output " + m.outputNames();
    }
    Set<String> known = new java.util.HashSet<>(m.tensorNames());
    for (String t : ins) {
      String unknown = unknown(m, known, t, "input");
      if (unknown != null) {
        return unknown;
      }
    }
    for (String t : outs) {
      String unknown = unknown(m, known, t, "output");
      if (unknown != null) {
        return unknown;
      }
      if (ins.contains(t)) {
        return "tensor '" + t + "' is both a cut input and a cut output"
            + " of '" + m.sourceName() + "'; outputs must be computed from the inputs " + ins;
      }
    }
    return null;
  }

  private static Traversal failed(String problem) {
    return new Traversal(problem, new TreeSet<>(), Set.of());
  }

  private static OnnxModel build(OnnxModel m, Set<String> ins, Set<String> outs, Traversal traversal) {
    TreeSet<Integer> needed = traversal.needed();
    Set<String> usedInits = traversal.usedInits();
    Map<String, TensorInfo> infos = m.inferShapes(Map.of());
    GraphProto g = m.proto().getGraph();
    GraphProto.Builder ng = GraphProto.newBuilder()
        .setName(g.getName().isEmpty() ? "cut" : g.getName() + "_cut");
    if (g.hasDocString()) {
      ng.setDocString(g.getDocString());
    }
    for (int p : needed) {
      ng.addNode(m.nodes().get(p));
    }
    for (TensorProto t : g.getInitializerList()) {
      if (usedInits.contains(t.getName())) {
        ng.addInitializer(t);
      }
    }
    for (String i : ins) {
      TensorInfo info = infos.get(i);
      if (info.elemType() == 0) {
        throw new IllegalArgumentException("cannot determine the element type of cut input '" + i
            + "' (produced by " + info.producerOp() + ", an op shape inference does not support);"
            + " choose a tensor produced by a supported op");
      }
      ng.addInput(declaration(info));
    }
    for (String o : outs) {
      TensorInfo info = infos.get(o);
      ng.addOutput(info.elemType() == 0
          ? ValueInfoProto.newBuilder().setName(o).build() : declaration(info));
    }
    ModelProto cut = m.proto().toBuilder().setGraph(ng).build();
    return OnnxModel.derived(cut, m.sourceName() + " " + ins + " -> " + outs);
  }

  private static ValueInfoProto declaration(TensorInfo info) {
    long[] s = info.shape();
    if (s != null && s.length > 0) {
      s[0] = -1; // batch dimension stays symbolic
    }
    return OnnxModel.valueInfo(info.name(), info.elemType(), s);
  }

  /** @return null when {@code t} is a tensor of {@code m}, else the message naming it and the known ones */
  private static String unknown(OnnxModel m, Set<String> known, String t, String role) {
    Objects.requireNonNull(t, "cut " + role + " name");
    if (known.contains(t)) {
      return null;
    }
    List<String> names = m.tensorNames();
    String list = names.size() <= MAX_LISTED ? names.toString()
        : names.subList(0, MAX_LISTED).toString().replaceAll("]$", ", … (" + names.size()
            + " total)]");
    String hint = m.initializers().containsKey(t)
        ? " ('" + t + "' is an initializer (weights), not an activation)" : "";
    return "unknown tensor '" + t + "' as cut " + role + " of '"
        + m.sourceName() + "'" + hint + "; known tensors: " + list;
  }

  private static String notSeparated(
      String graphInput, Map<String, String> parent, Set<String> ins) {
    List<String> path = new ArrayList<>();
    for (String t = graphInput; t != null; t = parent.get(t)) {
      path.add(t);
    }
    String root = path.get(path.size() - 1);
    String via = path.size() >= 2 ? path.get(path.size() - 2) : graphInput;
    String msg;
    if (path.size() == 1) {
      msg = "cut output '" + root + "' is a graph input itself and is not among the cut inputs "
          + ins;
    } else {
      msg = "tensor '" + root + "' also depends on graph input '" + graphInput + "'"
          + (via.equals(graphInput) ? "" : " via '" + via + "'")
          + " which is not among the cut inputs " + ins + "; path: "
          + String.join(" -> ", path)
          + "; add a tensor on that path to the cut inputs";
    }
    return msg;
  }
}
