package org.argus.select.procedure;

import java.util.List;
import java.util.Map;

/**
 * One step of the per-epoch scheduling template: the trials that train one more epoch now, and the
 * trials stopped since the previous round (with why).
 *
 * <p>{@code decided} is how far ahead the procedure has already made up its mind: this round and
 * the next {@code decided - 1} rounds train exactly these trials, one epoch each, whatever their
 * validation metrics, as long as none of them fails (grid and random search know this from the
 * start; Hyperband and ASHA decide after every epoch, so 1). An executor may then train those epochs
 * in one go (one Spark job for several MOP rounds) and feed the results to the procedure epoch by
 * epoch afterwards; a procedure that breaks the promise makes the executor train the broken rounds
 * again, never wrong results.
 *
 * @param train trials to train one epoch each (new ones start from scratch)
 * @param stopped trial id → reason
 * @param decided rounds, this one included, whose trials are already known, {@code >= 1}
 */
public record Round(List<Trial> train, Map<Integer, String> stopped, int decided) {
  /**
   * Copies.
   *
   * @throws IllegalArgumentException if {@code decided < 1}
   */
  public Round {
    train = List.copyOf(train);
    stopped = Map.copyOf(stopped);
    if (decided < 1) {
      throw new IllegalArgumentException("a round's decided rounds must be >= 1; found " + decided);
    }
  }

  /**
   * A round decided one epoch at a time ({@code decided = 1}).
   *
   * @param train trials to train one epoch each
   * @param stopped trial id → reason
   */
  public Round(List<Trial> train, Map<Integer, String> stopped) {
    this(train, stopped, 1);
  }

  /** @return true if nothing is left to train (the procedure is done) */
  public boolean done() {
    return train.isEmpty();
  }
}
