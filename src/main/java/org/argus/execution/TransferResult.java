package org.argus.execution;

import java.util.List;
import org.apache.spark.ml.PredictionModel;
import org.argus.plan.cost.Optimizer;

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
 */
public record TransferResult(
    List<LayerResult> layers,
    Optimizer.Decision decision,
    Counts counts,
    Measured measured,
    List<String> notes,
    double totalSeconds) {

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
   * @param trainingSeconds wall seconds to fit and score the downstream model
   * @param model the fitted downstream model (saveable: {@code ((MLWritable) model).write().save(dir)})
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
      PredictionModel<?, ?> model) {}

  /**
   * Row counts. Rows are never silently dropped: every image row is either used, dropped by the
   * join (no structured row with its id), or quarantined (with the reason counted).
   *
   * @param imageRows image rows read (for an image folder: the decodable files)
   * @param tableRows structured rows read (0 without a table)
   * @param joinedRows rows used for training and testing
   * @param imagesDroppedByJoin image rows without a structured row
   * @param tableRowsDroppedByJoin structured rows without an image
   * @param quarantinedUndecodable images that failed to decode (image folder) or had a null image
   * @param quarantinedDuplicateIds rows whose id occurs more than once in its table (all copies)
   * @param quarantinedNullValues structured rows with a null/NaN feature or a null label
   */
  public record Counts(
      long imageRows,
      long tableRows,
      long joinedRows,
      long imagesDroppedByJoin,
      long tableRowsDroppedByJoin,
      long quarantinedUndecodable,
      long quarantinedDuplicateIds,
      long quarantinedNullValues) {}

  /**
   * Measured values of the run (local mode: the driver is the executor).
   *
   * @param seconds wall seconds of the feature-transfer queries and training
   * @param peakHeapBytes the driver JVM's used heap, sampled every 50 ms during the run (includes
   *     garbage not yet collected; in local mode the driver is the executor; -1 on a cluster)
   * @param memoryBytesSpilled Spark task metric, summed over tasks
   * @param diskBytesSpilled Spark task metric, summed over tasks
   * @param peakExecutionMemoryBytes the largest Spark task peak execution memory
   * @param materializedBytes the largest storage (memory + disk) held by persisted layers at once
   */
  public record Measured(
      double seconds,
      long peakHeapBytes,
      long memoryBytesSpilled,
      long diskBytesSpilled,
      long peakExecutionMemoryBytes,
      long materializedBytes) {}
}
