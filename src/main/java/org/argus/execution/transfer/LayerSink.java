package org.argus.execution.transfer;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a run does with one layer's materialized query ({@link PlanExecution}): train the
 * downstream learner on it ({@link LearnerSink}) or keep its features for fused model selection
 * ({@link FeatureSink}). Called on the driver, bottom layer first, while the query is persisted;
 * the plan may drop the query once this returns.
 */
interface LayerSink {
  /**
   * @param stageOut the persisted query: {@code _id, _split [, _label] [, _x0…]} and the features
   *     columns
   * @param layer the layer
   * @param featureCols the layer's pooled features ({@code array<float>}), one per pooling of the
   *     spec, in the spec's order
   * @param inferenceSeconds wall seconds of the query (eager: the shared pass, on the first layer)
   * @return true when the sink keeps {@code stageOut} persisted and unpersists it itself (the plan
   *     then leaves it cached); false to let the plan drop it
   */
  boolean accept(Dataset<Row> stageOut, String layer, List<String> featureCols, double inferenceSeconds);

  /**
   * @return true when the plan should carry every layer's features into the later queries (lazy
   *     and staged then keep them in each query's output, so the last output holds every layer's
   *     features and no join is needed); false to drop them once handed over
   */
  default boolean carriesFeatures() {
    return false;
  }
}
