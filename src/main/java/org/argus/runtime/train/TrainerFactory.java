package org.argus.runtime.train;

import java.io.Serializable;
import java.util.List;

/**
 * Creates trainers; shipped to Spark executors, so it must be serializable and cheap to send.
 */
public interface TrainerFactory extends Serializable {
  /**
   * @param config the config's hyperparameters
   * @param seed the trial's seed (weight init)
   * @return a fresh trainer
   * @throws TrainingException if the model cannot be built for the config
   */
  Trainer create(Hyperparameters config, long seed) throws TrainingException;

  /**
   * Averages states element-wise (weights and optimizer slots; the step counter of the first state
   * is kept — shards may differ by a batch): the
   * model averaging of the BSP baseline.
   *
   * @param states states of the same config, at least one
   * @return the averaged state
   * @throws TrainingException if the states do not match
   */
  byte[] average(List<byte[]> states) throws TrainingException;

  /**
   * The columns of a stored example this config's trainer reads (default: every column). Callers
   * that build batches from stored rows copy only these ({@link Columns#copy}); the trainer accepts
   * batches of either the full row or these columns.
   *
   * @param config the config's hyperparameters
   * @return the columns its trainer reads
   * @throws IllegalArgumentException if the config selects nothing this factory can train
   */
  default Columns columns(Hyperparameters config) {
    return Columns.all();
  }

  /** @return a description for reports, e.g. {@code djl-pytorch cnn [1,28,28] -> 10} */
  String describe();
}
