package org.argus.plan.cost;

/**
 * The cluster the plan runs on (Vista §4.2: executor memory and cores are the optimizer's budget).
 *
 * @param executors number of executors (1 in local mode)
 * @param coresPerExecutor task slots × ORT threads must not exceed this
 * @param heapBytesPerExecutor JVM heap of one executor ({@code spark.executor.memory}, or the
 *     driver's {@code -Xmx} in local mode)
 * @param nativeBytesPerExecutor memory outside the heap available to ONNX Runtime ({@code
 *     spark.executor.memoryOverhead}; in local mode physical memory minus the heap)
 * @param broadcastThresholdBytes the largest table broadcast in a join ({@code
 *     spark.sql.autoBroadcastJoinThreshold})
 */
public record Resources(
    int executors,
    int coresPerExecutor,
    long heapBytesPerExecutor,
    long nativeBytesPerExecutor,
    long broadcastThresholdBytes) {

  /** @throws IllegalArgumentException for fewer than 1 executor or core, or a heap below 512 MiB */
  public Resources {
    if (executors < 1 || coresPerExecutor < 1) {
      throw new IllegalArgumentException(
          "executors and cores must be ≥ 1, found " + executors + " and " + coresPerExecutor);
    }
    if (heapBytesPerExecutor < CostModel.RESERVED_BYTES + (64L << 20)) {
      throw new IllegalArgumentException(
          "executor heap must be at least " + ((CostModel.RESERVED_BYTES >> 20) + 64)
              + " MiB (Spark reserves 300 MiB), found " + (heapBytesPerExecutor >> 20) + " MiB");
    }
    if (nativeBytesPerExecutor < 0 || broadcastThresholdBytes < 0) {
      throw new IllegalArgumentException("native memory and broadcast threshold must be ≥ 0");
    }
  }

  /** @return total task slots */
  public int totalCores() {
    return executors * coresPerExecutor;
  }

  @Override
  public String toString() {
    return String.format("%d executor(s) × %d cores, heap %s, native %s, broadcast ≤ %s",
        executors, coresPerExecutor, CostModel.bytes(heapBytesPerExecutor),
        CostModel.bytes(nativeBytesPerExecutor), CostModel.bytes(broadcastThresholdBytes));
  }
}
