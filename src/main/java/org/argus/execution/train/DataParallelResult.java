package org.argus.execution.train;

import java.util.List;

/**
 * What a data-parallel run produced.
 *
 * @param epochs the epochs trained by this invocation (a resumed run lists only the new ones)
 * @param resumedFrom epochs already done by the checkpoint the run resumed from, 0 when fresh
 * @param state the final trainer state (weights, optimizer slots, step, seed)
 * @param weights the final trainable parameters, in the trainer's parameter order
 * @param steps optimizer steps of the final model
 * @param lastCheckpoint the name of the last checkpoint in the run directory, null if none
 * @param retries step jobs that failed once and succeeded when run again
 * @param stepLosses the mean loss of every synchronization of this invocation, in order
 */
public record DataParallelResult(List<EpochMetrics> epochs, int resumedFrom, byte[] state,
    float[][] weights, long steps, String lastCheckpoint, int retries, List<StepLoss> stepLosses) {
  /**
   * @throws NullPointerException if {@code epochs} or {@code stepLosses} is null
   */
  public DataParallelResult {
    epochs = List.copyOf(epochs);
    stepLosses = List.copyOf(stepLosses);
  }
}
