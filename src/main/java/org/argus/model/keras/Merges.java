package org.argus.model.keras;

import static org.argus.model.keras.OnnxProtos.attrI;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Keras merge layers, elementwise over inputs of one rank (ONNX numpy-style broadcasting):
 * {@code Add} → {@code Add}/{@code Sum}, {@code Subtract} (exactly 2 inputs) → {@code Sub}, {@code
 * Multiply} → {@code Mul} (a chain of binary Mul nodes {@code <layer>/partial<i>} for more than 2
 * inputs), {@code Average} → {@code Mean}, {@code Maximum}/{@code Minimum} → {@code Max}/{@code Min};
 * and {@code Concatenate} → {@code Concat}, the Keras NHWC axis mapped to NCHW ({@code -1}/3 →
 * channels = ONNX axis 1, 1 → H = 2, 2 → W = 3).
 */
final class Merges {
  private Merges() {}

  /** @return the converters of this group by Keras class name */
  static Map<String, LayerConverter> converters() {
    return Map.of(
        "Concatenate", Merges::concat,
        "Add", (g, l) -> merge(g, l, "Add", "Sum"),
        "Multiply", (g, l) -> merge(g, l, "Mul", null),
        "Average", (g, l) -> merge(g, l, "Mean", "Mean"),
        "Maximum", (g, l) -> merge(g, l, "Max", "Max"),
        "Minimum", (g, l) -> merge(g, l, "Min", "Min"),
        "Subtract", Merges::subtract);
  }

  private static void subtract(ImportGraph g, KerasLayer l) throws ModelFormatException {
    if (l.inbound().size() != 2) {
      throw KerasConfig.unsupported(l, l.inbound().size() + " inputs; Subtract needs exactly 2");
    }
    merge(g, l, "Sub", null);
  }

  private static void concat(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted first = g.in(l, 0);
    int rank = first.rank();
    int axis = l.config().path("axis").asInt(-1);
    if (axis < 0) {
      axis += rank;
    }
    if (axis <= 0 || axis >= rank) {
      throw KerasConfig.unsupported(l, "axis " + l.config().path("axis") + " for rank-" + rank
          + " inputs; supported: 1.." + (rank - 1) + " or -1");
    }
    int onnxAxis = rank == 4 ? new int[] {0, 2, 3, 1}[axis] : axis;
    int ch = 0;
    List<String> xs = new ArrayList<>();
    for (int i = 0; i < l.inbound().size(); i++) {
      ImportGraph.Converted ii = g.in(l, i);
      if (ii.rank() != rank) {
        throw KerasConfig.unsupported(l, "inputs of different ranks");
      }
      ch = (ch < 0 || ii.channels() < 0) ? -1 : ch + ii.channels();
      xs.add(g.x(l, i));
    }
    g.node("Concat", l.name(), xs, l.name(), attrI("axis", onnxAxis));
    g.define(l.name(), rank, onnxAxis == 1 ? ch : first.channels());
  }

  /**
   * @param binaryOp the ONNX op for two inputs
   * @param naryOp the variadic ONNX op for more inputs, or null to chain {@code binaryOp}
   */
  private static void merge(ImportGraph g, KerasLayer l, String binaryOp, String naryOp)
      throws ModelFormatException {
    int n = l.inbound().size();
    if (n < 2) {
      throw KerasConfig.unsupported(l, n + " inputs; merge layers need at least 2");
    }
    ImportGraph.Converted first = g.in(l, 0);
    for (int i = 1; i < n; i++) {
      if (g.in(l, i).rank() != first.rank()) {
        throw KerasConfig.unsupported(l, "inputs of different ranks");
      }
    }
    String name = l.name();
    List<String> xs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      xs.add(g.x(l, i));
    }
    if (n == 2 || naryOp != null) {
      g.node(n == 2 ? binaryOp : naryOp, name, xs, name);
    } else {
      String acc = xs.get(0);
      for (int i = 1; i < n; i++) {
        String out = i == n - 1 ? name : name + "/partial" + i;
        g.node(binaryOp, name + "/" + i, List.of(acc, xs.get(i)), out);
        acc = out;
      }
    }
    g.define(name, first.rank(), first.channels());
  }
}
