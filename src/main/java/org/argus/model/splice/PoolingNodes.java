package org.argus.model.splice;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.argus.model.keras.OnnxProtos;
import org.argus.plan.Pooling;

/**
 * A {@link Pooling} as ONNX operators (opset ≥ 13), so a feature reduction that the inference
 * kernel does in Java ({@link Pooling#apply}, {@code Emit.Features}) can run inside a graph:
 *
 * <ul>
 *   <li>{@code none}, or an activation that is not 4-D: {@code Flatten(axis 1)} → {@code [N,
 *       C·H·W]} (row-major, i.e. channel-major for {@code [N, C, H, W]});
 *   <li>{@code avg} / {@code max}: {@code GlobalAveragePool} / {@code GlobalMaxPool} → {@code
 *       Flatten} → {@code [N, C]};
 *   <li>{@code avg:K} / {@code max:K} when {@code K} divides {@code H} and {@code W}: {@code
 *       AveragePool} / {@code MaxPool} with kernel = stride = {@code (H/K, W/K)}, no padding →
 *       {@code Flatten} → {@code [N, C·K·K]} ordered {@code [c][i][j]};
 *   <li>otherwise one {@code Slice} per bin (rows {@code [⌊i·H/K⌋, max(⌊i·H/K⌋+1, ⌈(i+1)·H/K⌉))},
 *       columns likewise: the adaptive bins of {@link Pooling#apply}, as PyTorch's {@code
 *       AdaptiveMaxPool2d}) → {@code GlobalAveragePool} / {@code GlobalMaxPool} → {@code [N, C, 1,
 *       1]}; the {@code K·K} bins in {@code (i, j)} order are concatenated on axis 2 → {@code [N, C,
 *       K·K, 1]} → {@code Flatten} → {@code [N, C·K·K]} ordered {@code [c][i][j]}.
 * </ul>
 *
 * <p>Every node, initializer and intermediate tensor is named {@code prefix + …}.
 */
final class PoolingNodes {
  /**
   * The pooled tensor.
   *
   * @param output its name, {@code [N, dim]} float32
   * @param dim features per example
   */
  record Pooled(String output, long dim) {}

  private PoolingNodes() {}

  /**
   * Appends the nodes that pool {@code input} to {@code g}.
   *
   * @param g the graph under construction
   * @param input the activation, {@code [N, C, H, W]} float32 (or any other rank: flattened)
   * @param shape its per-example shape (without {@code N}), every dim known
   * @param pooling the reduction
   * @param prefix prefix of every name added
   * @return the pooled tensor
   * @throws IllegalArgumentException when a dim of {@code shape} is unknown (negative)
   */
  static Pooled append(OnnxMl.GraphProto.Builder g, String input, long[] shape, Pooling pooling, String prefix) {
    if (Arrays.stream(shape).anyMatch(d -> d < 0)) {
      throw new IllegalArgumentException("activation '" + input + "' has a dynamic shape [N, "
          + Arrays.toString(shape).substring(1) + "; pooling it inside a graph needs every dim known "
          + "(cut the model at a fixed input size)");
    }
    String out = prefix + "features";
    long all = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    if (shape.length != 3 || pooling.mode() == Pooling.Mode.NONE) {
      g.addNode(node("Flatten", prefix + "flatten", List.of(input), out, OnnxProtos.attrI("axis", 1)));
      return new Pooled(out, all);
    }
    int c = (int) shape[0];
    int h = (int) shape[1];
    int w = (int) shape[2];
    int k = pooling.grid();
    boolean max = pooling.mode() == Pooling.Mode.MAX;
    String pooled = prefix + "pooled";
    if (k == 1) {
      g.addNode(node(max ? "GlobalMaxPool" : "GlobalAveragePool", pooled, List.of(input), pooled));
    } else if (h % k == 0 && w % k == 0) {
      g.addNode(node(max ? "MaxPool" : "AveragePool", pooled, List.of(input), pooled,
          OnnxProtos.attrInts("kernel_shape", h / k, w / k), OnnxProtos.attrInts("strides", h / k, w / k)));
    } else {
      bins(g, input, h, w, k, max, prefix, pooled);
    }
    g.addNode(node("Flatten", prefix + "flatten", List.of(pooled), out, OnnxProtos.attrI("axis", 1)));
    return new Pooled(out, pooling.outputDim(c, h, w));
  }

  /** Per-bin Slice + global pooling, concatenated to {@code [N, C, K·K, 1]} as {@code out}. */
  private static void bins(OnnxMl.GraphProto.Builder g, String input, int h, int w, int k, boolean max,
      String prefix, String out) {
    String axes = prefix + "axes";
    g.addInitializer(OnnxProtos.int64Tensor(axes, new long[] {2}, new long[] {2, 3}));
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int r0 = Pooling.binStart(i, h, k);
      int r1 = Pooling.binEnd(i, h, k);
      for (int j = 0; j < k; j++) {
        int c0 = Pooling.binStart(j, w, k);
        int c1 = Pooling.binEnd(j, w, k);
        String bin = prefix + "bin_" + i + "_" + j;
        g.addInitializer(OnnxProtos.int64Tensor(bin + "/starts", new long[] {2}, new long[] {r0, c0}));
        g.addInitializer(OnnxProtos.int64Tensor(bin + "/ends", new long[] {2}, new long[] {r1, c1}));
        g.addNode(node("Slice", bin + "/slice", List.of(input, bin + "/starts", bin + "/ends", axes),
            bin + "/slice"));
        g.addNode(node(max ? "GlobalMaxPool" : "GlobalAveragePool", bin, List.of(bin + "/slice"), bin));
        parts.add(bin);
      }
    }
    g.addNode(node("Concat", out, parts, out, OnnxProtos.attrI("axis", 2)));
  }

  /** A node named {@code name} with one output. */
  static OnnxMl.NodeProto node(String op, String name, List<String> inputs, String output,
      OnnxMl.AttributeProto... attributes) {
    OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output)
        .addAllInput(inputs);
    for (OnnxMl.AttributeProto a : attributes) {
      n.addAttribute(a);
    }
    return n.build();
  }
}
