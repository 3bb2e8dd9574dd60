/**
 * Graph rewriting for deployment: a {@link org.argus.plan.Pooling} as ONNX operators and {@link
 * org.argus.model.splice.HeadSplice}, which splices a trained head's ONNX graph onto a CNN cut at
 * a layer (input → layer → pooling → [concat structured columns] → head → softmax), so a selected
 * model is one ONNX file served by ONNX Runtime alone, its provenance in {@code metadata_props}.
 * Knows nothing of training: {@code org.argus.runtime.train.HeadDeployment} exports the trained
 * head and calls it.
 */
package org.argus.model.splice;
