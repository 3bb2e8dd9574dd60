package org.argus.runtime.train;

import java.util.Iterator;

/**
 * One config's model plus optimizer, owned by one thread at a time (a unit query). Created by a
 * {@link TrainerFactory} from (config, seed). Holds native memory: close it.
 */
public interface Trainer extends AutoCloseable {
  /** @return the mini-batch size this config trains with */
  int batchSize();

  /**
   * Trains over the batches once (a sub-epoch on one shard). Stops at the first non-finite loss
   * and returns metrics with {@code diverged} set. Reads each batch completely before asking for the
   * next one and keeps none, so the batches may share arrays ({@code
   * org.argus.execution.mop.Examples#reusingBatchIterator}).
   *
   * @param batches mini-batches
   * @return training metrics over the batches
   * @throws TrainingException if the engine fails
   */
  Metrics train(Iterator<Batch> batches) throws TrainingException;

  /**
   * @param batches held-out batches
   * @return loss and accuracy (no parameter change)
   * @throws TrainingException if the engine fails
   */
  Metrics evaluate(Iterator<Batch> batches) throws TrainingException;

  /**
   * Class probabilities of a batch (softmax of the logits, inference mode: no parameter change,
   * dropout off).
   *
   * @param batch the examples ({@code x} {@code [n, inputShape...]} float32 row-major; {@code y}
   *     is ignored and may hold anything of length {@code n})
   * @return {@code [n, classes]} float32 row-major, each row summing to 1
   * @throws TrainingException if the engine fails
   */
  float[] predict(Batch batch) throws TrainingException;

  /**
   * @return the full state: weights, optimizer state (Adam moments / momentum buffers), step
   *     counter and seed, so that import-then-train equals uninterrupted training
   */
  byte[] exportState();

  /**
   * @param state bytes from {@link #exportState()} of a trainer of the same config
   * @throws TrainingException if the bytes are malformed or belong to another architecture
   */
  void importState(byte[] state) throws TrainingException;

  @Override
  void close();
}
