package org.argus.plan.cost;

import java.util.List;
import java.util.Objects;

/**
 * A fully decided feature-transfer plan with the cost model's estimates (Vista §4.2: logical plan
 * plus the physical choices of persistence, partitions, cores and join).
 *
 * @param logical lazy, eager or staged
 * @param persistence storage level of materialized layers
 * @param partitions partitions of the (joined) image table during inference
 * @param tasksPerExecutor concurrent inference tasks per executor
 * @param ortThreads ONNX Runtime intra-op threads per task ({@code tasks × threads ≤ cores})
 * @param batchSize images per ONNX Runtime call
 * @param columnBatchRows rows per in-memory column batch of a cached layer
 * @param joinPlacement before/after inference, or none
 * @param joinStrategy broadcast/shuffle, or none
 * @param stages per-stage estimates, in execution order
 * @param peakHeapBytesPerExecutor estimated peak JVM heap per executor: Spark's reserved memory +
 *     concurrent tasks' transient heap + storage held in memory
 * @param peakNativeBytesPerExecutor estimated peak ONNX Runtime memory per executor
 * @param materializedBytes bytes written to storage over the whole run (cluster total)
 * @param cost estimated cost in FLOP-equivalents (see {@link CostModel#BYTE_FLOPS})
 * @param fits whether the estimates fit the resources
 * @param reason why it does not fit (empty when it fits)
 * @param notes decisions worth reporting (sorting, fallbacks, overrides obeyed)
 */
public record PhysicalPlan(
    LogicalPlan logical,
    Persistence persistence,
    int partitions,
    int tasksPerExecutor,
    int ortThreads,
    int batchSize,
    int columnBatchRows,
    JoinPlacement joinPlacement,
    JoinStrategy joinStrategy,
    List<StageEstimate> stages,
    long peakHeapBytesPerExecutor,
    long peakNativeBytesPerExecutor,
    long materializedBytes,
    double cost,
    boolean fits,
    String reason,
    List<String> notes) {

  /** Copies the lists. */
  public PhysicalPlan {
    Objects.requireNonNull(logical, "logical");
    stages = List.copyOf(stages);
    notes = List.copyOf(notes);
  }

  /** @return one line: plan, persistence, partitions, tasks × threads, batch, join */
  public String summary() {
    return String.format(
        "%s, %s, %d partitions, %d tasks × %d ORT threads per executor, batch %d, column batch %d rows%s",
        logical.cliName(), persistence, partitions, tasksPerExecutor, ortThreads, batchSize,
        columnBatchRows,
        joinPlacement == JoinPlacement.NONE
            ? ""
            : ", join " + joinPlacement.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + " (" + joinStrategy.name().toLowerCase(java.util.Locale.ROOT) + ")");
  }
}
