package org.argus.execution.transfer;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.argus.execution.ProgressSink;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.Int8Graphs;
import org.argus.model.quantize.Int8Quantizer;
import org.argus.plan.MaterializedFormat;
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
 * hands every layer's features to a sink as soon as they are materialized:
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
 * <p>Each layer's materialized query goes to a {@link LayerSink} as soon as it is computed: the
 * downstream learner ({@link LearnerSink}) or the kept features of fused selection ({@link
 * FeatureSink}). With several poolings in the spec, every query emits one features column per
 * pooling.
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
  private final LayerSink sink;
  /** The counters of the query built last (read when it is materialized). */
  private Counters counters;
  /** The running pass's row count including running tasks' (progress), closed when it ends. */
  private org.argus.execution.RunningCount inFlight;
  /** The int8 cuts' factory once calibrated (precision int8), else null. */
  private Int8Graphs int8;
  /** Per layer whose activation a stage stores as uint8 codes: {@code {scale, zeroPoint}}. */
  private final Map<String, float[]> uint8Params = new java.util.HashMap<>();
  /** Boundaries {@link MaterializedFormat#BINARY_UINT8} could not store as uint8, and why. */
  private final List<String> uint8Notes = new ArrayList<>();

  PlanExecution(SparkSession spark, TransferSpec spec, TransferLayers layers, TransferInputs inputs,
      PhysicalPlan plan, ProgressSink progress, RunMeasurements measurements, LayerSink sink) {
    this.spark = spark;
    this.spec = spec;
    this.layers = layers;
    this.inputs = inputs;
    this.plan = plan;
    this.progress = progress;
    this.measurements = measurements;
    this.sink = sink;
  }

  /** Runs the plan, handing every layer's materialized query to the sink, bottom to top. */
  void run() {
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

  /** @return the int8 graphs the run calibrated, or null in fp32 (or before {@link #run}) */
  Int8Graphs int8Graphs() {
    return int8;
  }

  /** @return what the run learned about its inputs' precision (int8 calibration and accuracy guard) */
  List<String> notes() {
    List<String> out = new ArrayList<>(int8 == null ? List.of() : int8.notes());
    out.addAll(uint8Notes);
    return out;
  }

  private void lazy(Dataset<Row> base, long total) {
    List<String> ls = layers.layers();
    Dataset<Row> previous = null;
    boolean retained = false;
    for (int i = 0; i < ls.size(); i++) {
      String l = ls.get(i);
      String label = "query " + (i + 1) + "/" + ls.size() + " " + l;
      boolean last = i == ls.size() - 1;
      // carrying: query i reads query i−1's output (images and the features so far) and adds its own
      Dataset<Row> input = sink.carriesFeatures() && previous != null ? previous : base;
      Set<String> drop = sink.carriesFeatures() && !last ? Set.of() : Set.of(Columns.IMAGE);
      Dataset<Row> out = stage(input, label, pixels(), l, i, false, drop, total);
      double s = materialize(out, label);
      if (previous != null) {
        previous.unpersist(true);
      }
      retained = sink.accept(out, l, featureCols(i), s);
      if (sink.carriesFeatures()) {
        previous = out;
      } else if (!retained) {
        out.unpersist(true);
      }
    }
    if (previous != null && !retained) {
      previous.unpersist(true);
    }
  }

  private void eager(Dataset<Row> base, long total) {
    List<String> ls = layers.layers();
    GraphCut cut = layers.model().cutFromPixels(ls);
    String label = "eager pass → " + String.join(", ", ls);
    StructType in = base.schema();
    List<InferenceStage.Output> outs = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) {
      outs.addAll(features(i, ls.get(i)));
    }
    InferenceStage stage = new InferenceStage(label, graph(cut), List.of(pixelInput(in)), outs,
        keep(in, Set.of(Columns.IMAGE)), in.fieldIndex(Columns.ID), plan.batchSize(), plan.ortThreads(),
        HandleInvalid.ERROR, null);
    Dataset<Row> out = run(base, stage, label, total);
    double s = materialize(out, label);
    boolean retained = false;
    for (int i = 0; i < ls.size(); i++) {
      retained |= sink.accept(out, ls.get(i), featureCols(i), i == 0 ? s : 0);
    }
    if (!retained) {
      out.unpersist(true);
    }
  }

  private void staged(Dataset<Row> base, long total) {
    List<String> ls = layers.layers();
    List<String> ins = layers.stagedInputs();
    Dataset<Row> input = base;
    Dataset<Row> previous = null;
    boolean retained = false;
    for (int i = 0; i < ls.size(); i++) {
      String l = ls.get(i);
      boolean last = i == ls.size() - 1;
      boolean nextFromActivation = !last && !ins.get(i + 1).equals(pixels());
      boolean laterNeedsPixels = ins.subList(i + 1, ls.size()).contains(pixels());
      // carrying: every stage keeps the features computed below it (fused selection's shared rows)
      Set<String> drop = new HashSet<>(i == 0 || sink.carriesFeatures() ? List.of() : featureCols(i - 1));
      drop.add(Columns.ACTIVATION);
      if (!laterNeedsPixels) {
        drop.add(Columns.IMAGE);
      }
      String label = "stage " + (i + 1) + "/" + ls.size() + " " + ins.get(i) + " → " + l;
      Dataset<Row> out = stage(input, label, ins.get(i), l, i, nextFromActivation, drop, total);
      double s = materialize(out, label);
      if (previous != null) {
        previous.unpersist(true); // stage i−1 goes once stage i is materialized: ≤ 2 held
      }
      retained = sink.accept(out, l, featureCols(i), s);
      previous = out;
      input = out;
    }
    if (previous != null && !retained) {
      previous.unpersist(true);
    }
  }

  /** One query {@code in → layer}: features (and the activation when the next stage reads it). */
  private Dataset<Row> stage(Dataset<Row> previous, String label, String in, String layer, int layerIndex,
      boolean emitActivation, Set<String> drop, long total) {
    boolean fromPixels = in.equals(pixels());
    // read only what the stage keeps or feeds to the graph: Spark's row deserializer would otherwise
    // box every value of the previous stage's array<float> features (JFR: a third of the stage's heap)
    String sourceCol = fromPixels ? Columns.IMAGE : Columns.ACTIVATION;
    Dataset<Row> input = previous.select(Arrays.stream(previous.columns())
        .filter(c -> !drop.contains(c) || c.equals(sourceCol)).map(org.apache.spark.sql.functions::col)
        .toArray(org.apache.spark.sql.Column[]::new));
    StructType schema = input.schema();
    GraphCut cut = layers.model().cut(List.of(in), List.of(layer));
    TensorSource source = fromPixels ? pixelInput(schema).source() : activations(schema, in);
    List<InferenceStage.Output> outs = new ArrayList<>(features(layerIndex, layer));
    if (emitActivation) {
      outs.add(new InferenceStage.Output(Columns.ACTIVATION, layer, activation(cut, layer)));
    }
    InferenceStage stage = new InferenceStage(label, graph(cut), List.of(new InferenceStage.Input(in, source)), outs,
        keep(schema, drop), schema.fieldIndex(Columns.ID), plan.batchSize(), plan.ortThreads(), HandleInvalid.ERROR,
        null);
    return run(input, stage, label, total);
  }

  private Dataset<Row> run(Dataset<Row> input, InferenceStage stage, String label, long total) {
    Counters counters = Counters.create(spark.sparkContext(), "argus.transfer." + label);
    this.counters = counters;
    if (inFlight != null) {
      inFlight.close();
    }
    org.argus.execution.RunningCount seen = counters.watchRows(spark.sparkContext());
    this.inFlight = seen;
    progress.begin(label, total, "images", seen::value);
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
    long n;
    try {
      n = out.count();
    } finally {
      if (inFlight != null) {
        inFlight.close();
        inFlight = null;
      }
    }
    double s = (System.nanoTime() - t0) / 1e9;
    measurements.end(label, true, s, true, counters.maxBatchCycleBytes());
    progress.end(label, String.format("%d images in %.1f s (%.0f images/s)", n, s, n / Math.max(s, 1e-9)));
    return s;
  }

  private String pixels() {
    return layers.model().pixelInput();
  }

  private InferenceStage.Input pixelInput(StructType schema) {
    return new InferenceStage.Input(pixels(),
        new TensorSource.Images(schema.fieldIndex(Columns.IMAGE), false, layers.model().preprocessing()));
  }

  /** @return one features output per pooling of the spec, named {@link #featureCols} */
  private List<InferenceStage.Output> features(int layerIndex, String layer) {
    List<String> cols = featureCols(layerIndex);
    List<InferenceStage.Output> outs = new ArrayList<>();
    for (int j = 0; j < cols.size(); j++) {
      outs.add(new InferenceStage.Output(cols.get(j), layer, new Emit.Features(spec.poolings().get(j), false)));
    }
    return outs;
  }

  /**
   * @return the features columns of layer {@code i}: {@code _fI} for the first pooling, {@code
   *     _fI_pJ} for the J-th
   */
  private List<String> featureCols(int i) {
    String base = Columns.eagerFeatures(i);
    List<String> cols = new ArrayList<>();
    for (int j = 0; j < spec.poolings().size(); j++) {
      cols.add(j == 0 ? base : base + "_p" + j);
    }
    return cols;
  }

  /**
   * How a stage stores the activation the next stage reads: in the plan's format; with {@link
   * MaterializedFormat#BINARY_UINT8}, as the uint8 codes of the int8 stage's own DequantizeLinear of
   * {@code layer} (remembered for the reader), or float32 when no DequantizeLinear writes it.
   */
  private Emit.Activation activation(GraphCut fp32, String layer) {
    if (plan.format() != MaterializedFormat.BINARY_UINT8) {
      return new Emit.Activation(plan.format());
    }
    java.util.Optional<float[]> q = int8 == null ? java.util.Optional.empty()
        : Int8Quantizer.dequantizeParams(int8.cut(fp32.inputs(), fp32.outputs()).model(), layer);
    if (q.isEmpty()) {
      uint8Notes.add("activations of '" + layer + "' stored as float32: no DequantizeLinear writes it in the "
          + (int8 == null ? "fp32" : "int8") + " stage (uint8 codes need an int8 stage's own quantization)");
      return new Emit.Activation(MaterializedFormat.BINARY_FLOAT32);
    }
    uint8Params.put(layer, q.get());
    return new Emit.Activation(MaterializedFormat.BINARY_UINT8, q.get()[0], (int) q.get()[1]);
  }

  /** How a stage reads the activation of {@code layer} an earlier stage stored ({@link #activation}). */
  private TensorSource activations(StructType schema, String layer) {
    int col = schema.fieldIndex(Columns.ACTIVATION);
    float[] q = uint8Params.get(layer);
    if (q != null) {
      return new TensorSource.Activations(col, layers.shapes().get(layer), MaterializedFormat.BINARY_UINT8, q[0],
          (int) q[1]);
    }
    MaterializedFormat f = plan.format() == MaterializedFormat.BINARY_UINT8 ? MaterializedFormat.BINARY_FLOAT32
        : plan.format();
    return new TensorSource.Activations(col, layers.shapes().get(layer), f);
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
    return withoutImageLabel(d, inputs);
  }

  /** The label comes from the structured table when it has one, else from the images. */
  static Dataset<Row> withoutImageLabel(Dataset<Row> d, TransferInputs inputs) {
    return Arrays.asList(inputs.table().columns()).contains(Columns.LABEL) ? d.drop(Columns.LABEL) : d;
  }

  static Dataset<Row> hinted(Dataset<Row> t, JoinStrategy s) {
    return s == JoinStrategy.BROADCAST ? org.apache.spark.sql.functions.broadcast(t) : t.hint("merge");
  }

}
