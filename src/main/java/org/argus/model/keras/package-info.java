/**
 * Keras models stored in TF.js layers format → ONNX: {@link
 * org.argus.model.keras.TfjsLayersModel#load} reads {@code model.json} and its weight shards
 * (dequantized to float32 as TF.js does), {@link org.argus.model.keras.KerasOnnxImporter#toOnnx}
 * converts the layers needed for the requested outputs into an opset-13 graph with an {@code [N, H,
 * W, C] float32 NHWC} input and NCHW inside, every Keras layer's output named as the layer.
 *
 * <p>Inside: the topology parser ({@code KerasTopology}), manifest reading ({@code TfjsWeights})
 * and dequantization ({@code WeightDecoding}); the importer dispatches each Keras class through a
 * registry ({@code LayerRegistry}) to one converter group: {@code CoreLayers} (input, Dense,
 * Flatten, Dropout), {@code Convolutions}, {@code Normalization}, {@code Activations}, {@code
 * Pooling} (padding and pooling) and {@code Merges}, all writing to one {@code ImportGraph}. The
 * output is verified against TF.js activations (tools/tfjs-reference) and is byte-deterministic.
 */
package org.argus.model.keras;
