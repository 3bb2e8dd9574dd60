package org.argus.model.resolve;

import java.util.List;
import org.argus.model.onnx.OnnxModel;

/**
 * A subgraph of a resolved model, cut once and serialized once: what an executor needs to build
 * its ONNX Runtime session (the bytes travel by broadcast, the sha256 keys the per-JVM session
 * cache).
 *
 * @param bytes serialized ONNX graph of the cut
 * @param sha256 hex sha256 of {@code bytes}
 * @param inputs the cut's inputs (graph inputs of the cut), in the order asked
 * @param outputs the cut's outputs, in the order asked
 * @param nodes number of nodes in the cut
 * @param model the cut as a graph (for shape inference and costs on the driver; never serialized)
 */
public record GraphCut(byte[] bytes, String sha256, List<String> inputs, List<String> outputs, int nodes,
    OnnxModel model) {
  /** Copies the lists. */
  public GraphCut {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  @Override
  public String toString() {
    return inputs + " → " + outputs + " (" + nodes + " nodes, " + bytes.length + " bytes, sha256 "
        + sha256.substring(0, Math.min(12, sha256.length())) + ")";
  }
}
