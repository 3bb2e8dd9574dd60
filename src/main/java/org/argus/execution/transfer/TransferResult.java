package org.argus.execution.transfer;

import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PredictionModel;
import org.argus.plan.cost.ByteSize;
import org.argus.plan.cost.Optimizer;
import org.argus.plan.cost.PhysicalPlan;
import org.argus.plan.cost.StageEstimate;

/**
 * What a feature-transfer run produced: per layer the metrics, dimension, fitted downstream model
 * and timings; the plan that ran with the optimizer's estimates next to measurements; and the row
 * counts of the join and the quarantine.
 *
 * @param layers per layer, bottom to top
 * @param decision the optimizer's decision (chosen plan, rejected alternatives, estimates)
 * @param counts rows read, joined, dropped by the join, quarantined
 * @param measured what the run measured (to check the estimates)
 * @param notes handling worth reporting (sorted layers, fallback cuts, quarantined rows)
 * @param totalSeconds wall seconds of the run
 * @param model the model the features came from (for provenance)
 */
public record TransferResult(
    List<LayerResult> layers,
    Optimizer.Decision decision,
    Counts counts,
    Measured measured,
    List<String> notes,
    double totalSeconds,
    ModelInfo model) {

  /**
   * The model a run read.
   *
   * @param name roster name or ONNX file path
   * @param sha256 hex sha256 of the full model's ONNX bytes
   * @param preprocessing the preprocessing applied, e.g. {@code 96x96:rgb:tf:nhwc}
   * @param pooling the reduction of each layer's activation, e.g. {@code max:2}
   */
  public record ModelInfo(String name, String sha256, String preprocessing, String pooling) {}

  /** Copies the lists. */
  public TransferResult {
    layers = List.copyOf(layers);
    notes = List.copyOf(notes);
  }

  /**
   * One layer's outcome.
   *
   * @param layer layer name
   * @param featureDim CNN features after pooling (plus the structured columns when joined)
   * @param activationShape the layer's activation per image ({@code [C, H, W]} or {@code [F]})
   * @param accuracy test accuracy in [0, 1]
   * @param macroF1 unweighted mean of per-label F1 over the labels in the test rows
   * @param auc area under ROC for a binary label, else {@code NaN}
   * @param trainRows training rows
   * @param testRows test rows
   * @param inferenceSeconds wall seconds of the query that computed and persisted the layer (for
   *     eager, the one shared pass is attributed to the first layer)
   * @param materializationSeconds wall seconds to build the layer's training table (join after inference)
   * @param trainingSeconds wall seconds to fit and score the downstream model (with
   *     cross-validation: all fold fits and the refit)
   * @param model the fitted downstream model (saveable: {@code ((MLWritable) model).write().save(dir)});
   *     with cross-validation, the best grid point refitted on the whole training split (Spark's
   *     {@code CrossValidatorModel.bestModel}), which the test metrics above score
   * @param crossValidation what cross-validation chose, or null when the spec has no folds
   */
  public record LayerResult(
      String layer,
      int featureDim,
      long[] activationShape,
      double accuracy,
      double macroF1,
      double auc,
      long trainRows,
      long testRows,
      double inferenceSeconds,
      double materializationSeconds,
      double trainingSeconds,
      PredictionModel<?, ?> model,
      CrossValidation crossValidation) {}

  /**
   * The outcome of k-fold cross-validation of the downstream learner on one layer (Spark ML {@code
   * CrossValidator}: every grid point fitted on k−1 folds and scored on the held-out fold; the
   * metric averaged over the folds; the best point refitted on the whole training split).
   *
   * @param folds k
   * @param metric the {@code MulticlassClassificationEvaluator} metric: {@code accuracy} or {@code f1}
   *     (label-weighted F1)
   * @param chosenParams the best grid point, param name → value, sorted by name (printable, e.g.
   *     {@code {regParam=0.1}}; empty when the grid was the learner as configured)
   * @param meanMetric the best point's metric, averaged over the k held-out folds
   * @param gridMetrics every grid point's averaged metric, in grid order
   */
  public record CrossValidation(
      int folds, String metric, Map<String, String> chosenParams, double meanMetric, List<Double> gridMetrics) {
    /** Copies the map (keeping its order) and the list. */
    public CrossValidation {
      chosenParams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(chosenParams));
      gridMetrics = List.copyOf(gridMetrics);
    }
  }

  /**
   * Row counts. Rows are never silently dropped: every image row is either used, dropped by the
   * join (no structured row with its id), or quarantined (with the reason counted).
   *
   * @param imageRows image rows read (for an image folder: the decodable files)
   * @param tableRows structured rows read (0 without a table)
   * @param joinedRows rows used for training and testing
   * @param imagesDroppedByJoin image rows without a structured row
   * @param tableRowsDroppedByJoin structured rows without an image
   * @param quarantinedUndecodable image rows the inference kernel could not use: files an image folder
   *     could not decode, null images or ids, and image structs of a bad size, channel count or data
   *     length
   * @param quarantinedDuplicateIds rows whose id occurs more than once in its table (all copies)
   * @param quarantinedNullValues structured rows with a null, NaN or infinite feature, a null label or
   *     a null id
   * @param quarantineReasons every quarantined row's reason → rows, most frequent first (the image
   *     reasons are the inference kernel's, identical to the featurizer's {@code invalid_reason})
   */
  public record Counts(
      long imageRows,
      long tableRows,
      long joinedRows,
      long imagesDroppedByJoin,
      long tableRowsDroppedByJoin,
      long quarantinedUndecodable,
      long quarantinedDuplicateIds,
      long quarantinedNullValues,
      Map<String, Long> quarantineReasons) {
    /** Copies the map, keeping its order. */
    public Counts {
      quarantineReasons = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(quarantineReasons));
    }

    /** @return rows quarantined in all (images, duplicate ids, structured values) */
    public long quarantined() {
      return quarantinedUndecodable + quarantinedDuplicateIds + quarantinedNullValues;
    }
  }

  /**
   * Measured values of the run (local mode: the driver is the executor).
   *
   * @param seconds wall seconds of the feature-transfer queries and training
   * @param peakHeapBytes the driver JVM's used heap, sampled every 50 ms during the run (includes
   *     garbage not yet collected; in local mode the driver is the executor; -1 on a cluster)
   * @param peakLiveHeapBytes the largest heap in use right after a garbage collection during the run
   *     (live data: held storage plus the tasks' buffers at that moment; -1 on a cluster or when no
   *     collection ran)
   * @param memoryBytesSpilled Spark task metric, summed over tasks
   * @param diskBytesSpilled Spark task metric, summed over tasks
   * @param peakExecutionMemoryBytes the largest Spark task peak execution memory
   * @param materializedBytes the largest storage (memory + disk) held by persisted layers at once
   * @param phases per phase of the run, in execution order: each inference query of the plan
   *     (matching {@link PhysicalPlan#stages()} one to one) and each layer's training
   */
  public record Measured(
      double seconds,
      long peakHeapBytes,
      long peakLiveHeapBytes,
      long memoryBytesSpilled,
      long diskBytesSpilled,
      long peakExecutionMemoryBytes,
      long materializedBytes,
      List<PhaseMetrics> phases) {
    /** Copies the list. */
    public Measured {
      phases = List.copyOf(phases);
    }
  }

  /**
   * Spark task metrics of one phase of the run, summed (spills) or maximized (peak execution
   * memory) over the tasks of the Spark jobs the phase started ({@code SparkListenerTaskEnd}).
   *
   * @param label the phase, e.g. {@code stage 2/3 block_3_expand_relu → block_6_expand_relu} or
   *     {@code train block_6_expand_relu}
   * @param inference true for an inference query (a stage of the plan), false for training
   * @param seconds wall seconds of the phase
   * @param tasks Spark tasks that ended in the phase
   * @param peakExecutionMemoryBytes the largest {@code peakExecutionMemory} of one task (bytes of
   *     Spark execution memory: sort, aggregation and join buffers)
   * @param memoryBytesSpilled bytes spilled, in their in-memory (deserialized) size
   * @param diskBytesSpilled bytes spilled, in their on-disk (serialized) size
   * @param heldBytes storage (memory + disk) held by persisted layers when the phase ended (-1 for
   *     a training phase)
   * @param peakLiveHeapBytes the largest heap in use right after a garbage collection during the
   *     phase (-1 when none ran)
   * @param collections garbage collections during the phase
   * @param taskBatchCycleBytes the most heap one task allocated in one batch cycle of the inference
   *     kernel (JVM per-thread allocation counter; each task's first cycle left out), the measured
   *     counterpart of the estimated task heap; −1 for training phases or when not measured
   */
  public record PhaseMetrics(
      String label,
      boolean inference,
      double seconds,
      long tasks,
      long peakExecutionMemoryBytes,
      long memoryBytesSpilled,
      long diskBytesSpilled,
      long heldBytes,
      long peakLiveHeapBytes,
      long collections,
      long taskBatchCycleBytes) {}

  /**
   * The run checked against the cost model (EXPLAIN ANALYZE): per stage of the chosen plan the
   * estimated task heap and bytes held next to the measured bytes held, task peak execution
   * memory and spill; then each training phase; then the run's peak heap and spill.
   *
   * @return multi-line text, each line ending in a newline
   */
  public String estimatedVsMeasured() {
    PhysicalPlan p = decision.chosen();
    StringBuilder sb = new StringBuilder("ESTIMATED vs MEASURED: ").append(p.summary()).append('\n');
    int stage = 0;
    for (PhaseMetrics m : measured.phases()) {
      sb.append("  ").append(m.label()).append('\n');
      if (m.inference() && stage < p.stages().size()) {
        StageEstimate e = p.stages().get(stage++);
        sb.append(String.format("    est.  task heap %s, holds %s%n", ByteSize.format(e.taskHeapBytes()),
            ByteSize.format(e.heldBytes())));
        if (m.taskBatchCycleBytes() >= 0) {
          sb.append(String.format("    meas. task heap (largest batch cycle of a task) %s: est./meas. %.2f; held est./meas. %.2f%n",
              ByteSize.format(m.taskBatchCycleBytes()), (double) e.taskHeapBytes() / Math.max(1, m.taskBatchCycleBytes()),
              m.heldBytes() > 0 ? (double) e.heldBytes() / m.heldBytes() : Double.NaN));
        }
      }
      sb.append(String.format("    meas. %s%speak execution memory/task %s, spilled %s memory / %s disk, %d tasks, %.1f s%s%n",
          m.heldBytes() >= 0 ? "holds " + ByteSize.format(m.heldBytes()) : "",
          m.heldBytes() >= 0 ? ", " : "",
          ByteSize.format(m.peakExecutionMemoryBytes()), ByteSize.format(m.memoryBytesSpilled()),
          ByteSize.format(m.diskBytesSpilled()), m.tasks(), m.seconds(),
          m.peakLiveHeapBytes() < 0 ? "" : String.format(", live heap after GC ≤ %s (%d GCs)",
              ByteSize.format(m.peakLiveHeapBytes()), m.collections())));
    }
    sb.append(String.format("  run: est. peak heap/executor %s, measured live %s (used incl. garbage %s); "
            + "est. materialized %s, measured max held %s; spilled %s memory / %s disk%n",
        ByteSize.format(p.peakHeapBytesPerExecutor()),
        measured.peakLiveHeapBytes() < 0 ? "?" : ByteSize.format(measured.peakLiveHeapBytes()),
        measured.peakHeapBytes() < 0 ? "? (not local)" : ByteSize.format(measured.peakHeapBytes()),
        ByteSize.format(p.materializedBytes()), ByteSize.format(measured.materializedBytes()),
        ByteSize.format(measured.memoryBytesSpilled()), ByteSize.format(measured.diskBytesSpilled())));
    return sb.toString();
  }
}
