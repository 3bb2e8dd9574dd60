package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * Keras {@code Dense} on {@code [N, F]}: {@code act(x·K + b)} with the Keras kernel {@code K [F,
 * units]} as is and bias {@code [units]}.
 */
final class DenseBlock extends NodeBlock {
  private final String activation;
  private final Parameter kernel;
  private final Parameter bias;

  /**
   * @param layer the Keras layer name
   * @param kernel {@code [in, units]} row-major
   * @param in input features
   * @param bias {@code [units]}, or null without bias
   * @param activation a Keras activation name
   */
  DenseBlock(String layer, float[] kernel, int in, float[] bias, String activation) {
    super(layer);
    int units = kernel.length / in;
    this.activation = activation;
    this.kernel = addParameter(
        pretrained("kernel", Parameter.Type.WEIGHT, new Shape(in, units), kernel, true));
    this.bias = bias == null ? null
        : addParameter(pretrained("bias", Parameter.Type.BIAS, new Shape(units), bias, true));
  }

  @Override
  NDArray apply(ParameterStore ps, NDList in, boolean training) {
    NDArray x = in.singletonOrThrow();
    NDArray y = x.matMul(value(ps, kernel, x, training));
    if (bias != null) {
      y = y.add(value(ps, bias, x, training));
    }
    return Ops.activate(activation, y);
  }
}
