package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import java.util.function.Function;

/**
 * A Keras layer without weights (activation, padding, pooling, merge, reshape, dropout at
 * inference) as a function of its inbound tensors.
 */
final class OpBlock extends NodeBlock {
  private final Function<NDList, NDArray> op;

  /**
   * @param layer the Keras layer name
   * @param op computes the output from the inbound tensors (differentiable)
   */
  OpBlock(String layer, Function<NDList, NDArray> op) {
    super(layer);
    this.op = op;
  }

  @Override
  NDArray apply(ParameterStore ps, NDList in, boolean training) {
    return op.apply(in);
  }
}
