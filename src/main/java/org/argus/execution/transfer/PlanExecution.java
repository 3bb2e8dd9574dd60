package org.argus.execution.transfer;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.argus.execution.ProgressSink;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.Int8Graphs;
import org.argus.model.quantize.Precision;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.GraphSource;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;
import org.argus.model.resolve.GraphCut;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.JoinStrategy;
import org.argus.plan.cost.PhysicalPlan;

/**
 * Runs a chosen {@link PhysicalPlan} (Vista, SIGMOD 2020, §4.1) with the one inference kernel and
 * trains the downstream model on every layer as soon as its features are materialized:
 *
 * <ul>
 *   <li><b>lazy</b>: one query per layer, each cut from the pixels; layer i's output is dropped
 *       once its model is trained;
 *   <li><b>eager</b>: one query over the cut {@code pixels → {l₁ … lₖ}} emitting every layer's
 *       features, held until every layer is trained;
 *   <li><b>staged</b>: stage 1 computes {@code l₁} from the pixels, stage {@code i+1} reads stage
 *       {@code i}'s materialized activation ({@link PhysicalPlan#format()}) and computes {@code
 *       lᵢ₊₁}; stage {@code i−1} is dropped once stage {@code i} is materialized, so at most two
 *       are held. A layer that is not computable from the previous one alone is cut from the pixels.
 * </ul>
 *
 * <p>Each layer's result is handed to a callback as soon as its model is trained (the run's layer
 * checkpoints, {@link LayerCheckpoints}).
 *
 * <p>Rows are sorted by id within each inference partition before the first query, an order every
 * stage keeps, so training reads every layer's rows in a fixed order whatever the plan: results
 * are identical across plans.
 */
final class PlanExecution {
  private final SparkSession spark;
  private final TransferSpec spec;
  private final TransferLayers layers;
  private final TransferInputs inputs;
  private final PhysicalPlan plan;
  private final ProgressSink progress;
  private final RunMeasurements measurements;
  private final DownstreamTraining training;
  private final java.util.function.Consumer<TransferResult.LayerResult> onLayer;
  private final List<TransferResult.LayerResult> results = new ArrayList<>();
  /** The counters of the query built last (read when it is materialized). */
  private Counters counters;
  /** The int8 cuts' factory once calibrated (precision int8), else null. */
  private Int8Graphs int8;

  PlanExecution(SparkSession spark, TransferSpec spec, TransferLayers layers, TransferInputs inputs,
      PhysicalPlan plan, ProgressSink progress, RunMeasurements measurements,
      java.util.function.Consumer<TransferResult.LayerResult> onLayer) {
    this.spark = spark;
    this.spec = spec;
    this.layers = layers;
    this.inputs = inputs;
    this.plan = plan;
    this.progress = progress;
    this.measurements = measurements;
    this.onLayer = onLayer;
    this.training = new DownstreamTraining(spec, inputs.xCols(), inputs.numClasses(),
        spark.sparkContext().defaultParallelism());
  }

  /** @return per layer, bottom to top, its metrics and model */
  List<TransferResult.LayerResult> run() {
    Dataset<Row> base = inputs.images();
    if (plan.joinPlacement() == JoinPlacement.BEFORE_INFERENCE) {
      base = withoutImageLabel(base).join(hinted(inputs.table(), plan.joinStrategy()), Columns.ID);
    }
    base = base.repartition(plan.partitions(), col(Columns.ID)).sortWithinPartitions(Columns.ID);
    if (spec.precision() == Precision.INT8) {
      calibrate();
    }
    long total = plan.joinPlacement() == JoinPlacement.BEFORE_INFERENCE ? inputs.counts().joinedRows()
        : inputs.cleanImageRows();
    switch (plan.logical()) {
      case LAZY -> lazy(base, total);
      case EAGER -> eager(base, total);
      case STAGED -> staged(base, total);
      default -> throw new IllegalStateException("unreachable");
    }
    return results;
  }


  /**
   * Calibrates the int8 graphs on a seeded sample of the training split's images (the test split
   * never informs the ranges), as a measured phase.
   */
  private void calibrate() {
    String label = "calibrate int8";
    Dataset<Row> images = inputs.images();
    if (Arrays.asList(images.columns()).contains(Columns.SPLIT)) {
      images = images.filter(col(Columns.SPLIT).equalTo("train"));
    }
    measurements.begin(label);
    progress.begin(label, -1, "Spark jobs", () -> measurements.jobsDone(label));
    long t0 = System.nanoTime();
    int8 = Int8Graphs.calibrate(layers.model(), layers.layers(), images, col(Columns.ID), col(Columns.IMAGE), false,
        spec.calibration(), plan.ortThreads());
    double s = (System.nanoTime() - t0) / 1e9;
    measurements.end(label, false, s, false, -1);
    progress.end(label, String.format("%.1f s; %s", s, String.join("; ", int8.notes())));
  }

  /** @return what the run learned about its inputs' precision (int8 calibration and accuracy guard) */
  List<String> notes() {
    return int8 == null ? List.of() : int8.notes();
  }

  private void lazy(Dataset<Row> base, long total) {
    List<String> ls = layers.layers();
    for (int i = 0; i < ls.size(); i++) {
      String l = ls.get(i);
      String label = "query " + (i + 1) + "/" + ls.size() + " " + l;
      Dataset<Row> out = stage(base, label, pixels(), l, false, Set.of(Columns.IMAGE), total);
      double s = materialize(out, label);
      train(out, l, Columns.FEATURES, s);
      out.unpersist(true);
    }
  }

  private void eager(Dataset<Row> base, long total) {
    List<String> ls = layers.layers();
    GraphCut cut = layers.model().cutFromPixels(ls);
    String label = "eager pass → " + String.join(", ", ls);
    StructType in = base.schema();
    List<InferenceStage.Output> outs = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) {
      outs.add(new InferenceStage.Output(Columns.eagerFeatures(i), ls.get(i), features()));
    }
    InferenceStage stage = new InferenceStage(label, graph(cut), List.of(pixelInput(in)), outs,
        keep(in, Set.of(Columns.IMAGE)), in.fieldIndex(Columns.ID), plan.batchSize(), plan.ortThreads(),
        HandleInvalid.ERROR, null);
    Dataset<Row> out = run(base, stage, label, total);
    double s = materialize(out, label);
    for (int i = 0; i < ls.size(); i++) {
      train(out, ls.get(i), Columns.eagerFeatures(i), i == 0 ? s : 0);
    }
    out.unpersist(true);
  }

  private void staged(Dataset<Row> base, long total) {
    List<String> ls = layers.layers();
    List<String> ins = layers.stagedInputs();
    Dataset<Row> input = base;
    Dataset<Row> previous = null;
    for (int i = 0; i < ls.size(); i++) {
      String l = ls.get(i);
      boolean last = i == ls.size() - 1;
      boolean nextFromActivation = !last && !ins.get(i + 1).equals(pixels());
      boolean laterNeedsPixels = ins.subList(i + 1, ls.size()).contains(pixels());
      Set<String> drop = new HashSet<>(Set.of(Columns.FEATURES, Columns.ACTIVATION));
      if (!laterNeedsPixels) {
        drop.add(Columns.IMAGE);
      }
      String label = "stage " + (i + 1) + "/" + ls.size() + " " + ins.get(i) + " → " + l;
      Dataset<Row> out = stage(input, label, ins.get(i), l, nextFromActivation, drop, total);
      double s = materialize(out, label);
      if (previous != null) {
        previous.unpersist(true); // stage i−1 goes once stage i is materialized: ≤ 2 held
      }
      train(out, l, Columns.FEATURES, s);
      previous = out;
      input = out;
    }
    if (previous != null) {
      previous.unpersist(true);
    }
  }

  /** One query {@code in → layer}: features (and the activation when the next stage reads it). */
  private Dataset<Row> stage(Dataset<Row> previous, String label, String in, String layer, boolean emitActivation,
      Set<String> drop, long total) {
    boolean fromPixels = in.equals(pixels());
    // read only what the stage keeps or feeds to the graph: Spark's row deserializer would otherwise
    // box every value of the previous stage's array<float> features (JFR: a third of the stage's heap)
    String sourceCol = fromPixels ? Columns.IMAGE : Columns.ACTIVATION;
    Dataset<Row> input = previous.select(Arrays.stream(previous.columns())
        .filter(c -> !drop.contains(c) || c.equals(sourceCol)).map(org.apache.spark.sql.functions::col)
        .toArray(org.apache.spark.sql.Column[]::new));
    StructType schema = input.schema();
    GraphCut cut = layers.model().cut(List.of(in), List.of(layer));
    TensorSource source = fromPixels
        ? pixelInput(schema).source()
        : new TensorSource.Activations(schema.fieldIndex(Columns.ACTIVATION), layers.shapes().get(in), plan.format());
    List<InferenceStage.Output> outs = new ArrayList<>(List.of(new InferenceStage.Output(Columns.FEATURES, layer, features())));
    if (emitActivation) {
      outs.add(new InferenceStage.Output(Columns.ACTIVATION, layer, new Emit.Activation(plan.format())));
    }
    InferenceStage stage = new InferenceStage(label, graph(cut), List.of(new InferenceStage.Input(in, source)), outs,
        keep(schema, drop), schema.fieldIndex(Columns.ID), plan.batchSize(), plan.ortThreads(), HandleInvalid.ERROR,
        null);
    return run(input, stage, label, total);
  }

  private Dataset<Row> run(Dataset<Row> input, InferenceStage stage, String label, long total) {
    Counters counters = Counters.create(spark.sparkContext(), "argus.transfer." + label);
    this.counters = counters;
    progress.begin(label, total, "images", counters::rows);
    return Inference.apply(input, stage, counters, plan.tasksPerExecutor())
        .persist(StorageLevel.fromString(plan.persistence().name()));
  }

  /**
   * Computes and persists the last query built by {@link #run}; records it as a measured phase.
   *
   * @return its seconds
   */
  private double materialize(Dataset<Row> out, String label) {
    long t0 = System.nanoTime();
    measurements.begin(label);
    long n = out.count();
    double s = (System.nanoTime() - t0) / 1e9;
    measurements.end(label, true, s, true, counters.maxBatchCycleBytes());
    progress.end(label, String.format("%d images in %.1f s (%.0f images/s)", n, s, n / Math.max(s, 1e-9)));
    return s;
  }

  private void train(Dataset<Row> stageOut, String layer, String featuresCol, double inferenceSeconds) {
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
      d = withoutImageLabel(d.selectExpr(cols.toArray(new String[0])))
          .join(hinted(inputs.table(), plan.joinStrategy()), Columns.ID)
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
  }

  private String pixels() {
    return layers.model().pixelInput();
  }

  private InferenceStage.Input pixelInput(StructType schema) {
    return new InferenceStage.Input(pixels(),
        new TensorSource.Images(schema.fieldIndex(Columns.IMAGE), false, layers.model().preprocessing()));
  }

  private Emit features() {
    return new Emit.Features(spec.pooling(), false);
  }

  private GraphSource graph(GraphCut fp32) {
    GraphCut cut = int8 == null ? fp32 : int8.cut(fp32.inputs(), fp32.outputs());
    return GraphSource.broadcast(cut.sha256(),
        spark.sparkContext().broadcast(cut.bytes(), scala.reflect.ClassTag$.MODULE$.apply(byte[].class)));
  }

  private static int[] keep(StructType schema, Set<String> drop) {
    return Arrays.stream(schema.fieldNames()).filter(n -> !drop.contains(n)).mapToInt(schema::fieldIndex).toArray();
  }

  /** The label comes from the structured table when it has one, else from the images. */
  private Dataset<Row> withoutImageLabel(Dataset<Row> d) {
    return Arrays.asList(inputs.table().columns()).contains(Columns.LABEL) ? d.drop(Columns.LABEL) : d;
  }

  private static Dataset<Row> hinted(Dataset<Row> t, JoinStrategy s) {
    return s == JoinStrategy.BROADCAST ? org.apache.spark.sql.functions.broadcast(t) : t.hint("merge");
  }

}
