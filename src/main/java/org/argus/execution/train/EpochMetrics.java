package org.argus.execution.train;

import java.io.Serializable;

/**
 * One epoch of a data-parallel run. Loss and accuracy are over the examples the epoch trained on,
 * each measured at the weights before the step that used it (as trainers report training metrics).
 *
 * @param epoch 1-based epoch
 * @param steps optimizer steps of the driver model in the epoch (local SGD: local steps)
 * @param examples examples trained on
 * @param loss mean softmax cross-entropy (nats)
 * @param accuracy fraction in [0, 1]
 * @param seconds wall-clock seconds of the epoch, checkpoint included
 */
public record EpochMetrics(int epoch, int steps, long examples, double loss, double accuracy,
    double seconds) implements Serializable {
  /** @return examples per second over the epoch */
  public double examplesPerSecond() {
    return examples / Math.max(seconds, 1e-9);
  }
}
