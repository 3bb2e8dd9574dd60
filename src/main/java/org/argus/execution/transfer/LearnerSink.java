package org.argus.execution.transfer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.argus.execution.ProgressSink;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.PhysicalPlan;

/**
 * Trains and scores the spec's MLlib learner ({@link DownstreamTraining}) on each layer as soon as
 * it is materialized, joining the structured table first when the plan joins after inference; each
 * layer's result goes to a callback (the run's layer checkpoints) and is kept, bottom to top.
 */
final class LearnerSink implements LayerSink {
  private final TransferSpec spec;
  private final TransferLayers layers;
  private final TransferInputs inputs;
  private final PhysicalPlan plan;
  private final ProgressSink progress;
  private final RunMeasurements measurements;
  private final DownstreamTraining training;
  private final Consumer<TransferResult.LayerResult> onLayer;
  private final List<TransferResult.LayerResult> results = new ArrayList<>();

  LearnerSink(TransferSpec spec, TransferLayers layers, TransferInputs inputs, PhysicalPlan plan, int slots,
      ProgressSink progress, RunMeasurements measurements, Consumer<TransferResult.LayerResult> onLayer) {
    this.spec = spec;
    this.layers = layers;
    this.inputs = inputs;
    this.plan = plan;
    this.progress = progress;
    this.measurements = measurements;
    this.onLayer = onLayer;
    this.training = new DownstreamTraining(spec, inputs.xCols(), inputs.numClasses(), slots);
  }

  /** @return the layers trained so far, bottom to top */
  List<TransferResult.LayerResult> results() {
    return List.copyOf(results);
  }

  @Override
  public boolean accept(Dataset<Row> stageOut, String layer, List<String> featureCols, double inferenceSeconds) {
    String featuresCol = featureCols.get(0);
    String phase = "train " + layer;
    measurements.begin(phase);
    long m0 = System.nanoTime();
    Dataset<Row> d = stageOut;
    Dataset<Row> persisted = null;
    if (plan.joinPlacement() == JoinPlacement.AFTER_INFERENCE) {
      List<String> cols = new ArrayList<>(List.of(Columns.ID, Columns.SPLIT, featuresCol));
      if (Arrays.asList(d.columns()).contains(Columns.LABEL)) {
        cols.add(Columns.LABEL);
      }
      d = PlanExecution.withoutImageLabel(d.selectExpr(cols.toArray(new String[0])), inputs)
          .join(PlanExecution.hinted(inputs.table(), plan.joinStrategy()), Columns.ID)
          .persist(StorageLevel.fromString(plan.persistence().name()));
      d.count();
      persisted = d;
    }
    double mat = (System.nanoTime() - m0) / 1e9;
    long t0 = System.nanoTime();
    progress.begin(phase, -1, "Spark jobs", () -> measurements.jobsDone(phase));
    int cnnDim = TransferLayers.featureDim(layers.shapes().get(layer), spec.pooling());
    DownstreamTraining.Outcome o = training.fitAndScore(d, featuresCol, cnnDim, layer);
    double ts = (System.nanoTime() - t0) / 1e9;
    TransferResult.CrossValidation cv = o.crossValidation();
    progress.end(phase, String.format("dim %d, accuracy %.4f, macro-F1 %.4f%s in %.1f s", o.dim(), o.metrics()[0],
        o.metrics()[1], cv == null ? "" : String.format(", chosen %s (%d-fold %s %.4f)", cv.chosenParams(),
            cv.folds(), cv.metric(), cv.meanMetric()), ts));
    if (persisted != null) {
      persisted.unpersist(true);
    }
    measurements.end(phase, false, (System.nanoTime() - m0) / 1e9, false, -1);
    TransferResult.LayerResult r = new TransferResult.LayerResult(layer, o.dim(), layers.shapes().get(layer),
        o.metrics()[0], o.metrics()[1], o.auc(), inputs.trainRows(), (long) o.metrics()[2], inferenceSeconds, mat, ts,
        o.model(), cv);
    results.add(r);
    onLayer.accept(r);
    return false;
  }
}
