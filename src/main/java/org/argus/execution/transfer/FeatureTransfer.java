package org.argus.execution.transfer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.execution.ProgressSink;
import org.argus.model.quantize.GraphFusion;
import org.argus.model.quantize.Precision;
import org.argus.model.quantize.QdqPlan;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.cost.Optimizer;
import org.argus.plan.cost.PhysicalPlan;
import org.argus.plan.cost.Resources;
import org.argus.plan.cost.Workload;

/**
 * Declarative multi-layer feature transfer (Vista, Nakandala &amp; Kumar, SIGMOD 2020), the one
 * transfer engine behind {@code argus transfer} and {@code argus demo}: {@link #prepare} resolves
 * the model and its layers ({@link TransferLayers}), reads and cleans the inputs ({@link
 * TransferInputs}: bad rows quarantined with a reason and counted) and asks the {@link Optimizer}
 * for a plan — nothing is inferred yet, so {@link #explain()} is cheap; {@link #run()} executes the
 * chosen lazy, eager or staged plan through the one inference kernel ({@link PlanExecution}),
 * trains the downstream learner on every layer ({@link DownstreamTraining}) and measures the run
 * against the estimates ({@link RunMeasurements}, EXPLAIN ANALYZE).
 *
 * <p>An unknown layer, a missing column, or a label with fewer than two classes is an {@link
 * IllegalArgumentException} before any inference. Results are identical across plans for the same
 * seed (the split and folds are hashes of the id and the seed; rows keep a fixed order).
 */
public final class FeatureTransfer {
  private final SparkSession spark;
  private final TransferSpec spec;
  private final ProgressSink progress;
  /** Every layer of the run, bottom to top. */
  private final TransferLayers allLayers;
  /** The layers still to compute (all of them unless resumed). */
  private final TransferLayers layers;
  private final TransferInputs inputs;
  /** The int8 graphs of the last {@link #materialize()} (null in fp32 or before it). */
  private volatile org.argus.execution.inference.Int8Graphs int8;
  private final Optimizer.Decision decision;
  /** Null when the run keeps no checkpoints. */
  private final LayerCheckpoints checkpoints;
  /** Layers reused from checkpoints, by name. */
  private final Map<String, TransferResult.LayerResult> reused;
  private final List<String> resumeNotes;

  private FeatureTransfer(SparkSession spark, TransferSpec spec, ProgressSink progress, TransferLayers allLayers,
      TransferLayers layers, TransferInputs inputs, Optimizer.Decision decision, LayerCheckpoints checkpoints,
      Map<String, TransferResult.LayerResult> reused, List<String> resumeNotes) {
    this.spark = spark;
    this.spec = spec;
    this.progress = progress;
    this.allLayers = allLayers;
    this.layers = layers;
    this.inputs = inputs;
    this.decision = decision;
    this.checkpoints = checkpoints;
    this.reused = reused;
    this.resumeNotes = resumeNotes;
  }

  /**
   * Resolves the spec and plans the run; runs only small Spark queries (counts and aggregations of
   * the inputs, never the CNN).
   *
   * @param spark the session
   * @param spec the job
   * @param progress where to report long work
   * @return the prepared transfer
   * @throws IllegalArgumentException for an unknown model or layer, a missing column, a non-numeric
   *     feature column, a label with fewer than two classes, or no rows left after cleaning
   * @throws org.argus.plan.cost.NoFeasiblePlanException when no plan fits the resources
   * @throws ArgusException when the model or the data cannot be provisioned or read
   */
  public static FeatureTransfer prepare(SparkSession spark, TransferSpec spec, ProgressSink progress)
      throws ArgusException {
    try {
      return prepare(spark, spec, progress, null, false);
    } catch (IOException e) {
      throw new IllegalStateException("unreachable: no checkpoints are read without a run directory", e);
    }
  }

  /**
   * Checks, without Spark, what {@link #prepare} checks first: the model resolves (a roster name
   * or a readable ONNX file with its preprocessing, provisioned if needed) and has the spec's layers
   * (named, or its top {@code k} feature layers). A command calls it before starting Spark, so a
   * misspelt model or layer is refused in about a second instead of after the session starts.
   *
   * @param spec the job
   * @return the layers the transfer would extract, bottom first
   * @throws IllegalArgumentException for an unknown model or layer (listing the valid ones), a top
   *     {@code k} the model does not have, or a layer whose shape cannot be inferred at the spec's
   *     input size
   * @throws ArgusException when the model cannot be provisioned or read
   */
  public static List<String> checkLayers(TransferSpec spec) throws ArgusException {
    return TransferLayers.of(resolve(spec), spec).layers();
  }

  private static ResolvedModel resolve(TransferSpec spec) throws ArgusException {
    return ResolvedModel.resolve(ModelRef.parse(spec.model(), spec.preprocessing(), spec.inputSize()),
        ResolvedModel.LOCAL_FILES);
  }

  /**
   * As {@link #prepare(SparkSession, TransferSpec, ProgressSink)}, keeping a checkpoint per
   * completed layer in {@code runDir} ({@link LayerCheckpoints}); with {@code resume}, the layers
   * whose checkpoints are whole (sha256 verified) are reused and the optimizer plans only the
   * others.
   *
   * @param spark the session
   * @param spec the job
   * @param progress where to report long work
   * @param runDir the run directory, or null for no checkpoints
   * @param resume continue the run in {@code runDir} (ignored without one)
   * @return the prepared transfer
   * @throws IllegalArgumentException as the other overload, and on resume when {@code runDir}
   *     holds no transfer checkpoints or ones made with other settings or inputs
   * @throws org.argus.plan.cost.NoFeasiblePlanException when no plan fits the resources
   * @throws ArgusException when the model or the data cannot be provisioned or read
   * @throws IOException when the checkpoints cannot be read or written
   */
  public static FeatureTransfer prepare(SparkSession spark, TransferSpec spec, ProgressSink progress, Path runDir,
      boolean resume) throws ArgusException, IOException {
    ResolvedModel model = resolve(spec);
    TransferLayers all = TransferLayers.of(model, spec);
    String group = "argus.transfer.prepare." + System.nanoTime();
    spark.sparkContext().setJobGroup(group, "feature transfer: reading inputs", false);
    progress.begin("reading inputs", -1, "Spark jobs", () -> finishedJobs(spark, group));
    TransferInputs inputs;
    try {
      inputs = TransferInputs.read(spark, spec);
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    TransferResult.Counts c = inputs.counts();
    progress.end("reading inputs", String.format("%d images, %d table rows, %d joined, %d quarantined",
        c.imageRows(), c.tableRows(), c.joinedRows(), c.quarantined()));
    LayerCheckpoints ckpt = null;
    Map<String, TransferResult.LayerResult> reused = new LinkedHashMap<>();
    List<String> resumeNotes = new ArrayList<>();
    TransferLayers layers = all;
    if (runDir != null) {
      ckpt = LayerCheckpoints.open(runDir, LayerCheckpoints.fingerprint(spec, model.sha256(), all.layers(), c), resume);
      if (resume) {
        Map<String, TransferResult.LayerResult> done = ckpt.completed(spark);
        all.layers().stream().filter(done::containsKey).forEach(l -> reused.put(l, done.get(l)));
        resumeNotes.addAll(ckpt.notes());
        resumeNotes.add("resumed " + runDir + ": " + reused.size() + " of " + all.layers().size()
            + " layers reused from checkpoints (sha256 verified)" + (reused.isEmpty() ? "" : ": " + reused.keySet()));
        List<String> remaining = all.layers().stream().filter(l -> !reused.containsKey(l)).toList();
        if (!reused.isEmpty() && !remaining.isEmpty()) {
          layers = TransferLayers.of(model, spec.withLayers(remaining));
        }
      }
    }
    return new FeatureTransfer(spark, spec, progress, all, layers, inputs,
        decide(spark, spec, model, layers, inputs, resumeNotes), ckpt, reused, resumeNotes);
  }

  /**
   * The same transfer in another precision: the same model, layers and inputs (read once, not
   * again), planned anew by the optimizer (int8 stages cost less; calibration is a pass).
   *
   * @param p the precision
   * @return the transfer of {@code spec().withPrecision(p)}
   * @throws IllegalStateException when this transfer reuses checkpointed layers
   * @throws org.argus.plan.cost.NoFeasiblePlanException when no plan fits the resources
   */
  public FeatureTransfer withPrecision(Precision p) {
    if (checkpoints != null) {
      throw new IllegalStateException("a transfer with layer checkpoints keeps its precision " + spec.precision());
    }
    TransferSpec s = spec.withPrecision(p);
    List<String> notes = new ArrayList<>();
    return new FeatureTransfer(spark, s, progress, allLayers, layers, inputs, decide(spark, s, layers.model(),
        layers, inputs, notes), null, new LinkedHashMap<>(), notes);
  }

  /** Plans a transfer: its workload's costs, the optimizer's decision; an int8 note into {@code notes}. */
  private static Optimizer.Decision decide(SparkSession spark, TransferSpec spec, ResolvedModel model,
      TransferLayers layers, TransferInputs inputs, List<String> notes) {
    TransferResult.Counts c = inputs.counts();
    Workload w = new Workload(layers.costs(), model.pixelInput(), model.preprocessing().floatsPerExample(),
        model.graph().toBytes().length, inputs.cleanImageRows(), inputs.imageBytesPerRow(),
        inputs.table() == null ? 0 : c.tableRows(),
        inputs.table() == null ? 0 : 16L + 8L * (inputs.xCols().size() + 1), c.joinedRows(), spec.precision(),
        spec.precision() == Precision.INT8 ? Math.min(spec.calibration().sampleSize(), inputs.trainRows()) : 0);
    if (spec.precision() == Precision.INT8) {
      notes.add(int8Note(model, layers.layers()));
    }
    Resources r = spec.resources() != null ? spec.resources() : detect(spark);
    return Optimizer.optimize(w, r, spec.overrides());
  }

  /** @return what int8 quantizes in the pixels → layers cut and what stays fp32 (for EXPLAIN) */
  private static String int8Note(ResolvedModel model, List<String> layers) {
    ai.onnx.proto.OnnxMl.ModelProto cut = model.cutFromPixels(layers).model().proto();
    if (QdqPlan.alreadyQuantized(cut)) {
      return "int8: " + model.name() + " is already quantized: used as is, no calibration";
    }
    QdqPlan plan = QdqPlan.of(GraphFusion.fuse(cut));
    return "int8: quantized ops " + plan.quantizedOps() + " (" + plan.absorbed().size()
        + " ReLU/ReLU6 absorbed); left fp32: " + (plan.fp32Ops().isEmpty() ? "none" : plan.fp32Ops());
  }

  /** @return Spark jobs of {@code group} that finished (for progress) */
  private static long finishedJobs(SparkSession spark, String group) {
    org.apache.spark.SparkStatusTracker t = spark.sparkContext().statusTracker();
    long n = 0;
    for (int id : t.getJobIdsForGroup(group)) {
      scala.Option<org.apache.spark.SparkJobInfo> info = t.getJobInfo(id);
      if (info.isDefined() && info.get().status() == org.apache.spark.JobExecutionStatus.SUCCEEDED) {
        n++;
      }
    }
    return n;
  }

  /** @return the optimizer's decision (chosen plan, rejected alternatives, estimates) */
  public Optimizer.Decision decision() {
    return decision;
  }

  /** @return row counts of the inputs, the join and the quarantine (known before running) */
  public TransferResult.Counts counts() {
    return inputs.counts();
  }

  /**
   * @param layer a layer of the run
   * @return its activation per image ({@code [C, H, W]} or {@code [F]}), a copy
   * @throws IllegalArgumentException for a layer not in the run
   */
  public long[] activationShape(String layer) {
    long[] s = allLayers.shapes().get(layer);
    if (s == null) {
      throw new IllegalArgumentException("layer '" + layer + "' is not in this run; its layers: " + layers());
    }
    return s.clone();
  }

  /** @return the spec as prepared */
  public TransferSpec spec() {
    return spec;
  }

  /** @return rows of the training split that survive the quarantine and the join */
  public long trainRows() {
    return inputs.trainRows();
  }

  /** @return the layers, bottom to top (including those a resume reuses) */
  public List<String> layers() {
    return allLayers.layers();
  }

  /** @return the resolved model (name, sha256, preprocessing at the run's input size) */
  public ResolvedModel model() {
    return layers.model();
  }

  /**
   * @return the quarantined rows, lazily: {@code id string, kind string, reason string} (kind:
   *     {@code image}, {@code duplicate id} or {@code structured value}); null when nothing could
   *     be quarantined (no image rows and no table)
   */
  public Dataset<Row> quarantine() {
    return inputs.quarantine();
  }

  /**
   * @return the int8 graphs {@link #materialize()} calibrated and ran (their cuts are what the
   *     features came from), or null in fp32 or before it ran
   */
  public org.argus.execution.inference.Int8Graphs int8Graphs() {
    return int8;
  }

  /**
   * Drops the input data this transfer cached while reading (the checked image rows, the
   * structured table, an image folder's decode): call it when done with the transfer and its
   * {@link #quarantine()}, or the session keeps those blocks. Queries made afterwards still work;
   * they recompute from the sources.
   */
  public void release() {
    inputs.release();
  }

  /** @return EXPLAIN: the chosen plan as a tree with estimates, the rejected plans and why, and the input handling notes */
  public String explain() {
    StringBuilder sb = new StringBuilder(decision.explain());
    for (String n : notes()) {
      sb.append("input: ").append(n).append('\n');
    }
    return sb.toString();
  }

  private List<String> notes() {
    List<String> notes = new ArrayList<>(allLayers.notes());
    notes.addAll(inputs.notes());
    notes.addAll(resumeNotes);
    return notes;
  }

  /**
   * Runs the chosen plan and trains the downstream learner on each layer (each layer not reused
   * from a checkpoint); with a run directory, each layer is checkpointed as soon as its model is
   * trained.
   *
   * <p>Spark job failures propagate as Spark throws them ({@code org.apache.spark.SparkException},
   * undeclared: Spark's Scala API does not declare it).
   *
   * @return per-layer metrics and models, the plan, counts and measurements
   * @throws IllegalArgumentException when the learner rejects a layer's features (naming the
   *     learner, the layer and the dimension)
   * @throws java.io.UncheckedIOException when a layer's checkpoint cannot be written (e.g. no space
   *     left on the device), naming its folder
   */
  public TransferResult run() {
    List<String> notes = notes();
    List<List<TransferResult.LayerResult>> computed = new ArrayList<>(List.of(List.of()));
    TransferResult.Measured measured = measuredRun(notes, (p, m) -> {
      if (reused.size() < allLayers.layers().size()) {
        LearnerSink learner = new LearnerSink(spec, layers, inputs, p, spark.sparkContext().defaultParallelism(),
            progress, m, this::checkpoint);
        PlanExecution execution = new PlanExecution(spark, spec, layers, inputs, p, progress, m, learner);
        execution.run();
        computed.set(0, learner.results());
        notes.addAll(execution.notes());
      }
    });
    ResolvedModel model = layers.model();
    return new TransferResult(merged(computed.get(0)), decision, inputs.counts(), measured, notes, measured.seconds(),
        new TransferResult.ModelInfo(model.name(), model.sha256(), model.preprocessing().compact(),
            spec.pooling().toString()));
  }

  /**
   * Runs {@code body} on the chosen plan with Spark's cached column batch set to the plan's size
   * (restored after) and the run measured.
   *
   * @param notes where the measurements add a line if Spark's listener bus did not drain
   * @param body the work: the plan and the measurements to report phases to
   * @return what was measured
   */
  private TransferResult.Measured measuredRun(List<String> notes,
      java.util.function.BiConsumer<PhysicalPlan, RunMeasurements> body) {
    PhysicalPlan p = decision.chosen();
    long t0 = System.nanoTime();
    String confKey = "spark.sql.inMemoryColumnarStorage.batchSize";
    String oldBatch = spark.conf().get(confKey, null);
    spark.conf().set(confKey, Integer.toString(p.columnBatchRows()));
    RunMeasurements m = RunMeasurements.start(spark);
    TransferResult.Measured measured;
    try {
      body.accept(p, m);
    } finally {
      measured = m.stop((System.nanoTime() - t0) / 1e9, notes);
      if (oldBatch == null) {
        spark.conf().unset(confKey);
      } else {
        spark.conf().set(confKey, oldBatch);
      }
    }
    return measured;
  }

  /**
   * Runs the chosen plan and keeps every layer's features, one column per pooling of the spec,
   * instead of training a learner on each: the materialization phase of fused model selection. Every
   * (layer, pooling) is computed once, by the same plan {@link #run()} would use. Layer checkpoints
   * are not written or read.
   *
   * <p>Spark job failures propagate as Spark throws them ({@code org.apache.spark.SparkException},
   * undeclared).
   *
   * @return the persisted feature table (the caller unpersists it) with its measurements
   * @throws IllegalStateException when this transfer was prepared to resume from checkpoints
   */
  public MaterializedFeatures materialize() {
    if (!reused.isEmpty()) {
      throw new IllegalStateException("materialize() computes every layer; this transfer reuses checkpointed layers "
          + reused.keySet());
    }
    List<String> notes = notes();
    FeatureSink[] sink = new FeatureSink[1];
    List<Dataset<Row>> rows = new ArrayList<>();
    TransferResult.Measured measured = measuredRun(notes, (p, m) -> {
      sink[0] = new FeatureSink(spec, layers, inputs, p);
      PlanExecution execution = new PlanExecution(spark, spec, layers, inputs, p, progress, m, sink[0]);
      execution.run();
      int8 = execution.int8Graphs();
      notes.addAll(execution.notes());
      m.begin("combine features");
      long c0 = System.nanoTime();
      rows.add(sink[0].combine());
      m.end("combine features", false, (System.nanoTime() - c0) / 1e9, true, -1);
    });
    return new MaterializedFeatures(rows.get(0), sink[0].cached(), sink[0].columns(), inputs.xCols(),
        spec.featureCols(), inputs.numClasses(), inputs.counts(), sink[0].inferenceSeconds(), measured.seconds(),
        measured, notes);
  }

  private void checkpoint(TransferResult.LayerResult r) {
    if (checkpoints != null) {
      checkpoints.save(allLayers.layers().indexOf(r.layer()), r);
    }
  }

  /** @return the reused and the computed layers, bottom to top */
  private List<TransferResult.LayerResult> merged(List<TransferResult.LayerResult> computed) {
    Map<String, TransferResult.LayerResult> byLayer = new LinkedHashMap<>(reused);
    computed.forEach(r -> byLayer.put(r.layer(), r));
    return allLayers.layers().stream().map(byLayer::get).toList();
  }

  /**
   * Detects the budget from the session: local mode — one executor with the driver's heap ({@code
   * Runtime.maxMemory}), {@code defaultParallelism} cores and physical memory minus heap for ONNX
   * Runtime; a cluster — {@code spark.executor.instances/cores/memory/memoryOverhead} (Spark's
   * defaults 2, 1, 1g, max(384m, 10 %)).
   *
   * @param spark the session
   * @return the resources
   */
  public static Resources detect(SparkSession spark) {
    org.apache.spark.SparkConf c = spark.sparkContext().getConf();
    long broadcast = JavaUtils.byteStringAsBytes(spark.conf().get("spark.sql.autoBroadcastJoinThreshold", "10m"));
    broadcast = Math.max(0, broadcast);
    if (spark.sparkContext().isLocal()) {
      long heap = Runtime.getRuntime().maxMemory();
      long phys = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getTotalMemorySize();
      return new Resources(1, spark.sparkContext().defaultParallelism(), heap, Math.max(0, phys - heap), broadcast);
    }
    int executors = c.getInt("spark.executor.instances", 2);
    int cores = c.getInt("spark.executor.cores", 1);
    long heap = JavaUtils.byteStringAsBytes(c.get("spark.executor.memory", "1g"));
    long overhead = c.contains("spark.executor.memoryOverhead")
        ? JavaUtils.byteStringAsMb(c.get("spark.executor.memoryOverhead")) << 20
        : Math.max(384L << 20, heap / 10);
    return new Resources(executors, cores, heap, overhead, broadcast);
  }
}
