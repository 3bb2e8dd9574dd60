package org.argus.surfaces.ml;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.argus.ArgusException;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.runtime.train.Families;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;

/**
 * Trains a deep network with {@code fit} — Spark ML's {@code Estimator}, as Deep Learning
 * Pipelines' {@code KerasImageFileEstimator} did — on a DataFrame of features or images, returning
 * a {@link DeepImageClassificationModel} that predicts on the executors.
 *
 * <p><b>What is trained</b> ({@code family}): {@code head} (the default: multinomial logistic
 * regression over a feature column, or one hidden layer of {@code width} ReLU units when {@code
 * width} &gt; 0), {@code mlp} ({@code depth} × {@code width} ReLU layers) or {@code cnn} (two conv
 * layers, for small images) — the families of {@code argus select} ({@link Families}), built in DJL
 * (PyTorch engine).
 *
 * <p><b>Input</b> ({@code featuresCol}): an ML {@code Vector} or {@code array<float|double>}
 * column, {@code [F]} per row (e.g. {@link DeepImageFeaturizer}'s output, so a {@code Pipeline}
 * of featurizer + classifier fine-tunes nothing and trains a head on pretrained features); or
 * Spark's image struct, fed as {@code [C, H, W]} float32 = pixel / 255 in stored channel order (all
 * images of one size). {@code labelCol}: integer-valued class indices {@code 0 … K−1}; K is the
 * largest label + 1.
 *
 * <p><b>How {@code fit} trains</b>: as one config of model hopper parallelism (Cerebro, Nakandala
 * et al., VLDB 2020, §3): the training rows are stored once, partitioned into {@code workers}
 * shards cached on the executors, and each epoch visits every shard in turn (sequential SGD over
 * the shards, one unit query per shard — a single config cannot use more than one worker at a
 * time, which is MOP's rule for one model, not data parallelism), with full-state checkpoints in
 * {@code runDir} and retried unit queries. Nothing is collected to the driver but the checkpoints.
 * A seeded {@code validationFraction} of the rows is held out (as Keras's {@code
 * validation_split}) to report per-epoch validation loss and accuracy ({@link
 * DeepImageClassificationModel#epochMetrics()}); the model is the state after the last epoch.
 *
 * <p>Under Spark's {@code CrossValidator} / {@code TrainValidationSplit} each param map is one
 * such fit, run one after another on the same cluster; for many configs prefer MOP over all of
 * them at once ({@code argus select}).
 *
 * <p>Errors: {@link #transformSchema} (called by {@code fit} before any job) refuses a missing
 * column, a features column of another type, or a non-numeric label, naming the column, its type
 * and what is valid. Null features or labels: {@code handleInvalid=error} (default) refuses them
 * before training with their count; {@code skip} drops and counts them ({@link
 * DeepImageClassificationModel#skippedRows()}).
 */
public final class DeepImageClassifier extends Estimator<DeepImageClassificationModel>
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> featuresCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> family;
  private final Param<String> optimizer;
  private final DoubleParam learningRate;
  private final IntParam batchSize;
  private final IntParam epochs;
  private final DoubleParam weightDecay;
  private final IntParam width;
  private final IntParam depth;
  private final LongParam seed;
  private final DoubleParam validationFraction;
  private final IntParam workers;
  private final Param<String> runDir;
  private final Param<String> handleInvalid;
  private final IntParam threads;

  /** Creates a classifier with a random uid. */
  public DeepImageClassifier() {
    this(Identifiable$.MODULE$.randomUID("DeepImageClassifier"));
  }

  /** @param uid the stage's unique id */
  public DeepImageClassifier(String uid) {
    this.uid = uid;
    featuresCol = new Param<>(this, "featuresCol", "input: vector, array<float|double> or image struct column");
    labelCol = new Param<>(this, "labelCol", "class index column, integers 0…K−1");
    predictionCol = new Param<>(this, "predictionCol", "output: predicted class index (double)");
    probabilityCol = new Param<>(this, "probabilityCol", "output: class probabilities (vector of K)");
    family = new Param<>(this, "family", "what to train: " + String.join(" | ", Families.NAMES),
        ParamValidators.inArray(Families.NAMES.toArray(new String[0])));
    optimizer = new Param<>(this, "optimizer", "adam | sgd (momentum 0.9)",
        ParamValidators.inArray(new String[] {"adam", "sgd"}));
    learningRate = new DoubleParam(this, "learningRate", "step size (> 0)", ParamValidators.gt(0));
    batchSize = new IntParam(this, "batchSize", "examples per mini-batch (≥ 1)", ParamValidators.gtEq(1));
    epochs = new IntParam(this, "epochs", "passes over the training rows (≥ 1)", ParamValidators.gtEq(1));
    weightDecay = new DoubleParam(this, "weightDecay", "L2 weight decay (≥ 0)", ParamValidators.gtEq(0));
    width = new IntParam(this, "width", "hidden units (head: 0 = logistic regression; family default when unset)",
        ParamValidators.gtEq(0));
    depth = new IntParam(this, "depth", "hidden layers of mlp (family default 2 when unset)", ParamValidators.gtEq(1));
    seed = new LongParam(this, "seed", "seed of initialization, shuffling and the held-out split");
    validationFraction = new DoubleParam(this, "validationFraction", "held-out fraction for per-epoch metrics, in (0, 1)",
        ParamValidators.inRange(0, 1, false, false));
    workers = new IntParam(this, "workers", "shards = worker slots (0: Spark's default parallelism)",
        ParamValidators.gtEq(0));
    runDir = new Param<>(this, "runDir", "directory of checkpoints and run tables (empty: a new temporary directory)");
    handleInvalid = new Param<>(this, "handleInvalid", "rows with null features or label: error | skip",
        ParamValidators.inArray(new String[] {"error", "skip"}));
    threads = new IntParam(this, "threads", "PyTorch intra-op threads per unit query (0: spark.task.cpus)",
        ParamValidators.gtEq(0));
    setDefault(threads, 0);
    setDefault(featuresCol, "features");
    setDefault(labelCol, "label");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(family, "head");
    setDefault(optimizer, "adam");
    setDefault(learningRate, 1e-3);
    setDefault(batchSize, 32);
    setDefault(epochs, 5);
    setDefault(weightDecay, 0.0);
    setDefault(seed, 42L);
    setDefault(validationFraction, 0.1);
    setDefault(workers, 0);
    setDefault(runDir, "");
    setDefault(handleInvalid, "error");
  }

  @Override
  public String uid() {
    return uid;
  }

  // ---- params (Spark ML finds them through these public accessors) ----

  /** @return the input column param */
  public Param<String> featuresCol() {
    return featuresCol;
  }

  /** @return the label column param */
  public Param<String> labelCol() {
    return labelCol;
  }

  /** @return the prediction column param */
  public Param<String> predictionCol() {
    return predictionCol;
  }

  /** @return the probability column param */
  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  /** @return the family param */
  public Param<String> family() {
    return family;
  }

  /** @return the optimizer param */
  public Param<String> optimizer() {
    return optimizer;
  }

  /** @return the learning-rate param (for {@code ParamGridBuilder}) */
  public DoubleParam learningRate() {
    return learningRate;
  }

  /** @return the mini-batch size param (for {@code ParamGridBuilder}) */
  public IntParam batchSize() {
    return batchSize;
  }

  /** @return the epochs param */
  public IntParam epochs() {
    return epochs;
  }

  /** @return the weight-decay param */
  public DoubleParam weightDecay() {
    return weightDecay;
  }

  /** @return the hidden-width param */
  public IntParam width() {
    return width;
  }

  /** @return the mlp depth param */
  public IntParam depth() {
    return depth;
  }

  /** @return the seed param */
  public LongParam seed() {
    return seed;
  }

  /** @return the held-out fraction param */
  public DoubleParam validationFraction() {
    return validationFraction;
  }

  /** @return the worker-slots param */
  public IntParam workers() {
    return workers;
  }

  /** @return the run-directory param */
  public Param<String> runDir() {
    return runDir;
  }

  /** @return the PyTorch threads param */
  public IntParam threads() {
    return threads;
  }

  /** @param v PyTorch intra-op threads per unit query, 0 for {@code spark.task.cpus} @return this */
  public DeepImageClassifier setThreads(int v) {
    set(threads, v);
    return this;
  }

  /** @return the handleInvalid param */
  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  // ---- setters ----

  /** @param v input column @return this */
  public DeepImageClassifier setFeaturesCol(String v) {
    set(featuresCol, v);
    return this;
  }

  /** @param v label column @return this */
  public DeepImageClassifier setLabelCol(String v) {
    set(labelCol, v);
    return this;
  }

  /** @param v prediction column @return this */
  public DeepImageClassifier setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  /** @param v probability column @return this */
  public DeepImageClassifier setProbabilityCol(String v) {
    set(probabilityCol, v);
    return this;
  }

  /** @param v {@code head}, {@code mlp} or {@code cnn} @return this */
  public DeepImageClassifier setFamily(String v) {
    set(family, v);
    return this;
  }

  /** @param v {@code adam} or {@code sgd} @return this */
  public DeepImageClassifier setOptimizer(String v) {
    set(optimizer, v);
    return this;
  }

  /** @param v step size &gt; 0 @return this */
  public DeepImageClassifier setLearningRate(double v) {
    set(learningRate, v);
    return this;
  }

  /** @param v examples per mini-batch ≥ 1 @return this */
  public DeepImageClassifier setBatchSize(int v) {
    set(batchSize, v);
    return this;
  }

  /** @param v epochs ≥ 1 @return this */
  public DeepImageClassifier setEpochs(int v) {
    set(epochs, v);
    return this;
  }

  /** @param v L2 weight decay ≥ 0 @return this */
  public DeepImageClassifier setWeightDecay(double v) {
    set(weightDecay, v);
    return this;
  }

  /** @param v hidden units ≥ 0 @return this */
  public DeepImageClassifier setWidth(int v) {
    set(width, v);
    return this;
  }

  /** @param v mlp hidden layers ≥ 1 @return this */
  public DeepImageClassifier setDepth(int v) {
    set(depth, v);
    return this;
  }

  /** @param v seed @return this */
  public DeepImageClassifier setSeed(long v) {
    set(seed, v);
    return this;
  }

  /** @param v held-out fraction in (0, 1) @return this */
  public DeepImageClassifier setValidationFraction(double v) {
    set(validationFraction, v);
    return this;
  }

  /** @param v shards = worker slots, 0 for Spark's default parallelism @return this */
  public DeepImageClassifier setWorkers(int v) {
    set(workers, v);
    return this;
  }

  /** @param v run directory (local path or Hadoop URI); empty for a new temporary one @return this */
  public DeepImageClassifier setRunDir(String v) {
    set(runDir, v);
    return this;
  }

  /** @param v {@code error} or {@code skip} @return this */
  public DeepImageClassifier setHandleInvalid(String v) {
    set(handleInvalid, v);
    return this;
  }

  /**
   * The hyperparameters of the one config {@code fit} trains, as {@code argus select} names them.
   *
   * @return name → value ({@code optimizer, lr, batch, wd}, and {@code width}/{@code depth} when set)
   */
  Map<String, Object> hyperparameters() {
    Map<String, Object> hp = new LinkedHashMap<>();
    hp.put("optimizer", $(optimizer));
    hp.put("lr", (double) $(learningRate));
    hp.put("batch", (int) $(batchSize));
    hp.put("wd", (double) $(weightDecay));
    if (isSet(width)) {
      hp.put("width", (int) $(width));
    }
    if (isSet(depth)) {
      hp.put("depth", (int) $(depth));
    }
    return hp;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    ClassifierColumns.check(schema, $(featuresCol), $(labelCol));
    return ClassifierColumns.output(schema, $(predictionCol), $(probabilityCol));
  }

  /**
   * Trains one config by MOP (see the class comment).
   *
   * @param dataset rows with the features and label columns
   * @return the fitted model, its params copied from this estimator
   * @throws IllegalArgumentException for bad columns (before any job), null rows with {@code
   *     handleInvalid=error}, negative labels, fewer than two classes, images of different sizes,
   *     or fewer training rows than shards
   * @throws IllegalStateException when the run directory cannot be created, written or read, or the
   *     training diverged or failed (the run's reason)
   */
  @Override
  public DeepImageClassificationModel fit(Dataset<?> dataset) {
    TrainingData t = trainingData(dataset);
    String dir = $(runDir).isEmpty() ? TrainingData.temporaryRunDir() : $(runDir);
    Map<String, Object> hp = hyperparameters();
    int epochCount = (Integer) $(epochs);
    SelectionResult r;
    try {
      r = ModelSelection.builder()
          .setData(t.examples())
          .setTrainerFactory(t.factory($(family)))
          .setProcedure(FixedEpochs.grid(SearchSpace.parse(space(hp)), epochCount, Goal.maximize("accuracy")))
          .setRunDir(dir)
          .optSpec(Map.of("estimator", uid, "features", $(featuresCol), "label", $(labelCol), "family", $(family)))
          .optExecution(Execution.MOP)
          .optWorkers(workerSlots())
          .optSeed((Long) $(seed))
          .optValidationFraction((Double) $(validationFraction))
          .build()
          .run();
    } catch (ArgusException e) {
      throw new IllegalStateException("fit of " + uid + " in run directory " + dir + " failed: " + e.getMessage(), e);
    }
    if (r.best() == null) {
      throw new IllegalStateException("fit of " + uid + ": training failed or diverged (" + r.leaderboard().get(0).status()
          + "); run directory " + r.runDir());
    }
    return model(t, hp, TrainingData.bestState(r), ClassifierColumns.epochMetrics(r, r.best().trial()), r.runDir());
  }

  /**
   * Checks the columns (before any job), handles null rows per {@code handleInvalid}, and finds the
   * class count and input shape.
   *
   * @throws IllegalArgumentException see {@link #fit}
   */
  TrainingData trainingData(Dataset<?> dataset) {
    transformSchema(dataset.schema(), true);
    Dataset<Row> d = dataset.toDF();
    String f = $(featuresCol);
    String l = $(labelCol);
    Dataset<Row> clean = d.filter(col(f).isNotNull().and(col(l).isNotNull()));
    long invalid = d.count() - clean.count();
    if (invalid > 0 && $(handleInvalid).equals("error")) {
      throw new IllegalArgumentException(invalid + " row(s) have a null " + f + " or " + l
          + "; set handleInvalid=skip to drop and count them");
    }
    int classes = ClassifierColumns.classes(clean, l);
    boolean images = ClassifierColumns.isImage(clean.schema().apply(f).dataType());
    long[] shape = ClassifierColumns.inputShape(clean, f, images);
    JavaRDD<Example> examples = images ? Examples.fromImages(clean, f, l) : Examples.fromFeatures(clean, f, l);
    int th = (Integer) $(threads) > 0 ? (Integer) $(threads)
        : d.sparkSession().sparkContext().getConf().getInt("spark.task.cpus", 1);
    return new TrainingData(clean, invalid, classes, shape, examples, th);
  }

  /** @return the worker slots for {@link ModelSelection.Builder#optWorkers} (−1: default parallelism) */
  int workerSlots() {
    int slots = (Integer) $(workers);
    return slots == 0 ? -1 : slots;
  }

  /** @return the fitted model of one trained config, with this estimator's params */
  DeepImageClassificationModel model(TrainingData t, Map<String, Object> hp, byte[] state, List<double[]> epochs,
      String dir) {
    DeepImageClassificationModel m = new DeepImageClassificationModel(uid,
        new DeepImageClassificationModel.State($(family), t.shape(), t.classes(), hp, state, t.invalid(), epochs, dir));
    copyValues(m, extractParamMap());
    m.setParent(this);
    return m;
  }

  /** {@code name=choice(value);…}: the one config as a search space of single choices. */
  static String space(Map<String, Object> hp) {
    List<String> parts = new ArrayList<>();
    hp.forEach((k, v) -> parts.add(k + "=choice(" + (v instanceof Double x ? String.format(Locale.ROOT, "%s", x) : v)
        + ")"));
    return String.join(";", parts);
  }

  @Override
  public DeepImageClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** @return the reader used by {@code DeepImageClassifier.load} and {@code Pipeline.load} */
  public static MLReader<DeepImageClassifier> read() {
    return new org.apache.spark.ml.util.DefaultParamsReader<>();
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the loaded estimator
   */
  public static DeepImageClassifier load(String path) {
    return read().load(path);
  }
}
