package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;

/**
 * Keras {@code Conv2D} / {@code DepthwiseConv2D} on {@code [N, C, H, W]}: PyTorch's 2-D
 * convolution with weight {@code [out, in/groups, kh, kw]} ({@code groups = in} for depthwise, so
 * output channel {@code i·mult + m} reads input channel {@code i}, as TF's depthwise convolution),
 * optional bias {@code [out]}, TF padding ({@link TfSame}: explicit zero padding before the
 * convolution when it is asymmetric, e.g. stride 2 on an even input), then the layer's activation.
 */
final class ConvBlock extends NodeBlock {
  private final int[] stride;
  private final boolean same;
  private final int[] kernel;
  private final int groups;
  private final String activation;
  private final Parameter weight;
  private final Parameter bias;

  /**
   * @param layer the Keras layer name
   * @param weight PyTorch-layout kernel {@code [out, in/groups, kh, kw]}, row-major
   * @param shape its shape
   * @param bias {@code [out]}, or null without bias
   * @param stride {@code [sh, sw]}
   * @param same true for Keras {@code padding="same"}, false for {@code "valid"}
   * @param groups 1, or the input channel count for a depthwise convolution
   * @param activation a Keras activation name ({@link Ops#ACTIVATIONS})
   */
  ConvBlock(String layer, float[] weight, Shape shape, float[] bias, int[] stride, boolean same,
      int groups, String activation) {
    super(layer);
    this.stride = stride.clone();
    this.same = same;
    this.kernel = new int[] {(int) shape.get(2), (int) shape.get(3)};
    this.groups = groups;
    this.activation = activation;
    this.weight = addParameter(pretrained("weight", Parameter.Type.WEIGHT, shape, weight, true));
    this.bias = bias == null ? null : addParameter(
        pretrained("bias", Parameter.Type.BIAS, new Shape(shape.get(0)), bias, true));
  }

  @Override
  NDArray apply(ParameterStore ps, NDList in, boolean training) {
    NDArray x = LayerGraphBlock.contiguous(in.singletonOrThrow());
    if (same) {
      int[] p = TfSame.pads(x, kernel, stride);
      if (!TfSame.none(p)) {
        x = TfSame.pad(x, p, 0);
      }
    }
    NDArray w = value(ps, weight, x, training);
    NDArray b = bias == null ? null : value(ps, bias, x, training);
    NDArray y = Conv2d.conv2d(x, w, b, new Shape(stride[0], stride[1]), new Shape(0, 0),
        new Shape(1, 1), groups).singletonOrThrow();
    return Ops.activate(activation, y);
  }
}
