package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One Keras layer as a DJL block: inputs are the layer's inbound tensors in order, the output is
 * one tensor ({@code [N, C, H, W]} NCHW images or {@code [N, F]} vectors). Subclasses compute
 * {@link #apply}; parameters carry their pretrained values as initializers ({@link #pretrained}).
 */
abstract class NodeBlock extends AbstractBlock {
  /** The Keras layer name, for messages. */
  final String layer;

  NodeBlock(String layer) {
    org.argus.runtime.train.ZeroedAllocations.ensure(); // before its first PyTorch operation
    this.layer = layer;
  }

  /**
   * @param ps the parameter store (gives the parameter arrays)
   * @param in the inbound tensors
   * @param training true to compute in training mode (batch statistics in batch normalization)
   * @return the layer's output
   */
  abstract NDArray apply(ParameterStore ps, NDList in, boolean training);

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(apply(ps, inputs, training));
  }

  /**
   * Output shapes by running the initialized layer on zeros of the input shapes (in inference
   * mode, on a temporary manager); only used for shape queries, not on the training path.
   *
   * @throws IllegalStateException before {@link #initialize}
   */
  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    if (!isInitialized()) {
      throw new IllegalStateException("initialize layer '" + layer + "' before asking for shapes");
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDList zeros = new NDList();
      for (Shape s : inputShapes) {
        zeros.add(m.zeros(s, DataType.FLOAT32));
      }
      ParameterStore ps = new ParameterStore(m, false);
      return new Shape[] {apply(ps, zeros, false).getShape()};
    }
  }

  /**
   * @param name the parameter name
   * @param type its kind
   * @param shape its DJL (PyTorch) shape
   * @param values the pretrained values, row-major over {@code shape}
   * @param trainable false for running statistics and absent Keras weights (e.g. β without {@code
   *     center})
   * @return a parameter initialized to {@code values}
   */
  static Parameter pretrained(String name, Parameter.Type type, Shape shape, float[] values,
      boolean trainable) {
    if (shape.size() != values.length) {
      throw new IllegalArgumentException("parameter " + name + " of shape " + shape + " needs "
          + shape.size() + " values, found " + values.length);
    }
    return Parameter.builder()
        .setName(name)
        .setType(type)
        .optShape(shape)
        .optRequiresGrad(trainable)
        .optInitializer((m, s, dt) -> m.create(values, s))
        .build();
  }

  /** @return the array of parameter {@code p} from the store */
  static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
    return ps.getValue(p, like.getDevice(), training);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + layer + ")";
  }
}
