package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.model.ModelFormatException;

/**
 * The structural rules an ONNX graph must follow before Argus indexes it (ONNX IR spec, "Graphs":
 * names are assigned once, every input is defined, the graph is a DAG — the last one is checked
 * while sorting, by {@link GraphIndex}), and the refusal of external tensor data. Every check
 * throws a {@link ModelFormatException} naming the model, the tensor and the node.
 */
final class GraphValidation {
  private GraphValidation() {}

  /**
   * @throws ModelFormatException when the model has no graph, no node or no opset import
   */
  static void checkModel(ModelProto proto, String sourceName, int byteCount)
      throws ModelFormatException {
    if (!proto.hasGraph()) {
      throw new ModelFormatException(
          "'" + sourceName + "' is not an ONNX model: the ModelProto has no graph"
              + " (empty, truncated or not an .onnx file; " + byteCount + " bytes)");
    }
    if (proto.getGraph().getNodeCount() == 0) {
      throw new ModelFormatException(
          "'" + sourceName + "' is not a usable ONNX model: its graph has no nodes"
              + " (" + byteCount + " bytes)");
    }
    if (proto.getOpsetImportCount() == 0) {
      throw new ModelFormatException(
          "'" + sourceName + "' is not a usable ONNX model: it declares no opset_import"
              + " (truncated or not an .onnx file?)");
    }
  }

  /**
   * @param folder the model file's folder, or null for bytes without a file
   * @return the initializers by name, in declaration order (unmodifiable)
   * @throws ModelFormatException when an initializer stores its data externally
   */
  static Map<String, TensorProto> initializers(GraphProto g, String sourceName, Path folder)
      throws ModelFormatException {
    Map<String, TensorProto> inits = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      checkExternalData(t, sourceName, folder);
      inits.put(t.getName(), t);
    }
    return Collections.unmodifiableMap(inits);
  }

  /**
   * Checks each node, in stored order: tensors in its attributes have no external data, and each
   * output is produced only here (not by another node, a graph input or an initializer).
   *
   * @param graphInputs names of all graph inputs (initializers included)
   * @return the stored position of the node producing each tensor
   * @throws ModelFormatException naming the node and the tensor
   */
  static Map<String, Integer> producers(GraphProto g, Set<String> graphInputs,
      Map<String, TensorProto> inits, String sourceName, Path folder) throws ModelFormatException {
    Map<String, Integer> producers = new HashMap<>();
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      for (var a : n.getAttributeList()) {
        if (a.hasT()) {
          checkExternalData(a.getT(), sourceName, folder);
        }
      }
      for (String out : n.getOutputList()) {
        if (out.isEmpty()) {
          continue;
        }
        Integer prev = producers.put(out, i);
        if (prev != null || graphInputs.contains(out) || inits.containsKey(out)) {
          throw new ModelFormatException(
              "'" + sourceName + "': tensor '" + out + "' is produced twice (by node "
                  + Nodes.label(n, i) + (prev != null ? " and " + Nodes.label(g.getNode(prev), prev)
                      : " and as a graph input or initializer") + "); ONNX tensors have one producer");
        }
      }
    }
    return producers;
  }

  /**
   * @throws ModelFormatException when a node reads a tensor that is neither a graph input, an
   *     initializer nor a node output
   */
  static void checkInputsDefined(GraphProto g, Map<String, Integer> producers,
      Set<String> graphInputs, Map<String, TensorProto> inits, String sourceName)
      throws ModelFormatException {
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !producers.containsKey(in) && !graphInputs.contains(in)
            && !inits.containsKey(in)) {
          throw new ModelFormatException(
              "'" + sourceName + "': missing initializer or producer for tensor '" + in
                  + "' used by node " + Nodes.label(n, i));
        }
      }
    }
  }

  /**
   * @return the graph output names, in declaration order
   * @throws ModelFormatException when an output is not produced
   */
  static List<String> outputs(GraphProto g, Map<String, Integer> producers,
      Set<String> graphInputs, Map<String, TensorProto> inits, String sourceName)
      throws ModelFormatException {
    List<String> outs = new ArrayList<>();
    for (ValueInfoProto vi : g.getOutputList()) {
      String o = vi.getName();
      if (!producers.containsKey(o) && !graphInputs.contains(o) && !inits.containsKey(o)) {
        throw new ModelFormatException(
            "'" + sourceName + "': graph output '" + o + "' is not produced by any node");
      }
      outs.add(o);
    }
    return List.copyOf(outs);
  }

  /**
   * Refuses external data: a location outside {@code folder} ({@code ../x}, an absolute or drive
   * path) as such, any other as unsupported.
   *
   * @throws ModelFormatException when {@code t} is stored as external data
   */
  static void checkExternalData(TensorProto t, String sourceName, Path folder)
      throws ModelFormatException {
    if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL && t.getExternalDataCount() == 0) {
      return;
    }
    String location = null;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      if (e.getKey().equals("location")) {
        location = e.getValue();
      }
    }
    if (location == null) {
      throw new ModelFormatException(
          "'" + sourceName + "': initializer '" + t.getName()
              + "' is marked as external data but has no 'location' entry");
    }
    if (outside(location, folder)) {
      throw new ModelFormatException(
          "'" + sourceName + "': initializer '" + t.getName() + "' has external data location '"
              + location + "' outside the model's folder"
              + (folder != null ? " '" + folder + "'" : "")
              + "; only relative paths inside the folder are valid");
    }
    throw new ModelFormatException(
        "'" + sourceName + "': initializer '" + t.getName() + "' stores its data in external file '"
            + location + "'; external data is not supported: re-save the model with all tensors"
            + " inside the .onnx file (onnx.save(model, path, save_as_external_data=False))");
  }

  /** @return true when {@code location} (either slash) leaves {@code folder} or is absolute */
  private static boolean outside(String location, Path folder) {
    try {
      String portable = location.replace('\\', '/');
      Path loc = Paths.get(portable);
      if (loc.isAbsolute() || portable.startsWith("/") || portable.matches("^[A-Za-z]:.*")) {
        return true;
      }
      Path base = folder != null ? folder.normalize() : Paths.get("/model-folder");
      return !base.resolve(loc).normalize().startsWith(base);
    } catch (InvalidPathException e) {
      return true;
    }
  }
}
