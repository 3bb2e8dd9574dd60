/**
 * ONNX graphs: load and validate ({@link org.argus.model.onnx.OnnxModel#load}), inspect named
 * tensors with inferred shapes ({@link org.argus.model.onnx.TensorInfo}), bytes and FLOPs per
 * example ({@link org.argus.model.onnx.NodeCost}), and {@link org.argus.model.onnx.OnnxModel#cut
 * cut} the subgraph between two tensor sets — the basis of staged feature materialization, since
 * ONNX Runtime does not skip work for outputs that were not requested.
 *
 * <p>Activations are batch-first, CNN activations {@code [N, C, H, W] float32}. Only the protobuf
 * classes {@code ai.onnx.proto.OnnxMl} are used here; running graphs is the runtime layer's job.
 *
 * <p>Public: {@code OnnxModel} (the facade), {@code TensorInfo}, {@code NodeCost}. Inside:
 * validation ({@code GraphValidation}) and the index ({@code GraphIndex}) built on construction;
 * shape inference as a run ({@code ShapeInference}) over a table of per-op rules ({@code
 * ShapeRules}: elementwise, conv/pool, layout, matrix and constant families); FLOP estimates
 * ({@code Costs}), the inspect table ({@code InspectTable}) and cutting ({@code Cutter}).
 */
package org.argus.model.onnx;
