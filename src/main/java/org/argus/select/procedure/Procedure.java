package org.argus.select.procedure;

import java.util.List;

/**
 * A model-selection procedure on the per-epoch template (Cerebro, VLDB 2020 §4.1): the executor
 * asks for a {@link Round}, trains each listed trial for one epoch, reports the {@link
 * EpochResult}s, and asks again; after each epoch the procedure may stop trials and add new ones.
 * Implementations are deterministic functions of their constructor arguments and the results fed
 * to them, so a run can be resumed by replaying recorded results. Not thread-safe.
 */
public interface Procedure {
  /** @return a short name with parameters, e.g. {@code hyperband(R=9,eta=3)} */
  String name();

  /** @return the selection goal */
  Goal goal();

  /**
   * @param results the results of the previous round's trials (empty on the first call)
   * @return the next round; {@link Round#done()} when finished
   * @throws IllegalArgumentException if a result names an unknown trial
   */
  Round next(List<EpochResult> results);

  /** @return every trial created so far, by id */
  List<Trial> trials();
}
