package org.argus.execution.train;

/**
 * Receives the progress of a data-parallel run, on the driver thread that runs it (a surface prints
 * it; the execution prints nothing itself).
 */
public interface TrainProgress {
  /** Ignores everything. */
  TrainProgress SILENT = new TrainProgress() {};

  /**
   * After each synchronization.
   *
   * @param epoch 1-based epoch
   * @param epochs epochs in the run
   * @param step steps done in this epoch
   * @param stepsPerEpoch steps per epoch
   * @param examplesPerSecond examples per second since the epoch started
   */
  default void step(int epoch, int epochs, int step, int stepsPerEpoch, double examplesPerSecond) {}

  /**
   * After each epoch's checkpoint is written.
   *
   * @param metrics the epoch
   * @param checkpoint the checkpoint's name in the run directory
   */
  default void epoch(EpochMetrics metrics, String checkpoint) {}
}
