package org.argus.execution.transfer;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.argus.execution.ProgressSink;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.PhysicalPlan;

/**
 * Keeps every layer's pooled features for fused model selection: each layer's query is projected to
 * {@code _id} and its features columns (renamed {@link MaterializedFeatures#column}) and persisted
 * before the plan drops the query (the bottom layer also keeps {@code _split}, {@code _label} and
 * the structured columns when the plan joined before inference); {@link #combine} joins the
 * projections on {@code _id} (and the structured table when the plan joins after inference) into
 * one persisted table and drops the projections.
 */
final class FeatureSink implements LayerSink {
  private final TransferSpec spec;
  private final TransferLayers layers;
  private final TransferInputs inputs;
  private final PhysicalPlan plan;
  private final ProgressSink progress;
  private final List<Dataset<Row>> kept = new ArrayList<>();
  private final List<MaterializedFeatures.FeatureColumn> columns = new ArrayList<>();
  private double inferenceSeconds;

  FeatureSink(TransferSpec spec, TransferLayers layers, TransferInputs inputs, PhysicalPlan plan,
      ProgressSink progress) {
    this.spec = spec;
    this.layers = layers;
    this.inputs = inputs;
    this.plan = plan;
    this.progress = progress;
  }

  @Override
  public void accept(Dataset<Row> stageOut, String layer, List<String> featureCols, double seconds) {
    inferenceSeconds += seconds;
    int li = layers.layers().indexOf(layer);
    List<Column> cols = new ArrayList<>(List.of(col(Columns.ID)));
    if (kept.isEmpty()) {
      for (String c : stageOut.columns()) {
        if (c.equals(Columns.SPLIT) || c.equals(Columns.LABEL) || c.startsWith("_x")) {
          cols.add(col(c));
        }
      }
    }
    for (int j = 0; j < featureCols.size(); j++) {
      String name = MaterializedFeatures.column(li, j);
      cols.add(col(featureCols.get(j)).as(name));
      columns.add(new MaterializedFeatures.FeatureColumn(layer, spec.poolings().get(j), name,
          TransferLayers.featureDim(layers.shapes().get(layer), spec.poolings().get(j))));
    }
    Dataset<Row> d = stageOut.select(cols.toArray(new Column[0])).persist(StorageLevel.fromString(plan.persistence().name()));
    d.count();
    kept.add(d);
  }

  /** @return inference seconds of the queries seen so far */
  double inferenceSeconds() {
    return inferenceSeconds;
  }

  /** @return the feature columns kept so far, bottom layer first, poolings in the spec's order */
  List<MaterializedFeatures.FeatureColumn> columns() {
    return List.copyOf(columns);
  }

  /**
   * Joins the kept projections into one persisted table ({@code MEMORY_AND_DISK}), counts it and
   * drops the projections.
   *
   * @return {@code _id, _split, _label, _x0…, f<layer>_p<pooling>…}
   */
  Dataset<Row> combine() {
    String label = "combine features";
    progress.begin(label, -1, "tables", () -> 0);
    Dataset<Row> d = kept.get(0);
    for (int i = 1; i < kept.size(); i++) {
      d = d.join(kept.get(i), Columns.ID);
    }
    if (plan.joinPlacement() == JoinPlacement.AFTER_INFERENCE && inputs.table() != null) {
      d = PlanExecution.withoutImageLabel(d, inputs).join(PlanExecution.hinted(inputs.table(), plan.joinStrategy()),
          Columns.ID);
    }
    List<String> order = new ArrayList<>(List.of(Columns.ID, Columns.SPLIT, Columns.LABEL));
    order.addAll(inputs.xCols());
    columns.forEach(c -> order.add(c.column()));
    List<String> have = Arrays.asList(d.columns());
    for (String c : order) {
      if (!have.contains(c)) {
        throw new IllegalStateException("combined features lack column " + c + "; have " + have);
      }
    }
    Dataset<Row> out = d.selectExpr(order.toArray(new String[0])).persist(StorageLevel.MEMORY_AND_DISK());
    long n = out.count();
    kept.forEach(k -> k.unpersist(true));
    kept.clear();
    progress.end(label, n + " rows, " + columns.size() + " feature columns");
    return out;
  }
}
