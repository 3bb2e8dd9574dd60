package org.argus.execution.transfer;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.PhysicalPlan;

/**
 * Keeps every layer's pooled features for fused model selection. The plan carries each layer's
 * features into the later queries ({@link #carriesFeatures()}), so the top layer's query holds them
 * all, row by row: no join of feature tables. The sink keeps that persisted query (the plan leaves
 * it cached) and reads it through a projection to {@code _id, _split, _label}, the structured
 * columns (joined before inference) and every features column renamed {@link
 * MaterializedFeatures#column} — not a second cached copy: Spark's cache matches plans up to
 * aliases, so persisting the projection would be a no-op whose data vanishes with the query's.
 * {@link #combine} joins the structured table when the plan joins after inference.
 */
final class FeatureSink implements LayerSink {
  private final TransferSpec spec;
  private final TransferLayers layers;
  private final TransferInputs inputs;
  private final PhysicalPlan plan;
  private final List<Column> features = new ArrayList<>();
  private final List<MaterializedFeatures.FeatureColumn> columns = new ArrayList<>();
  private Dataset<Row> kept;
  /** The persisted data {@link #kept} reads; unpersisted by {@link #unpersist()}. */
  private Dataset<Row> owned;
  private double inferenceSeconds;

  FeatureSink(TransferSpec spec, TransferLayers layers, TransferInputs inputs, PhysicalPlan plan) {
    this.spec = spec;
    this.layers = layers;
    this.inputs = inputs;
    this.plan = plan;
  }

  @Override
  public boolean carriesFeatures() {
    return true;
  }

  @Override
  public boolean accept(Dataset<Row> stageOut, String layer, List<String> featureCols, double seconds) {
    inferenceSeconds += seconds;
    int li = layers.layers().indexOf(layer);
    for (int j = 0; j < featureCols.size(); j++) {
      String name = MaterializedFeatures.column(li, j);
      features.add(col(featureCols.get(j)).as(name));
      columns.add(new MaterializedFeatures.FeatureColumn(layer, spec.poolings().get(j), name,
          TransferLayers.featureDim(layers.shapes().get(layer), spec.poolings().get(j)), spec.precision().paramValue()));
    }
    if (li < layers.layers().size() - 1) {
      return false; // the top layer's query carries this layer's features
    }
    List<Column> cols = new ArrayList<>(List.of(col(Columns.ID)));
    for (String c : stageOut.columns()) {
      if (c.equals(Columns.SPLIT) || c.equals(Columns.LABEL) || inputs.xCols().contains(c)) {
        cols.add(col(c));
      }
    }
    cols.addAll(features);
    owned = stageOut;
    kept = stageOut.select(cols.toArray(new Column[0]));
    return true;
  }

  /** @return the persisted data the table reads (the top query, or its join with the table) */
  Dataset<Row> cached() {
    return owned;
  }

  /** @return inference seconds of the queries seen so far */
  double inferenceSeconds() {
    return inferenceSeconds;
  }

  /** @return the feature columns, bottom layer first, poolings in the spec's order */
  List<MaterializedFeatures.FeatureColumn> columns() {
    return List.copyOf(columns);
  }

  /**
   * @return the persisted features table {@code _id, _split, _label, _x0…, f<layer>_p<pooling>…}
   *     (with a table joined after inference: the join, persisted, and the projection dropped)
   * @throws IllegalStateException before the top layer's query was handed over
   */
  Dataset<Row> combine() {
    if (kept == null) {
      throw new IllegalStateException("the top layer's query was not handed over");
    }
    if (plan.joinPlacement() != JoinPlacement.AFTER_INFERENCE || inputs.table() == null) {
      return kept;
    }
    Dataset<Row> joined = PlanExecution.withoutImageLabel(kept, inputs)
        .join(PlanExecution.hinted(inputs.table(), plan.joinStrategy()), Columns.ID)
        .persist(StorageLevel.MEMORY_AND_DISK());
    joined.count();
    owned.unpersist(true);
    owned = joined;
    kept = joined;
    return joined;
  }
}
