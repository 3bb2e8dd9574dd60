package org.argus.model.onnx;

import java.util.Objects;

/**
 * Approximate compute cost of one ONNX node for one example (one image).
 *
 * <p>A multiply-add counts as 2 FLOPs. Conv: {@code 2·Cout·Hout·Wout·(Cin/group)·kh·kw}, plus
 * {@code Cout·Hout·Wout} for a bias; Gemm/MatMul: {@code 2·M·N·K} (plus one per output element
 * for Gemm's C); MaxPool/AveragePool: output elements × kernel size; global pools: input
 * elements; BatchNormalization: 2 per element; other elementwise ops: 1 per output element; data
 * movement (Reshape, Concat, Pad, Transpose, …) and unknown ops: 0.
 *
 * @param nodeName the node's name, or {@code OpType#index} when the node has none
 * @param opType the node's op type, e.g. {@code Conv}
 * @param output the node's first output tensor
 * @param flopsPerExample FLOPs per example; {@code -1} when a shape it depends on is unknown
 */
public record NodeCost(String nodeName, String opType, String output, long flopsPerExample) {
  /**
   * Checks that the names are non-null.
   *
   * @param nodeName the node's name, or {@code OpType#index}
   * @param opType the node's op type
   * @param output the node's first output tensor
   * @param flopsPerExample FLOPs per example, {@code -1} if unknown
   */
  public NodeCost {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(opType, "opType");
    Objects.requireNonNull(output, "output");
  }
}
