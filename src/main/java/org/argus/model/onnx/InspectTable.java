package org.argus.model.onnx;

import java.util.List;
import java.util.Map;

/** The plain-text table of {@link OnnxModel#describe} ({@code argus models inspect}). */
final class InspectTable {
  private InspectTable() {}

  /**
   * @param infos inferred shapes of every activation of {@code model}
   * @return a header and one row per activation: name, producing op, shape, element type, bytes
   *     per example, cumulative FLOPs per example ({@code ?} when unknown)
   */
  static String render(OnnxModel model, Map<String, TensorInfo> infos) {
    List<NodeCost> costs = Costs.nodeCosts(model, infos);
    Map<String, Long> cumulative = Costs.cumulativeFlops(model, costs);
    int w = 6;
    for (String t : model.tensorNames()) {
      w = Math.max(w, t.length());
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-" + w + "s  %-20s  %-22s  %-8s  %14s  %16s%n";
    sb.append(String.format(fmt, "tensor", "op", "shape", "type", "bytes/example",
        "cum FLOPs/example"));
    for (String t : model.tensorNames()) {
      TensorInfo i = infos.get(t);
      long b = i.bytesPerExample();
      long f = cumulative.getOrDefault(t, 0L);
      sb.append(String.format(fmt, t, i.producerOp(), i.shapeString(), i.elemTypeName(),
          b < 0 ? "?" : Long.toString(b), f < 0 ? "?" : Long.toString(f)));
    }
    return sb.toString();
  }
}
