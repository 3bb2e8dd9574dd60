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
import org.apache.spark.storage.StorageLevel;
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
 * <p><b>Fine-tuning</b> ({@code setModelName("mobilenet_v2").setFineTuneFrom("block_13_expand_relu")},
 * params in {@link ClassifierTrainingParams}): instead of a family, a pretrained roster CNN is
 * frozen up to that layer L and trained above it (to its top curated layer, plus a new global
 * average pooling + Linear(K) head; BatchNorm above L keeps its moving statistics). The input
 * column must hold Spark image structs. {@code fit} materializes L's activations once with {@link
 * DeepImageFeaturizer} (ONNX Runtime, {@code [C, H, W]} float32 per image, kept on the executors
 * in memory and on disk until the shards are built) and trains only the layers above L in DJL, so
 * no epoch recomputes the frozen part; the fitted model runs the same featurizer then the trained
 * layers. A layer that does not exist (the message lists the curated ones), a cut inside a
 * residual block (the message names the join), a non-image column, or {@code family} set as well
 * are refused before any job.
 *
 * <p><b>Output</b>: {@code probability} (vector of K), {@code prediction} (the most probable class
 * index, double) and {@code rawPrediction} (ln of each probability: the softmax logits up to a
 * per-row constant, so Spark's evaluators that read raw scores work; empty {@code
 * rawPredictionCol} drops it).
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
public final class DeepImageClassifier extends ClassifierTrainingParams<DeepImageClassifier>
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final Param<String> featuresCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;

  /** Creates a classifier with a random uid. */
  public DeepImageClassifier() {
    this(Identifiable$.MODULE$.randomUID("DeepImageClassifier"));
  }

  /** @param uid the stage's unique id */
  public DeepImageClassifier(String uid) {
    super(uid);
    featuresCol = new Param<>(this, "featuresCol", "input: vector, array<float|double> or image struct column");
    labelCol = new Param<>(this, "labelCol", "class index column, integers 0…K−1");
    predictionCol = new Param<>(this, "predictionCol", "output: predicted class index (double)");
    probabilityCol = new Param<>(this, "probabilityCol", "output: class probabilities (vector of K)");
    rawPredictionCol = new Param<>(this, "rawPredictionCol", ClassifierColumns.RAW_PREDICTION_DOC);
    setDefault(featuresCol, "features");
    setDefault(labelCol, "label");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
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

  /** @return the raw-prediction column param (empty: no such column) */
  public Param<String> rawPredictionCol() {
    return rawPredictionCol;
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

  /** @param v raw-prediction column, empty for none @return this */
  public DeepImageClassifier setRawPredictionCol(String v) {
    set(rawPredictionCol, v);
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    ClassifierColumns.check(schema, $(featuresCol), $(labelCol));
    return ClassifierColumns.output(schema, $(predictionCol), $(probabilityCol), $(rawPredictionCol));
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
    try {
      return fit(t);
    } finally {
      t.release();
    }
  }

  private DeepImageClassificationModel fit(TrainingData t) {
    String dir = $(runDir()).isEmpty() ? TrainingData.temporaryRunDir() : $(runDir());
    Map<String, Object> hp = hyperparameters();
    int epochCount = (Integer) $(epochs());
    SelectionResult r;
    try {
      r = ModelSelection.builder()
          .setData(t.examples())
          .setTrainerFactory(t.factory($(family())))
          .setProcedure(FixedEpochs.grid(SearchSpace.parse(space(hp)), epochCount, Goal.maximize("accuracy")))
          .setRunDir(dir)
          .optSpec(Map.of("estimator", uid(), "features", $(featuresCol), "label", $(labelCol), "family",
              t.familyName($(family()))))
          .optExecution(Execution.MOP)
          .optWorkers(workerSlots())
          .optSeed((Long) $(seed()))
          .optValidationFraction((Double) $(validationFraction()))
          .build()
          .run();
    } catch (ArgusException e) {
      throw new IllegalStateException("fit of " + uid() + " in run directory " + dir + " failed: " + e.getMessage(), e);
    }
    if (r.best() == null) {
      throw new IllegalStateException("fit of " + uid() + ": training failed or diverged (" + r.leaderboard().get(0).status()
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
    FineTuning ft = fineTuning() ? fineTuning(d.schema()) : null;
    Dataset<Row> clean = d.filter(col(f).isNotNull().and(col(l).isNotNull()));
    long invalid = d.count() - clean.count();
    if (invalid > 0 && $(handleInvalid()).equals("error")) {
      throw new IllegalArgumentException(invalid + " row(s) have a null " + f + " or " + l
          + "; set handleInvalid=skip to drop and count them");
    }
    int classes = ClassifierColumns.classes(clean, l);
    int th = (Integer) $(threads()) > 0 ? (Integer) $(threads())
        : d.sparkSession().sparkContext().getConf().getInt("spark.task.cpus", 1);
    if (ft != null) {
      // L's activations, computed once by the inference kernel and kept while the shards are built
      Dataset<Row> acts = ft.featurizer(f, ACTIVATIONS).transform(clean);
      JavaRDD<Example> examples = Examples.fromFeatures(acts, ACTIVATIONS, l).persist(StorageLevel.MEMORY_AND_DISK());
      return new TrainingData(clean, invalid, classes, ft.activationShape(), examples, th, ft);
    }
    boolean images = ClassifierColumns.isImage(clean.schema().apply(f).dataType());
    long[] shape = ClassifierColumns.inputShape(clean, f, images);
    JavaRDD<Example> examples = images ? Examples.fromImages(clean, f, l) : Examples.fromFeatures(clean, f, l);
    return new TrainingData(clean, invalid, classes, shape, examples, th, null);
  }

  /** The temporary column of layer L's activations while fine-tuning. */
  static final String ACTIVATIONS = "__argus_finetune_activations";

  /**
   * @return the checked fine-tuning request (driver only, before any job)
   * @throws IllegalArgumentException when {@code family} is also set, the input is not an image
   *     column, or the model / layer / size is not valid ({@link FineTuning#resolve})
   */
  FineTuning fineTuning(StructType schema) {
    if (isSet(family())) {
      throw new IllegalArgumentException("family=" + $(family()) + " and fineTuneFrom=" + $(fineTuneFrom())
          + " exclude each other: a fine-tuned CNN's head is fixed (global average pooling + Linear(K));"
          + " clear one of them");
    }
    String f = $(featuresCol);
    if (!ClassifierColumns.isImage(schema.apply(f).dataType())) {
      throw new IllegalArgumentException("fineTuneFrom needs Spark image structs in '" + f + "'; found "
          + schema.apply(f).dataType().simpleString());
    }
    return FineTuning.resolve($(modelName()), $(fineTuneFrom()), (Integer) $(imageSize()));
  }

  /** @return the worker slots for {@link ModelSelection.Builder#optWorkers} (−1: default parallelism) */
  int workerSlots() {
    int slots = (Integer) $(workers());
    return slots == 0 ? -1 : slots;
  }

  /** @return the fitted model of one trained config, with this estimator's params */
  DeepImageClassificationModel model(TrainingData t, Map<String, Object> hp, byte[] state, List<double[]> epochs,
      String dir) {
    DeepImageClassificationModel m = new DeepImageClassificationModel(uid(),
        new DeepImageClassificationModel.State(t.familyName($(family())), t.shape(), t.classes(), hp, state,
            t.invalid(), epochs, dir, t.fineTuning()));
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
