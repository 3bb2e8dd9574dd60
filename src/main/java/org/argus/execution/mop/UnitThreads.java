package org.argus.execution.mop;

import org.apache.spark.SparkContext;

/**
 * PyTorch intra-op threads a unit query uses unless told: the cores a Spark task owns, so that the
 * worker slots running unit queries side by side do not oversubscribe the cores. PyTorch's own
 * default is every core of the machine per trainer; with 2 slots on 2 cores that is 4 busy threads
 * (OpenMP workers spin while they wait), measured on the demo workload (MobileNetV2 96², 4 heads,
 * 4 000 rows, 2 cores): 2.2–5 ms per head step against 0.7 ms with one thread per slot.
 */
public final class UnitThreads {
  private UnitThreads() {}

  /**
   * @param sc the Spark context
   * @param slots worker slots running unit queries at once ({@code >= 1})
   * @return on a local master, the driver's cores divided among the slots (at least 1); on a
   *     cluster, {@code spark.task.cpus} (default 1): the cores Spark reserves for each task
   */
  public static int perTask(SparkContext sc, int slots) {
    if (sc.isLocal()) {
      return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, slots));
    }
    return Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
  }
}
