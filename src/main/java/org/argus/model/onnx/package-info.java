/**
 * ONNX graphs: load and validate ({@link org.argus.model.onnx.OnnxModel#load}), inspect named
 * tensors with inferred shapes ({@link org.argus.model.onnx.TensorInfo}), bytes and FLOPs per
 * example ({@link org.argus.model.onnx.NodeCost}), and {@link org.argus.model.onnx.OnnxModel#cut
 * cut} the subgraph between two tensor sets — the basis of staged feature materialization, since
 * ONNX Runtime does not skip work for outputs that were not requested.
 *
 * <p>Activations are batch-first, CNN activations {@code [N, C, H, W] float32}. Only the protobuf
 * classes {@code ai.onnx.proto.OnnxMl} are used here; running graphs is the runtime layer's job.
 */
package org.argus.model.onnx;
