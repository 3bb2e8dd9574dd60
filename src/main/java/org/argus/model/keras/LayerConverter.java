package org.argus.model.keras;

import org.argus.model.ModelFormatException;

/**
 * Converts one Keras layer class into ONNX nodes appended to an {@link ImportGraph}. A converter
 * reads the layer's inputs with {@link ImportGraph#in}/{@link ImportGraph#x}, appends its nodes and
 * initializers, and records its output with {@link ImportGraph#define}.
 */
@FunctionalInterface
interface LayerConverter {
  /**
   * @param g the graph under construction; every input of {@code l} is converted already
   * @param l the layer to convert
   * @throws ModelFormatException when an argument is unsupported or a weight missing or mis-shaped;
   *     the message names the layer and its class
   */
  void convert(ImportGraph g, KerasLayer l) throws ModelFormatException;
}
