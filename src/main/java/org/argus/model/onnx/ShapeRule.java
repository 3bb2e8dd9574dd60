package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * Shape and type inference for one ONNX op (opset 13 semantics): reads the node's input shapes and
 * known constant values from the {@link ShapeInference} run and records its outputs with {@link
 * ShapeInference#put}. A rule never fails for an unknown input: it records an unknown dim ({@code
 * -1}) or rank ({@code null}) instead.
 */
@FunctionalInterface
interface ShapeRule {
  /**
   * @param si the inference run (every input of {@code n} is inferred already)
   * @param n the node, from the standard domain
   * @param index its topological position, for messages
   * @throws IllegalArgumentException when known input shapes are incompatible (the message names
   *     the node, both shapes and what is valid)
   */
  void infer(ShapeInference si, NodeProto n, int index);
}
