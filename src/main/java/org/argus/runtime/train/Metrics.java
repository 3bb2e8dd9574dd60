package org.argus.runtime.train;

import java.io.Serializable;

/**
 * Sums over the examples a trainer saw: mean softmax cross-entropy loss and accuracy derive from
 * them; {@code diverged} is set when a loss was NaN or infinite (the trainer stops at that batch).
 *
 * @param examples examples seen
 * @param lossSum sum of per-example loss (nats)
 * @param correct examples whose arg-max matched the label
 * @param diverged true if a non-finite loss occurred
 */
public record Metrics(long examples, double lossSum, long correct, boolean diverged)
    implements Serializable {
  /** No examples. */
  public static final Metrics EMPTY = new Metrics(0, 0, 0, false);

  /** @return mean loss, NaN for no examples or when diverged */
  public double loss() {
    return examples == 0 || diverged ? Double.NaN : lossSum / examples;
  }

  /** @return accuracy in [0, 1], NaN for no examples or when diverged */
  public double accuracy() {
    return examples == 0 || diverged ? Double.NaN : (double) correct / examples;
  }

  /**
   * @param o other sums
   * @return the element-wise sum
   */
  public Metrics plus(Metrics o) {
    return new Metrics(
        examples + o.examples, lossSum + o.lossSum, correct + o.correct, diverged || o.diverged);
  }

  /**
   * @param name {@code loss} or {@code accuracy}
   * @return that metric
   * @throws IllegalArgumentException for another name
   */
  public double get(String name) {
    return switch (name) {
      case "loss" -> loss();
      case "accuracy" -> accuracy();
      default ->
          throw new IllegalArgumentException("unknown metric '" + name + "'; valid: loss, accuracy");
    };
  }
}
