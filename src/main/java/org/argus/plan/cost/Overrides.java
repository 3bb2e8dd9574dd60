package org.argus.plan.cost;

import org.argus.plan.MaterializedFormat;

/**
 * Decisions fixed by the user; {@code null} leaves the decision to the optimizer. An override is
 * obeyed even when the cost model predicts it does not fit (EXPLAIN then says so).
 *
 * @param plan logical plan
 * @param persistence storage level of materialized layers
 * @param partitions partitions of the image table during inference
 * @param tasksPerExecutor concurrent inference tasks per executor
 * @param ortThreads ONNX Runtime intra-op threads per task
 * @param batchSize images per ONNX Runtime call
 * @param joinPlacement before/after inference
 * @param joinStrategy broadcast/shuffle
 * @param columnBatchRows rows per in-memory column batch of a cached layer ({@code
 *     spark.sql.inMemoryColumnarStorage.batchSize}, Spark's default 10 000)
 * @param format how activations are materialized between stages (default {@link
 *     MaterializedFormat#DEFAULT})
 */
public record Overrides(
    LogicalPlan plan,
    Persistence persistence,
    Integer partitions,
    Integer tasksPerExecutor,
    Integer ortThreads,
    Integer batchSize,
    JoinPlacement joinPlacement,
    JoinStrategy joinStrategy,
    Integer columnBatchRows,
    MaterializedFormat format) {

  /** No override: the optimizer decides everything. */
  public static final Overrides NONE = new Overrides(null, null, null, null, null, null, null, null, null, null);

  /** All but the materialized format (left to the optimizer). */
  public Overrides(LogicalPlan plan, Persistence persistence, Integer partitions, Integer tasksPerExecutor,
      Integer ortThreads, Integer batchSize, JoinPlacement joinPlacement, JoinStrategy joinStrategy,
      Integer columnBatchRows) {
    this(plan, persistence, partitions, tasksPerExecutor, ortThreads, batchSize, joinPlacement, joinStrategy,
        columnBatchRows, null);
  }

  /** @throws IllegalArgumentException for a count below 1 */
  public Overrides {
    for (Integer v : new Integer[] {partitions, tasksPerExecutor, ortThreads, batchSize, columnBatchRows}) {
      if (v != null && v < 1) {
        throw new IllegalArgumentException(
            "partitions, tasks, ORT threads and batch size must be ≥ 1 when given, found " + v);
      }
    }
  }

  /** @return a copy with the logical plan fixed */
  public Overrides withPlan(LogicalPlan p) {
    return new Overrides(p, persistence, partitions, tasksPerExecutor, ortThreads, batchSize,
        joinPlacement, joinStrategy, columnBatchRows, format);
  }

  /**
   * Spark's and ONNX Runtime's defaults, as a hand-written job would run: batch 32, one task per
   * core with one ORT thread, one partition per core, 10 000-row column batches, {@code
   * MEMORY_AND_DISK}.
   *
   * @param plan the logical plan to force
   * @param cores cores per executor
   * @return the overrides
   */
  public static Overrides sparkDefaults(LogicalPlan plan, int cores) {
    return new Overrides(plan, Persistence.MEMORY_AND_DISK, cores, cores, 1, 32, null, null, 10_000);
  }
}
