package org.argus.select.procedure;

import java.util.List;
import java.util.Map;

/**
 * One step of the per-epoch scheduling template: the trials that train one more epoch now, and the
 * trials stopped since the previous round (with why).
 *
 * @param train trials to train one epoch each (new ones start from scratch)
 * @param stopped trial id → reason
 */
public record Round(List<Trial> train, Map<Integer, String> stopped) {
  /** Copies. */
  public Round {
    train = List.copyOf(train);
    stopped = Map.copyOf(stopped);
  }

  /** @return true if nothing is left to train (the procedure is done) */
  public boolean done() {
    return train.isEmpty();
  }
}
