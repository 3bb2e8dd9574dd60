package org.argus.runtime.train;

import ai.djl.nn.Block;
import java.io.Serializable;

/**
 * A user model family for {@link DjlTrainerFactory}: builds an uninitialized DJL {@link Block} that
 * maps {@code [N, inputShape...]} float32 to {@code [N, classes]} logits. Serializable because it
 * is shipped to executors; it must be deterministic (no random layers such as dropout) for
 * checkpoint equivalence.
 */
@FunctionalInterface
public interface BlockFactory extends Serializable {
  /**
   * @param config the config's hyperparameters
   * @param classes number of output classes
   * @return a fresh block
   */
  Block build(Hyperparameters config, int classes);
}
