package org.argus.plan.mop;

import java.util.HashMap;
import java.util.Map;

/**
 * Measured unit-query times per config (task time, ms): the scheduler's estimate of a config's
 * remaining work over a run, and a round job's task's over the units it ran. Scheduling only:
 * never changes a result. Not thread-safe.
 */
public final class UnitTimes {
  private final Map<Integer, long[]> sums = new HashMap<>(); // trial -> {sum ms, count}

  /**
   * @param trial a config
   * @param ms one of its units' task time, ms
   */
  public void add(int trial, long ms) {
    sums.merge(trial, new long[] {ms, 1}, (x, y) -> new long[] {x[0] + y[0], x[1] + y[1]});
  }

  /** @return the mean over every measured unit, 1 when none is measured yet */
  public double overallMean() {
    double all = 0;
    long n = 0;
    for (long[] v : sums.values()) {
      all += v[0];
      n += v[1];
    }
    return n == 0 ? 1 : all / n;
  }

  /**
   * @param trial a config
   * @param fallback its estimate when it has no measured unit yet
   * @return the config's mean unit time
   */
  public double mean(int trial, double fallback) {
    long[] v = sums.get(trial);
    return v == null ? fallback : (double) v[0] / v[1];
  }
}
