package org.argus.execution.mop;

import java.io.Serializable;
import java.util.Set;

/**
 * Where a {@link RoundJob} stops: the epochs it planned (counted from 0, each config's first epoch
 * in the job) and, on a local master, its time budget. Epoch {@code k >= 1} goes ahead when the
 * first of the job's tasks to want it finds that, at the pace so far (elapsed since planning ÷ k
 * per epoch), the job would end within the budget of its planning, and every earlier epoch went
 * ahead. The answer is posted on the {@link MarkerBoard} once ({@link MarkerBoard#decide}), so
 * every task stops before the same epoch and the driver plans the rest ({@link EpochBlock}). So a
 * job can plan every epoch the procedure decided, the first job included (nothing measured yet),
 * and still end near its budget. On a cluster (tasks in several JVMs) a job runs its whole plan.
 */
final class EpochStops implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String dir;
  private final boolean oneJvm;
  private final long budgetMs;
  private final int epochs;
  private final long plannedAt = System.nanoTime(); // on the driver: on one JVM, the tasks' clock too

  /**
   * @param dir the job's marker directory
   * @param oneJvm every task of the job runs in this JVM (a local master)
   * @param budgetMs the job's time budget from its planning, ms (used on one JVM only)
   * @param epochs the epochs the job planned, {@code >= 1}
   */
  EpochStops(String dir, boolean oneJvm, long budgetMs, int epochs) {
    this.dir = dir;
    this.oneJvm = oneJvm;
    this.budgetMs = budgetMs;
    this.epochs = epochs;
  }

  /** @return the epochs the job planned */
  int epochs() {
    return epochs;
  }

  /**
   * Whether the job goes into its epoch {@code index}, deciding it (and every earlier one) if no
   * task has yet (see the class comment).
   *
   * @param index an epoch index of the job
   * @return whether units of that epoch run in the job: always for epoch 0 and on a cluster
   */
  boolean goesInto(int index) {
    if (!oneJvm) {
      return true;
    }
    for (int k = 1; k <= index; k++) {
      int e = k;
      if (!MarkerBoard.decide(dir, "epoch-" + k,
          () -> (System.nanoTime() - plannedAt) / 1e6 * (e + 1) / e <= budgetMs)) {
        return false;
      }
    }
    return true;
  }

  /**
   * @param m marker names of the job (the board's decisions among them)
   * @return the first epoch index the job does not go into by those decisions, else {@link #epochs}
   */
  int stopsBefore(Set<String> m) {
    for (int k = 1; k < epochs; k++) {
      if (m.contains("epoch-" + k + ".no")) {
        return k;
      }
    }
    return epochs;
  }
}
