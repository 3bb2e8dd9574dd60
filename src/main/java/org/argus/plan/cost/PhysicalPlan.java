package org.argus.plan.cost;

import java.util.List;
import java.util.Objects;
import org.argus.plan.MaterializedFormat;

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
 * @param format how activations are materialized between stages (costed and executed alike)
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
    MaterializedFormat format,
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
    Objects.requireNonNull(format, "format");
    stages = List.copyOf(stages);
    notes = List.copyOf(notes);
  }

  /**
   * @param why the reason to record
   * @return this plan with another {@link #reason}
   */
  public PhysicalPlan withReason(String why) {
    return new PhysicalPlan(logical, persistence, partitions, tasksPerExecutor, ortThreads, batchSize,
        columnBatchRows, format, joinPlacement, joinStrategy, stages, peakHeapBytesPerExecutor,
        peakNativeBytesPerExecutor, materializedBytes, cost, fits, why, notes);
  }

  /**
   * @param newNotes the notes to record
   * @return this plan with other {@link #notes}
   */
  public PhysicalPlan withNotes(List<String> newNotes) {
    return new PhysicalPlan(logical, persistence, partitions, tasksPerExecutor, ortThreads, batchSize,
        columnBatchRows, format, joinPlacement, joinStrategy, stages, peakHeapBytesPerExecutor,
        peakNativeBytesPerExecutor, materializedBytes, cost, fits, reason, newNotes);
  }

  /** @return one line: plan, persistence, partitions, tasks × threads, batch, join */
  public String summary() {
    return String.format(
        "%s, %s, %d partitions, %d tasks × %d ORT threads per executor, batch %d, column batch %d rows%s%s",
        logical.cliName(), persistence, partitions, tasksPerExecutor, ortThreads, batchSize,
        columnBatchRows,
        logical == LogicalPlan.STAGED ? ", activations " + format.cliName() : "",
        joinPlacement == JoinPlacement.NONE
            ? ""
            : ", join " + joinPlacement.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + " (" + joinStrategy.name().toLowerCase(java.util.Locale.ROOT) + ")");
  }
}
