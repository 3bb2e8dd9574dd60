/**
 * Trainable DJL (PyTorch engine) versions of the Keras models that {@code model.keras} imports to
 * ONNX: {@link org.argus.runtime.train.imported.KerasDjlGraph} rebuilds a TF.js layers model as a
 * block DAG initialized with its pretrained weights, numerically equal to the imported ONNX graph
 * (and differentiable); {@link org.argus.runtime.train.FineTuneTrainerFactory} fine-tunes such a
 * graph above a chosen layer.
 */
package org.argus.runtime.train.imported;
