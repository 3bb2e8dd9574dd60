package org.argus.execution;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.argus.data.FashionMnist;
import org.argus.data.image.ImageFolder;
import org.argus.data.image.ImageReadResult;
import org.argus.model.onnx.NodeCost;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.onnx.TensorInfo;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.plan.Pooling;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.JoinStrategy;
import org.argus.plan.cost.LayerCost;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Optimizer;
import org.argus.plan.cost.PhysicalPlan;
import org.argus.plan.cost.Resources;
import org.argus.plan.cost.Workload;
import org.argus.runtime.InferenceException;

/**
 * Declarative multi-layer feature transfer (Vista, Nakandala &amp; Kumar, SIGMOD 2020): {@link
 * #prepare} reads and cleans the inputs, resolves and sorts the layers, cuts the graph, measures
 * the sizes and asks the {@link Optimizer} for a plan (nothing is inferred yet, so {@link
 * #explain()} is cheap); {@link #run()} executes the chosen plan — lazy, eager or staged, with the
 * join before or after inference, broadcast or shuffled — and trains the downstream learner on
 * every layer.
 *
 * <p>Bad input handling (all counted in {@link TransferResult.Counts}): rows with a null image, a
 * duplicated id (every copy) or a null/NaN structured value are quarantined; ids present on one
 * side only are dropped by the join; an unknown layer, a missing column, or a label with fewer than
 * two classes is an {@link IllegalArgumentException} before any inference. A layer that cannot be
 * computed from the previous one alone (a residual connection crosses the cut) is computed from the
 * pixels in the staged plan, and EXPLAIN says so; layers given out of order are sorted, and the
 * result's notes say so.
 *
 * <p>Results are identical across plans for the same seeds: the split (and the cross-validation
 * folds) are hashes of the id and the seed, and rows are sorted by id within each inference
 * partition, an order every stage keeps, so training reads them in a fixed order.
 */
public final class FeatureTransfer {
  static final String ID = "_id";
  static final String LABEL = "_label";
  static final String SPLIT = "_split";
  static final String IMAGE = "_image";
  static final String FV = "_fv";

  private final SparkSession spark;
  private final TransferSpec spec;
  private final ProgressSink progress;
  private final OnnxModel model;
  private final String pixelInput;
  private final PreprocessingSpec pre;
  private final List<String> layers;
  private final List<String> stagedInputs;
  private final Map<String, long[]> shapes;
  private final List<String> notes;
  private final Dataset<Row> images;
  private final Dataset<Row> table;
  private final List<String> xCols;
  private final TransferResult.Counts counts;
  private final Optimizer.Decision decision;
  /** rows of the training split (joined, clean): known from the labels, no pass over features */
  private final long trainRows;
  /**
   * The label column's ML metadata: nominal with max label + 1 values, so that classifiers take
   * their number of classes from it instead of a pass over the features to find the max label.
   */
  private final org.apache.spark.sql.types.Metadata labelMetadata;

  private FeatureTransfer(SparkSession spark, TransferSpec spec, ProgressSink progress, OnnxModel model,
      String pixelInput, PreprocessingSpec pre, List<String> layers, List<String> stagedInputs,
      Map<String, long[]> shapes, List<String> notes, Dataset<Row> images, Dataset<Row> table,
      List<String> xCols, TransferResult.Counts counts, Optimizer.Decision decision, long trainRows,
      int numClasses) {
    this.spark = spark;
    this.spec = spec;
    this.progress = progress;
    this.model = model;
    this.pixelInput = pixelInput;
    this.pre = pre;
    this.layers = layers;
    this.stagedInputs = stagedInputs;
    this.shapes = shapes;
    this.notes = notes;
    this.images = images;
    this.table = table;
    this.xCols = xCols;
    this.counts = counts;
    this.decision = decision;
    this.trainRows = trainRows;
    this.labelMetadata = org.apache.spark.ml.attribute.NominalAttribute.defaultAttr().withName(LABEL)
        .withNumValues(numClasses).toMetadata();
  }

  /** @return the optimizer's decision (chosen plan, rejected alternatives, estimates) */
  public Optimizer.Decision decision() {
    return decision;
  }

  /** @return row counts of the inputs, the join and the quarantine (known before running) */
  public TransferResult.Counts counts() {
    return counts;
  }

  /** @return the layers, bottom to top */
  public List<String> layers() {
    return layers;
  }

  /** @return EXPLAIN: the chosen plan as a tree with estimates, the rejected plans and why, and the input handling notes */
  public String explain() {
    StringBuilder sb = new StringBuilder(decision.explain());
    for (String n : notes) {
      sb.append("input: ").append(n).append('\n');
    }
    return sb.toString();
  }

  /**
   * Resolves the spec and plans the run; runs only small Spark queries (row and id counts).
   *
   * @param spark the session
   * @param spec the job
   * @param progress where to report long work
   * @return the prepared transfer
   * @throws IllegalArgumentException for an unknown model or layer, a missing column, a non-numeric
   *     feature column, a label with fewer than two classes, or no rows left after cleaning
   * @throws org.argus.plan.cost.NoFeasiblePlanException when no plan fits the resources
   * @throws Exception when the model or data cannot be provisioned
   */
  public static FeatureTransfer prepare(SparkSession spark, TransferSpec spec, ProgressSink progress)
      throws Exception {
    List<String> notes = new ArrayList<>();
    // ---- model and layers
    OnnxModel model;
    String pixelInput;
    PreprocessingSpec pre;
    List<String> requested;
    if (spec.model().endsWith(".onnx") || Files.exists(Path.of(spec.model()))) {
      model = OnnxModel.load(Path.of(spec.model()));
      pixelInput = model.inputNames().get(0);
      pre = spec.preprocessing();
      if (spec.layers().isEmpty()) {
        throw new IllegalArgumentException(
            "top k layers needs a roster model; give explicit layers for ONNX file " + spec.model());
      }
      requested = spec.layers();
      Set<String> known = new HashSet<>(model.tensorNames());
      for (String l : requested) {
        if (!known.contains(l) || l.equals(pixelInput)) {
          throw new IllegalArgumentException("unknown layer '" + l + "' in " + spec.model()
              + "; the graph has " + known.size() + " tensors (argus models inspect FILE lists them)");
        }
      }
    } else {
      RosterModel rm = Roster.get(spec.model());
      model = OnnxModel.load(PretrainedModels.onnxFile(spec.model()));
      pixelInput = rm.inputTensor();
      pre = rm.preprocessing();
      if (spec.layers().isEmpty()) {
        if (spec.topK() > rm.featureLayers().size()) {
          throw new IllegalArgumentException("top " + spec.topK() + " layers asked but " + rm.name()
              + " has " + rm.featureLayers().size() + " feature layers: " + rm.featureLayers());
        }
        List<String> fl = rm.featureLayers();
        requested = fl.subList(fl.size() - spec.topK(), fl.size());
      } else {
        requested = spec.layers();
        Roster.checkLayers(rm, requested, new HashSet<>(model.tensorNames()));
      }
      if (spec.inputSize() > 0 && spec.inputSize() < rm.minInputSize()) {
        throw new IllegalArgumentException("input size " + spec.inputSize() + " is below " + rm.name()
            + "'s minimum " + rm.minInputSize());
      }
    }
    if (spec.inputSize() > 0) {
      pre = pre.withSize(spec.inputSize(), spec.inputSize());
    }
    if (new HashSet<>(requested).size() != requested.size()) {
      throw new IllegalArgumentException("layers must be distinct, found " + requested);
    }
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < model.tensorNames().size(); i++) {
      position.put(model.tensorNames().get(i), i);
    }
    List<String> layers = new ArrayList<>(requested);
    layers.sort((a, b) -> Integer.compare(position.get(a), position.get(b)));
    if (!layers.equals(requested)) {
      notes.add("layers sorted to topological order: " + requested + " → " + layers);
    }
    // ---- shapes, FLOPs, stage inputs (fallback to a cut from the pixels)
    long[] inShape = pre.batchShape(1);
    // shapes and FLOPs on the cut pixels → layers: the head (e.g. a fixed 7×7 pooling) may not
    // accept a small input that the body below the requested layers accepts
    OnnxModel body = model.cut(List.of(pixelInput), layers);
    Map<String, TensorInfo> infos = body.inferShapes(Map.of(pixelInput, inShape));
    Map<String, long[]> shapes = new LinkedHashMap<>();
    List<String> stagedInputs = new ArrayList<>();
    List<LayerCost> costs = new ArrayList<>();
    Map<String, Long> flops = cumulativeFlops(body, pixelInput, inShape);
    for (int i = 0; i < layers.size(); i++) {
      String l = layers.get(i);
      TensorInfo ti = infos.get(l);
      if (ti == null || !ti.isFullyKnown()) {
        throw new IllegalArgumentException("layer '" + l + "': shape unknown at input " + pre.compact()
            + " (" + (ti == null ? "?" : ti.shapeString()) + "); pick a layer whose shape can be inferred");
      }
      long[] s = Arrays.copyOfRange(ti.shape(), 1, ti.shape().length);
      shapes.put(l, s);
      String input = pixelInput;
      if (i > 0) {
        try {
          model.cut(List.of(layers.get(i - 1)), List.of(l));
          input = layers.get(i - 1);
        } catch (IllegalArgumentException e) {
          notes.add("layer '" + l + "' is not computable from '" + layers.get(i - 1)
              + "' alone (" + firstLine(e.getMessage()) + "); the staged plan cuts it from the pixels");
        }
      }
      stagedInputs.add(input);
      long act = Arrays.stream(s).reduce(1, (a, b) -> a * b);
      long feat = StagedFeatureExtraction.featureDim(s, spec.pooling());
      long fromPixels = flops.getOrDefault(l, 0L);
      long staged = input.equals(pixelInput) ? fromPixels
          : Math.max(0, fromPixels - flops.getOrDefault(input, 0L));
      long peak = act;
      for (String t : body.tensorNames()) {
        int p = position.get(t);
        if (p <= position.get(l) && (input.equals(pixelInput) || p > position.get(input))) {
          TensorInfo x = infos.get(t);
          if (x != null && x.elementsPerExample() > peak) {
            peak = x.elementsPerExample();
          }
        }
      }
      costs.add(new LayerCost(l, input, act, feat, fromPixels, staged, peak));
    }

    // ---- data
    progress.begin("reading inputs", -1, "rows", () -> 0);
    long quarantinedUndecodable = 0;
    Dataset<Row> img;
    boolean tableLabel = false;
    Dataset<Row> tbl = null;
    List<String> xCols = new ArrayList<>();
    long tableRows = 0;
    long dupTable = 0;
    long nullTable = 0;
    if (spec.hasTable()) {
      Dataset<Row> raw = spec.table() != null ? spec.table() : readTable(spark, spec.tablePath());
      requireColumns(raw, "structured table", spec.idCol());
      for (String x : spec.featureCols()) {
        requireColumns(raw, "structured table", x);
        DataType t = raw.schema().apply(x).dataType();
        if (!(t instanceof NumericType) && t != DataTypes.BooleanType) {
          throw new IllegalArgumentException("structured feature column '" + x + "' has type "
              + t.simpleString() + "; feature columns must be numeric");
        }
      }
      tableLabel = Arrays.asList(raw.columns()).contains(spec.labelCol());
      List<Column> sel = new ArrayList<>();
      sel.add(col(spec.idCol()).as(ID));
      if (tableLabel) {
        sel.add(col(spec.labelCol()).as(LABEL + "_raw"));
      }
      for (int i = 0; i < spec.featureCols().size(); i++) {
        xCols.add("_x" + i);
        sel.add(col(spec.featureCols().get(i)).cast("double").as("_x" + i));
      }
      tbl = raw.select(sel.toArray(new Column[0]));
      tableRows = tbl.count();
      Column bad = col(ID).isNull();
      if (tableLabel) {
        bad = bad.or(col(LABEL + "_raw").isNull());
      }
      for (String x : xCols) {
        bad = bad.or(col(x).isNull()).or(functions_isnan(col(x)));
      }
      nullTable = tbl.filter(bad).count();
      tbl = tbl.filter(org.apache.spark.sql.functions.not(bad));
      Dataset<Row> dups = tbl.groupBy(ID).count().filter(col("count").gt(1)).select(col(ID).as("_dup"));
      long before = tableRows - nullTable;
      tbl = tbl.join(dups, col(ID).equalTo(col("_dup")), "left_anti");
      tbl = tbl.cache();
      dupTable = before - tbl.count();
    }
    if (spec.fashionMnistTrain() > 0) {
      Dataset<Row> tr = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, spec.fashionMnistTrain(), spec.seed())
          .withColumn(SPLIT, lit("train"));
      Dataset<Row> te = FashionMnist.sample(spark, FashionMnist.Split.TEST, spec.fashionMnistTest(), spec.seed())
          .withColumn(SPLIT, lit("test"));
      img = tr.unionByName(te).select(col("id").as(ID), col("image").as(IMAGE), col("label").as(LABEL + "_raw"), col(SPLIT));
    } else {
      Dataset<Row> raw;
      String idCol = spec.idCol();
      String imageCol = spec.imageCol();
      String labelCol = spec.labelCol();
      if (spec.imageFolder() != null) {
        ImageReadResult r = ImageFolder.read(spark, spec.imageFolder());
        quarantinedUndecodable += r.counts().quarantined();
        if (r.counts().quarantined() > 0) {
          notes.add(r.counts().quarantined() + " undecodable image file(s) quarantined");
        }
        raw = r.decoded();
        idCol = "path";
        imageCol = "image";
        labelCol = "label";
      } else {
        raw = spec.images();
      }
      requireColumns(raw, "image table", idCol, imageCol);
      List<Column> sel = new ArrayList<>(List.of(col(idCol).as(ID), col(imageCol).as(IMAGE)));
      if (!tableLabel) {
        requireColumns(raw, "image table (no structured table supplies the label)", labelCol);
        sel.add(col(labelCol).as(LABEL + "_raw"));
      }
      if (Arrays.asList(raw.columns()).contains("split")) {
        sel.add(col("split").as(SPLIT));
      }
      img = raw.select(sel.toArray(new Column[0]));
    }
    img = img.cache();
    long imageRowsRead = img.count();
    long nullImages = img.filter(col(IMAGE).isNull().or(col(ID).isNull())).count();
    if (nullImages > 0) {
      notes.add(nullImages + " image row(s) with a null image or id quarantined");
    }
    Dataset<Row> imgOk = img.filter(col(IMAGE).isNotNull().and(col(ID).isNotNull()));
    Dataset<Row> imgDups = imgOk.groupBy(ID).count().filter(col("count").gt(1)).select(col(ID).as("_dup"));
    Dataset<Row> imgClean = imgOk.join(imgDups, col(ID).equalTo(col("_dup")), "left_anti");
    long imageRows = imgClean.count();
    long dupImages = imageRowsRead - nullImages - imageRows;
    if (dupImages > 0) {
      notes.add(dupImages + " image row(s) sharing an id with another row quarantined (every copy)");
    }
    if (dupTable > 0) {
      notes.add(dupTable + " structured row(s) sharing an id with another row quarantined (every copy)");
    }
    if (nullTable > 0) {
      notes.add(nullTable + " structured row(s) with a null/NaN value or null label quarantined");
    }
    quarantinedUndecodable += nullImages;
    if (!Arrays.asList(imgClean.columns()).contains(SPLIT)) {
      long buckets = 10_000;
      Column h = org.apache.spark.sql.functions.pmod(
          org.apache.spark.sql.functions.xxhash64(col(ID).cast("string"), lit(spec.seed())), lit(buckets));
      imgClean = imgClean.withColumn(SPLIT,
          when(h.lt(lit((long) Math.round(spec.testFraction() * buckets))), lit("test")).otherwise(lit("train")));
    }
    // labels: numeric → double; anything else → index in sorted order
    Dataset<Row> labelled = tableLabel ? tbl : imgClean;
    DataType lt = labelled.schema().apply(LABEL + "_raw").dataType();
    Dataset<Row> indexed;
    if (lt instanceof NumericType) {
      indexed = labelled.withColumn(LABEL, col(LABEL + "_raw").cast("double")).drop(LABEL + "_raw");
    } else {
      indexed = new StringIndexer().setInputCol(LABEL + "_raw").setOutputCol(LABEL)
          .setStringOrderType("alphabetAsc").fit(labelled).transform(labelled).drop(LABEL + "_raw");
    }
    if (tableLabel) {
      tbl = indexed;
    } else {
      imgClean = indexed;
    }
    long joined = imageRows;
    if (tbl != null) {
      joined = imgClean.select(ID).join(tbl.select(ID), ID).count();
    }
    if (joined == 0) {
      throw new IllegalArgumentException("no rows left to train on: " + imageRows + " clean image rows, "
          + (tbl == null ? "no table" : tableRows + " table rows, 0 share an id (check the id column '"
              + spec.idCol() + "' on both sides)"));
    }
    Dataset<Row> labelsOfJoined = tbl == null ? imgClean
        : imgClean.select(ID, SPLIT).join(tbl.select(ID, LABEL), ID);
    // (split, label) → rows: at most 2 × labels rows, safe to bring to the driver
    Set<Double> classes = new java.util.TreeSet<>();
    long trainRows = 0;
    double maxLabel = 0;
    for (Row r : labelsOfJoined.groupBy(SPLIT, LABEL).count().collectAsList()) {
      if (!r.isNullAt(1)) {
        classes.add(r.getDouble(1));
        maxLabel = Math.max(maxLabel, r.getDouble(1));
      }
      if ("train".equals(r.getString(0))) {
        trainRows += r.getLong(2);
      }
    }
    if (classes.size() < 2) {
      throw new IllegalArgumentException("label column '" + spec.labelCol() + "' has one class ("
          + (classes.isEmpty() ? "none" : String.valueOf(classes.iterator().next())) + ") over " + joined
          + " rows; a classifier needs at least two classes");
    }
    TransferResult.Counts counts = new TransferResult.Counts(imageRowsRead,
        tableRows, joined, imageRows - joined, tbl == null ? 0 : tableRows - nullTable - dupTable - joined,
        quarantinedUndecodable, dupImages + dupTable, nullTable);
    if (counts.imagesDroppedByJoin() > 0 || counts.tableRowsDroppedByJoin() > 0) {
      notes.add(String.format("join on id: %d rows joined, %d image(s) without a structured row and %d "
          + "structured row(s) without an image dropped", joined, counts.imagesDroppedByJoin(),
          counts.tableRowsDroppedByJoin()));
    }
    progress.end("reading inputs", String.format("%d images, %d table rows, %d joined", imageRows, tableRows, joined));

    // ---- optimizer
    Row first = imgClean.select(IMAGE).first();
    long imageBytes = ((byte[]) first.getStruct(0).getAs("data")).length + 64L;
    long modelBytes = model.toBytes().length;
    Workload w = new Workload(costs, pixelInput, pre.floatsPerExample(), modelBytes, imageRows, imageBytes,
        tbl == null ? 0 : tableRows, tbl == null ? 0 : 16L + 8L * (xCols.size() + 1), joined);
    Resources r = spec.resources() != null ? spec.resources() : detect(spark);
    Optimizer.Decision d = Optimizer.optimize(w, r, spec.overrides());
    return new FeatureTransfer(spark, spec, progress, model, pixelInput, pre, List.copyOf(layers),
        List.copyOf(stagedInputs), shapes, notes, imgClean, tbl, xCols, counts, d, trainRows,
        (int) maxLabel + 1);
  }

  private static Column functions_isnan(Column c) {
    return org.apache.spark.sql.functions.isnan(c);
  }

  private static String firstLine(String s) {
    String t = String.valueOf(s);
    int i = t.indexOf('\n');
    return i < 0 ? t : t.substring(0, i);
  }

  private static void requireColumns(Dataset<Row> df, String what, String... cols) {
    List<String> have = Arrays.asList(df.columns());
    for (String c : cols) {
      if (!have.contains(c)) {
        throw new IllegalArgumentException(what + " has no column '" + c + "'; columns: " + have);
      }
    }
  }

  private static Dataset<Row> readTable(SparkSession spark, String path) {
    if (path.endsWith(".csv")) {
      return spark.read().option("header", "true").option("inferSchema", "true").csv(path);
    }
    if (path.endsWith(".parquet") || Files.isDirectory(Path.of(path))) {
      return spark.read().parquet(path);
    }
    throw new IllegalArgumentException("structured table '" + path + "': use a .csv (with header) or .parquet path");
  }

  /** Cumulative FLOPs per example of each tensor: the sum over nodes needed to compute it. */
  private static Map<String, Long> cumulativeFlops(OnnxModel model, String input, long[] inShape) {
    List<NodeCost> costs = model.nodeCosts(Map.of(input, inShape));
    Map<String, Long> own = new HashMap<>();
    for (NodeCost c : costs) {
      own.put(c.output(), Math.max(0, c.flopsPerExample()));
    }
    // nodes are topological: a tensor's cumulative cost is approximated as the sum of all node
    // costs up to its producer (exact for chains; an upper bound across parallel branches)
    Map<String, Long> cum = new HashMap<>();
    long running = 0;
    for (NodeCost c : costs) {
      running += Math.max(0, c.flopsPerExample());
      cum.put(c.output(), running);
    }
    return cum;
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

  /** The local property naming the run's phase on the jobs the driver thread starts. */
  static final String PHASE_PROPERTY = "argus.transfer.phase";

  /**
   * Measures spills and peak execution memory of tasks while registered: over the whole run, and
   * per phase (a stage's phase is the {@link #PHASE_PROPERTY} of the job that submitted it).
   * Listener events arrive asynchronously: {@link #drain} before reading.
   */
  private static final class Metrics extends SparkListener {
    final AtomicLong memSpilled = new AtomicLong();
    final AtomicLong diskSpilled = new AtomicLong();
    final AtomicLong peakExec = new AtomicLong();
    final Map<Integer, String> stagePhase = new java.util.concurrent.ConcurrentHashMap<>();
    /** phase → {tasks, peak execution memory, memory spilled, disk spilled} */
    final Map<String, long[]> byPhase = new java.util.concurrent.ConcurrentHashMap<>();
    volatile boolean complete = true;

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
      String phase = e.properties() == null ? null : e.properties().getProperty(PHASE_PROPERTY);
      if (phase != null) {
        stagePhase.put(e.stageInfo().stageId(), phase);
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      if (e.taskMetrics() != null) {
        long mem = e.taskMetrics().memoryBytesSpilled();
        long disk = e.taskMetrics().diskBytesSpilled();
        long peak = e.taskMetrics().peakExecutionMemory();
        memSpilled.addAndGet(mem);
        diskSpilled.addAndGet(disk);
        peakExec.accumulateAndGet(peak, Math::max);
        String phase = stagePhase.get(e.stageId());
        if (phase != null) {
          byPhase.compute(phase, (k, v) -> {
            long[] a = v == null ? new long[4] : v;
            a[0]++;
            a[1] = Math.max(a[1], peak);
            a[2] += mem;
            a[3] += disk;
            return a;
          });
        }
      }
    }

    /** Waits (at most 10 s) until the listener bus has delivered the events of finished jobs. */
    void drain(SparkSession spark) {
      try {
        // LiveListenerBus.waitUntilEmpty is Spark-internal (private[spark]) but public in bytecode
        spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
      } catch (java.util.concurrent.TimeoutException e) {
        complete = false;
      }
    }
  }

  /** The phases of one run, in order, with what the driver measured itself. */
  private static final class Phases {
    private final SparkSession spark;
    private final List<Object[]> ended = new ArrayList<>();

    Phases(SparkSession spark) {
      this.spark = spark;
    }

    /** Tags the jobs the calling thread starts from now on with {@code label}. */
    void begin(String label) {
      spark.sparkContext().setLocalProperty(PHASE_PROPERTY, label);
    }

    /** Ends the phase: its wall seconds and the storage held at its end (-1: not measured). */
    void end(String label, boolean inference, double seconds, long held) {
      ended.add(new Object[] {label, inference, seconds, held});
      clear();
    }

    void clear() {
      spark.sparkContext().setLocalProperty(PHASE_PROPERTY, null);
    }

    List<TransferResult.PhaseMetrics> measured(Metrics m) {
      List<TransferResult.PhaseMetrics> out = new ArrayList<>();
      for (Object[] e : ended) {
        long[] a = m.byPhase.getOrDefault((String) e[0], new long[4]);
        out.add(new TransferResult.PhaseMetrics((String) e[0], (boolean) e[1], (double) e[2], a[0], a[1], a[2],
            a[3], (long) e[3]));
      }
      return out;
    }
  }

  /**
   * Materializes a persisted inference result and records it as a measured phase.
   *
   * @param out the persisted (not yet computed) result
   * @param label phase label
   * @param s0 {@link System#nanoTime()} when the phase's query was built
   * @param phases phase recorder
   * @param storedBefore cached bytes before the run
   * @param maxStored running maximum of cached bytes held by the run (updated)
   * @return wall seconds since {@code s0}
   */
  private double materialize(Dataset<Row> out, String label, long s0, Phases phases, long storedBefore,
      long[] maxStored) {
    phases.begin(label);
    out.count();
    double inf = (System.nanoTime() - s0) / 1e9;
    long held = storedBytes() - storedBefore;
    maxStored[0] = Math.max(maxStored[0], held);
    phases.end(label, true, inf, held);
    return inf;
  }

  private long storedBytes() {
    long total = 0;
    for (RDDInfo i : spark.sparkContext().getRDDStorageInfo()) {
      total += i.memSize() + i.diskSize();
    }
    return total;
  }

  /**
   * Runs the chosen plan and trains the downstream learner on each layer.
   *
   * @return per-layer metrics and models, the plan, counts and measurements
   * @throws Exception Spark job failures ({@code SparkException}); {@link IllegalArgumentException}
   *     when the learner rejects a layer's features (naming the learner, the layer and the dimension)
   */
  public TransferResult run() throws Exception {
    PhysicalPlan p = decision.chosen();
    long t0 = System.nanoTime();
    Metrics metrics = new Metrics();
    spark.sparkContext().addSparkListener(metrics);
    Phases phases = new Phases(spark);
    // peak used heap, sampled every 50 ms (includes garbage not yet collected)
    AtomicLong heapPeak = new AtomicLong();
    java.util.concurrent.ScheduledExecutorService sampler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(rn -> {
          Thread th = new Thread(rn, "argus-heap-sampler");
          th.setDaemon(true);
          return th;
        });
    sampler.scheduleAtFixedRate(
        () -> heapPeak.accumulateAndGet(
            ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max),
        0, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
    String confKey = "spark.sql.inMemoryColumnarStorage.batchSize";
    String oldBatch = spark.conf().get(confKey, null);
    spark.conf().set(confKey, Integer.toString(p.columnBatchRows()));
    long storedBefore = storedBytes();
    long[] maxStored = {0};
    List<TransferResult.LayerResult> results = new ArrayList<>();
    StorageLevel level = StorageLevel.fromString(p.persistence().name());
    try {
      Dataset<Row> base = images;
      if (p.joinPlacement() == JoinPlacement.BEFORE_INFERENCE) {
        base = dropLabelIfTableHasIt(base).join(hinted(table, p.joinStrategy()), ID);
      }
      // rows sorted by id within each partition before inference: every stage keeps its input's
      // order, so training reads each layer in a fixed order without sorting the features
      base = base.repartition(p.partitions(), col(ID)).sortWithinPartitions(ID);
      long total = p.joinPlacement() == JoinPlacement.BEFORE_INFERENCE ? counts.joinedRows()
          : images.count();
      switch (p.logical()) {
        case LAZY -> {
          for (int i = 0; i < layers.size(); i++) {
            String l = layers.get(i);
            OnnxModel cut = model.cut(List.of(pixelInput), List.of(l));
            long s0 = System.nanoTime();
            String label = "query " + (i + 1) + "/" + layers.size() + " " + l;
            Dataset<Row> out = stage(base, label, cut, pixelInput, l,
                true, null, shapes.get(l), false, Set.of(IMAGE), total, p).persist(level);
            double inf = materialize(out, label, s0, phases, storedBefore, maxStored);
            results.add(train(out, l, StagedFeatureExtraction.FEATURES, inf, p, phases));
            out.unpersist(true);
          }
        }
        case EAGER -> {
          OnnxModel cut = model.cut(List.of(pixelInput), layers);
          long s0 = System.nanoTime();
          String label = "eager pass → " + String.join(", ", layers);
          Dataset<Row> out = eager(base, cut, label, total, p).persist(level);
          double inf = materialize(out, label, s0, phases, storedBefore, maxStored);
          for (int i = 0; i < layers.size(); i++) {
            results.add(train(out, layers.get(i), "_f" + i, i == 0 ? inf : 0, p, phases));
          }
          out.unpersist(true);
        }
        case STAGED -> {
          Dataset<Row> input = base;
          Dataset<Row> previous = null;
          for (int i = 0; i < layers.size(); i++) {
            String l = layers.get(i);
            String in = stagedInputs.get(i);
            boolean fromPixels = in.equals(pixelInput);
            boolean last = i == layers.size() - 1;
            boolean nextFromActivation = !last && !stagedInputs.get(i + 1).equals(pixelInput);
            boolean laterNeedsPixels = stagedInputs.subList(i + 1, layers.size()).contains(pixelInput);
            Set<String> drop = new HashSet<>(Set.of(StagedFeatureExtraction.FEATURES, StagedFeatureExtraction.ACTIVATION));
            if (!laterNeedsPixels) {
              drop.add(IMAGE);
            }
            OnnxModel cut = model.cut(List.of(in), List.of(l));
            long s0 = System.nanoTime();
            String label = "stage " + (i + 1) + "/" + layers.size() + " " + in + " → " + l;
            Dataset<Row> out = stage(input, label, cut,
                in, l, fromPixels, fromPixels ? null : shapes.get(in), shapes.get(l), nextFromActivation, drop,
                total, p).persist(level);
            double inf = materialize(out, label, s0, phases, storedBefore, maxStored);
            if (previous != null) {
              previous.unpersist(true); // stage i−1 goes once stage i is materialized: ≤ 2 held
            }
            results.add(train(out, l, StagedFeatureExtraction.FEATURES, inf, p, phases));
            previous = out;
            input = out;
          }
          if (previous != null) {
            previous.unpersist(true);
          }
        }
        default -> throw new IllegalStateException("unreachable");
      }
    } finally {
      phases.clear();
      metrics.drain(spark);
      spark.sparkContext().removeSparkListener(metrics);
      sampler.shutdownNow();
      if (oldBatch == null) {
        spark.conf().unset(confKey);
      } else {
        spark.conf().set(confKey, oldBatch);
      }
    }
    long peakHeap = heapPeak.get();
    double seconds = (System.nanoTime() - t0) / 1e9;
    TransferResult.Measured m = new TransferResult.Measured(seconds,
        spark.sparkContext().isLocal() ? peakHeap : -1, metrics.memSpilled.get(), metrics.diskSpilled.get(),
        metrics.peakExec.get(), maxStored[0], phases.measured(metrics));
    List<String> allNotes = new ArrayList<>(notes);
    allNotes.addAll(p.notes());
    if (!metrics.complete) {
      allNotes.add("Spark's listener bus did not drain within 10 s: the measured task metrics may miss the last tasks");
    }
    return new TransferResult(results, decision, counts, m, allNotes, seconds);
  }

  /** The label comes from the structured table when it has one, else from the images. */
  private Dataset<Row> dropLabelIfTableHasIt(Dataset<Row> d) {
    return Arrays.asList(table.columns()).contains(LABEL) ? d.drop(LABEL) : d;
  }

  private static Dataset<Row> hinted(Dataset<Row> t, JoinStrategy s) {
    return s == JoinStrategy.BROADCAST ? org.apache.spark.sql.functions.broadcast(t) : t.hint("merge");
  }

  private Dataset<Row> stage(Dataset<Row> input, String label, OnnxModel cut, String in, String layer,
      boolean fromPixels, long[] inShape, long[] outShape, boolean emitActivation, Set<String> drop,
      long total, PhysicalPlan p) {
    StructType inSchema = input.schema();
    String source = fromPixels ? IMAGE : StagedFeatureExtraction.ACTIVATION;
    List<StructField> fields = new ArrayList<>();
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < inSchema.fields().length; i++) {
      StructField f = inSchema.fields()[i];
      if (!drop.contains(f.name())) {
        fields.add(f);
        keep.add(i);
      }
    }
    fields.add(DataTypes.createStructField(StagedFeatureExtraction.FEATURES,
        DataTypes.createArrayType(DataTypes.FloatType, false), false));
    if (emitActivation) {
      fields.add(DataTypes.createStructField(StagedFeatureExtraction.ACTIVATION,
          StagedFeatureExtraction.ACTIVATION_TYPE, false));
    }
    byte[] bytes = cut.toBytes();
    Broadcast<byte[]> graph = spark.sparkContext().broadcast(bytes, scala.reflect.ClassTag$.MODULE$.apply(byte[].class));
    LongAccumulator done = spark.sparkContext().longAccumulator("argus.transfer." + layer);
    StagedFeatureExtraction.ExecutionOptions opts =
        new StagedFeatureExtraction.ExecutionOptions(p.batchSize(), p.ortThreads(), StorageLevel.fromString(p.persistence().name()));
    MapPartitionsFunction<Row, Row> fn = new StagedFeatureExtraction.StageFunction(fromPixels, in, layer,
        cut.sha256(), graph, pre, spec.pooling(), opts, inSchema.fieldIndex(source),
        keep.stream().mapToInt(Integer::intValue).toArray(), inShape, outShape, emitActivation, done);
    return tracked(input.mapPartitions(new ConcurrencyLimit(fn, p.tasksPerExecutor()),
        Encoders.row(DataTypes.createStructType(fields))), label, total, done);
  }

  private Dataset<Row> eager(Dataset<Row> input, OnnxModel cut, String label, long total, PhysicalPlan p) {
    StructType inSchema = input.schema();
    List<StructField> fields = new ArrayList<>();
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < inSchema.fields().length; i++) {
      if (!inSchema.fields()[i].name().equals(IMAGE)) {
        fields.add(inSchema.fields()[i]);
        keep.add(i);
      }
    }
    List<long[]> outShapes = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      fields.add(DataTypes.createStructField("_f" + i, DataTypes.createArrayType(DataTypes.FloatType, false), false));
      outShapes.add(shapes.get(layers.get(i)));
    }
    Broadcast<byte[]> graph = spark.sparkContext().broadcast(cut.toBytes(), scala.reflect.ClassTag$.MODULE$.apply(byte[].class));
    LongAccumulator done = spark.sparkContext().longAccumulator("argus.transfer.eager");
    EagerFunction fn = new EagerFunction(pixelInput, layers, cut.sha256(), graph, pre, spec.pooling(),
        p.batchSize(), p.ortThreads(), inSchema.fieldIndex(IMAGE),
        keep.stream().mapToInt(Integer::intValue).toArray(), outShapes, done);
    return tracked(input.mapPartitions(new ConcurrencyLimit(fn, p.tasksPerExecutor()),
        Encoders.row(DataTypes.createStructType(fields))), label, total, done);
  }

  /** Reports progress of the next action on {@code df}: started lazily by the caller's count. */
  private Dataset<Row> tracked(Dataset<Row> df, String label, long total, LongAccumulator done) {
    return new Tracked(df, label, total, done, progress).df;
  }

  /** Begins a progress line now; ended by {@link #train} when the stage's count returns. */
  private static final class Tracked {
    final Dataset<Row> df;

    Tracked(Dataset<Row> df, String label, long total, LongAccumulator done, ProgressSink progress) {
      this.df = df;
      LAST.set(new Object[] {label, System.nanoTime(), done});
      progress.begin(label, total, "images", done::value);
    }

    static final ThreadLocal<Object[]> LAST = new ThreadLocal<>();
  }

  private void endProgress() {
    Object[] last = Tracked.LAST.get();
    if (last != null) {
      double s = (System.nanoTime() - (long) last[1]) / 1e9;
      long n = ((LongAccumulator) last[2]).value();
      progress.end((String) last[0], String.format("%d images in %.1f s (%.0f images/s)", n, s, n / Math.max(s, 1e-9)));
      Tracked.LAST.remove();
    }
  }

  private TransferResult.LayerResult train(Dataset<Row> stageOut, String layer, String featuresCol,
      double inferenceSeconds, PhysicalPlan p, Phases phases) {
    endProgress();
    String phase = "train " + layer;
    phases.begin(phase);
    long m0 = System.nanoTime();
    List<String> have = Arrays.asList(stageOut.columns());
    List<Column> cols = new ArrayList<>(List.of(col(ID), col(SPLIT), col(featuresCol).as("_cnn"),
        have.contains(LABEL) ? col(LABEL) : lit(null).cast("double").as(LABEL)));
    List<String> extra = new ArrayList<>();
    for (String x : xCols) {
      if (have.contains(x)) {
        cols.add(col(x));
        extra.add(x);
      }
    }
    Dataset<Row> d = stageOut.select(cols.toArray(new Column[0]));
    Dataset<Row> persisted = null;
    if (p.joinPlacement() == JoinPlacement.AFTER_INFERENCE) {
      d = dropLabelIfTableHasIt(d).join(hinted(table, p.joinStrategy()), ID)
          .persist(StorageLevel.fromString(p.persistence().name()));
      d.count();
      persisted = d;
    }
    double mat = (System.nanoTime() - m0) / 1e9;
    int cnnDim = StagedFeatureExtraction.featureDim(shapes.get(layer), spec.pooling());
    int dim = cnnDim + xCols.size();
    int slots = spark.sparkContext().defaultParallelism();
    // rows come in id order within each inference partition (see run); a join after inference
    // keeps a fixed order too (broadcast: the stream side's; shuffled: sort-merge by id)
    Column[] keep = new Column[3 + xCols.size()];
    keep[0] = col(ID);
    keep[1] = col("_cnn");
    keep[2] = col(LABEL);
    for (int i = 0; i < xCols.size(); i++) {
      keep[3 + i] = col(xCols.get(i));
    }
    Dataset<Row> tr = vectors(d.filter(col(SPLIT).equalTo("train")).select(keep).coalesce(slots));
    Dataset<Row> te = vectors(d.filter(col(SPLIT).equalTo("test")).select(keep).coalesce(slots));
    long t0 = System.nanoTime();
    progress.begin("train " + layer, -1, "rows", () -> 0);
    @SuppressWarnings({"rawtypes", "unchecked"})
    Predictor learner = (Predictor) spec.learner().copy(ParamMap.empty());
    learner.setFeaturesCol(FV);
    learner.setLabelCol(LABEL);
    PredictionModel<?, ?> fitted;
    TransferResult.CrossValidation cv = null;
    try {
      if (spec.crossValidates()) {
        Object[] out = crossValidate(learner, tr);
        fitted = (PredictionModel<?, ?>) out[0];
        cv = (TransferResult.CrossValidation) out[1];
      } else {
        fitted = (PredictionModel<?, ?>) learner.fit(tr);
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("downstream learner " + spec.learner().getClass().getSimpleName()
          + " failed on layer '" + layer + "' with feature dimension " + dim + ": " + firstLine(e.getMessage()), e);
    }
    Dataset<Row> scored = fitted.transform(te);
    List<Row> confusion = scored.groupBy(LABEL, fitted.getPredictionCol()).count().collectAsList();
    double[] metrics = confusionMetrics(confusion);
    double auc = Double.NaN;
    long classes = labelCount(confusion);
    if (classes == 2 && fitted.hasParam("rawPredictionCol")
        && Arrays.asList(scored.columns()).contains("rawPrediction")) {
      auc = new BinaryClassificationEvaluator().setLabelCol(LABEL).setRawPredictionCol("rawPrediction")
          .setMetricName("areaUnderROC").evaluate(scored);
    }
    double ts = (System.nanoTime() - t0) / 1e9;
    progress.end("train " + layer, String.format("dim %d, accuracy %.4f, macro-F1 %.4f%s in %.1f s", dim, metrics[0],
        metrics[1], cv == null ? "" : String.format(", chosen %s (%d-fold %s %.4f)", cv.chosenParams(), cv.folds(),
            cv.metric(), cv.meanMetric()), ts));
    if (persisted != null) {
      persisted.unpersist(true);
    }
    phases.end(phase, false, (System.nanoTime() - m0) / 1e9, -1);
    return new TransferResult.LayerResult(layer, dim, shapes.get(layer), metrics[0], metrics[1], auc,
        trainRows, (long) metrics[2], inferenceSeconds, mat, ts, fitted, cv);
  }

  /** Adds the feature vector {@link #FV} (CNN features, then the structured columns): id, FV, label. */
  private Dataset<Row> vectors(Dataset<Row> d) {
    d = d.withColumn("_cnn_v", functions.array_to_vector(col("_cnn")));
    if (!xCols.isEmpty()) {
      List<String> in = new ArrayList<>(List.of("_cnn_v"));
      in.addAll(xCols);
      d = new VectorAssembler().setInputCols(in.toArray(new String[0])).setOutputCol(FV).transform(d);
    } else {
      d = d.withColumnRenamed("_cnn_v", FV);
    }
    return d.select(col(ID), col(FV), col(LABEL).as(LABEL, labelMetadata));
  }

  /** The fold column of cross-validation. */
  static final String FOLD = "_fold";

  /**
   * k-fold cross-validation of {@code learner} over the spec's grid with Spark ML's {@link
   * CrossValidator} (parallelism 1: one model in memory at a time). Folds come from a column,
   * {@code pmod(xxhash64(string(id), seed, "fold"), k)} — a stream split from the spec's seed apart
   * from the test split's {@code xxhash64(string(id), seed)} — so they are the same whatever the
   * plan and the partitioning.
   *
   * @return {the best model refitted on all of {@code train}, the {@link TransferResult.CrossValidation}}
   */
  @SuppressWarnings({"rawtypes"})
  private Object[] crossValidate(Predictor learner, Dataset<Row> train) {
    int k = spec.folds();
    ParamMap[] grid = spec.paramGrid().isEmpty()
        ? new ParamMap[] {ParamMap.empty()}
        : spec.paramGrid().toArray(new ParamMap[0]);
    Column fold = org.apache.spark.sql.functions.pmod(
        org.apache.spark.sql.functions.xxhash64(col(ID).cast("string"), lit(spec.seed()), lit("fold")),
        lit((long) k)).cast("int");
    CrossValidator validator = new CrossValidator()
        .setEstimator(learner)
        .setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setLabelCol(LABEL)
            .setPredictionCol(learner.getPredictionCol()).setMetricName(spec.cvMetric()))
        .setNumFolds(k)
        .setFoldCol(FOLD)
        .setSeed(spec.seed())
        .setParallelism(1);
    CrossValidatorModel m = validator.fit(train.withColumn(FOLD, fold));
    double[] avg = m.avgMetrics();
    int best = 0;
    for (int i = 1; i < avg.length; i++) {
      if (avg[i] > avg[best]) { // the first of equal maxima, as CrossValidator picks
        best = i;
      }
    }
    Map<String, String> chosen = new java.util.TreeMap<>();
    for (org.apache.spark.ml.param.ParamPair<?> pair : grid[best].toList()) {
      chosen.put(pair.param().name(), TransferSpec.valueString(pair.value()));
    }
    List<Double> gridMetrics = Arrays.stream(avg).boxed().toList();
    return new Object[] {m.bestModel(),
        new TransferResult.CrossValidation(k, spec.cvMetric(), chosen, avg[best], gridMetrics)};
  }

  private static long labelCount(List<Row> confusion) {
    Set<Double> labels = new HashSet<>();
    for (Row r : confusion) {
      labels.add(r.getDouble(0));
    }
    return labels.size();
  }

  /** @return {accuracy, macro-F1, test rows} from (label, prediction, count) rows */
  static double[] confusionMetrics(List<Row> confusion) {
    Map<Double, Long> tp = new HashMap<>();
    Map<Double, Long> predicted = new HashMap<>();
    Map<Double, Long> actual = new HashMap<>();
    long total = 0;
    long correct = 0;
    for (Row r : confusion) {
      double y = r.getDouble(0);
      double pr = r.getDouble(1);
      long n = r.getLong(2);
      total += n;
      actual.merge(y, n, Long::sum);
      predicted.merge(pr, n, Long::sum);
      if (y == pr) {
        correct += n;
        tp.merge(y, n, Long::sum);
      }
    }
    double f1 = 0;
    for (double y : actual.keySet()) {
      long t = tp.getOrDefault(y, 0L);
      double precision = predicted.getOrDefault(y, 0L) == 0 ? 0 : (double) t / predicted.get(y);
      double recall = (double) t / actual.get(y);
      f1 += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
    return new double[] {total == 0 ? 0 : (double) correct / total,
        actual.isEmpty() ? 0 : f1 / actual.size(), total};
  }
}
