package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Drives a {@link Procedure} without Spark: each round, every listed trial trains one epoch through
 * {@code epoch.apply(trial, epochsCompletedAfter)}. Used by tests with scripted curves and by the
 * executors' resume replay.
 */
public final class ProcedureRunner {
  private ProcedureRunner() {}

  /**
   * @param procedure the procedure (fresh)
   * @param epoch (trial, epoch number starting at 1) → result
   * @return every round the procedure emitted, in order (the last one is done)
   */
  public static List<Round> run(
      Procedure procedure, BiFunction<Trial, Integer, EpochResult> epoch) {
    List<Round> rounds = new ArrayList<>();
    int[] done = new int[0];
    List<EpochResult> results = List.of();
    while (true) {
      Round r = procedure.next(results);
      rounds.add(r);
      if (r.done()) {
        return rounds;
      }
      List<EpochResult> next = new ArrayList<>();
      for (Trial t : r.train()) {
        if (t.id() >= done.length) {
          done = java.util.Arrays.copyOf(done, Math.max(t.id() + 1, done.length * 2));
        }
        done[t.id()]++;
        next.add(epoch.apply(t, done[t.id()]));
      }
      results = next;
    }
  }
}
