package org.argus.surfaces.ml;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.argus.runtime.train.Families;

/**
 * The training params of {@link DeepImageClassifier} — what to train (a built-in family, or a
 * roster CNN fine-tuned above a layer), the optimizer and its schedule, sharding and the run
 * directory — as Spark ML groups a classifier's params in a shared trait (e.g. {@code
 * ProbabilisticClassifierParams}). Setters return the concrete estimator {@code S}.
 *
 * <p>Fine-tuning ({@code fineTuneFrom} set): the roster model {@code modelName} (a Keras/TF.js
 * model, rebuilt in DJL by {@link org.argus.runtime.train.imported.KerasDjlGraph}) is frozen up
 * to layer {@code fineTuneFrom}; the pretrained layers above it up to the model's top curated
 * layer train at {@code bodyLearningRate}, a new head (global average pooling + Linear(K)) at
 * {@code learningRate}; images are resized to {@code imageSize} (0: the model's native size).
 *
 * @param <S> the concrete estimator type
 */
public abstract class ClassifierTrainingParams<S extends ClassifierTrainingParams<S>>
    extends Estimator<DeepImageClassificationModel> {
  private static final long serialVersionUID = 1L;

  private final String uid;
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
  private final Param<String> modelName;
  private final Param<String> fineTuneFrom;
  private final IntParam imageSize;
  private final DoubleParam bodyLearningRate;

  /** @param uid the stage's unique id */
  protected ClassifierTrainingParams(String uid) {
    this.uid = uid;
    family = new Param<>(this, "family", "what to train: " + String.join(" | ", Families.NAMES)
        + " (ignored when fineTuneFrom is set)", ParamValidators.inArray(Families.NAMES.toArray(new String[0])));
    optimizer = new Param<>(this, "optimizer", "adam | sgd (momentum 0.9)",
        ParamValidators.inArray(new String[] {"adam", "sgd"}));
    learningRate = new DoubleParam(this, "learningRate", "step size (> 0); the new head's when fine-tuning",
        ParamValidators.gt(0));
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
    modelName = new Param<>(this, "modelName", "roster CNN to fine-tune (with fineTuneFrom), e.g. mobilenet_v2");
    fineTuneFrom = new Param<>(this, "fineTuneFrom",
        "fine-tune modelName above this Keras layer (empty: train family instead)");
    imageSize = new IntParam(this, "imageSize", "square input size when fine-tuning, pixels (0: the model's native"
        + " size)", ParamValidators.gtEq(0));
    bodyLearningRate = new DoubleParam(this, "bodyLearningRate",
        "step size (> 0) of the pretrained layers above fineTuneFrom", ParamValidators.gt(0));
    setDefault(threads, 0);
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
    setDefault(modelName, "");
    setDefault(fineTuneFrom, "");
    setDefault(imageSize, 0);
    setDefault(bodyLearningRate, 1e-4);
  }

  @Override
  public final String uid() {
    return uid;
  }

  /** @return this, typed as the concrete estimator */
  @SuppressWarnings("unchecked")
  protected final S self() {
    return (S) this;
  }

  // ---- params (Spark ML finds them through these public accessors) ----

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

  /** @return the handleInvalid param */
  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  /** @return the roster model param (fine-tuning) */
  public Param<String> modelName() {
    return modelName;
  }

  /** @return the fine-tuning layer param (empty: no fine-tuning) */
  public Param<String> fineTuneFrom() {
    return fineTuneFrom;
  }

  /** @return the fine-tuning input size param, pixels */
  public IntParam imageSize() {
    return imageSize;
  }

  /** @return the fine-tuned pretrained layers' learning-rate param */
  public DoubleParam bodyLearningRate() {
    return bodyLearningRate;
  }

  // ---- setters ----

  /** @param v PyTorch intra-op threads per unit query, 0 for {@code spark.task.cpus} @return this */
  public S setThreads(int v) {
    set(threads, v);
    return self();
  }

  /** @param v {@code head}, {@code mlp} or {@code cnn} @return this */
  public S setFamily(String v) {
    set(family, v);
    return self();
  }

  /** @param v {@code adam} or {@code sgd} @return this */
  public S setOptimizer(String v) {
    set(optimizer, v);
    return self();
  }

  /** @param v step size &gt; 0 @return this */
  public S setLearningRate(double v) {
    set(learningRate, v);
    return self();
  }

  /** @param v examples per mini-batch ≥ 1 @return this */
  public S setBatchSize(int v) {
    set(batchSize, v);
    return self();
  }

  /** @param v epochs ≥ 1 @return this */
  public S setEpochs(int v) {
    set(epochs, v);
    return self();
  }

  /** @param v L2 weight decay ≥ 0 @return this */
  public S setWeightDecay(double v) {
    set(weightDecay, v);
    return self();
  }

  /** @param v hidden units ≥ 0 @return this */
  public S setWidth(int v) {
    set(width, v);
    return self();
  }

  /** @param v mlp hidden layers ≥ 1 @return this */
  public S setDepth(int v) {
    set(depth, v);
    return self();
  }

  /** @param v seed @return this */
  public S setSeed(long v) {
    set(seed, v);
    return self();
  }

  /** @param v held-out fraction in (0, 1) @return this */
  public S setValidationFraction(double v) {
    set(validationFraction, v);
    return self();
  }

  /** @param v shards = worker slots, 0 for Spark's default parallelism @return this */
  public S setWorkers(int v) {
    set(workers, v);
    return self();
  }

  /** @param v run directory (local path or Hadoop URI); empty for a new temporary one @return this */
  public S setRunDir(String v) {
    set(runDir, v);
    return self();
  }

  /** @param v {@code error} or {@code skip} @return this */
  public S setHandleInvalid(String v) {
    set(handleInvalid, v);
    return self();
  }

  /** @param v roster model to fine-tune, e.g. {@code mobilenet_v2} @return this */
  public S setModelName(String v) {
    set(modelName, v);
    return self();
  }

  /**
   * Fine-tunes {@code modelName} above Keras layer {@code v} instead of training {@code family}
   * (see the class comment); the input column must then hold Spark image structs.
   *
   * @param v a layer of the model, e.g. {@code block_13_expand_relu}; empty for no fine-tuning
   * @return this
   */
  public S setFineTuneFrom(String v) {
    set(fineTuneFrom, v);
    return self();
  }

  /** @param v square input size in pixels when fine-tuning, 0 for the model's native size @return this */
  public S setImageSize(int v) {
    set(imageSize, v);
    return self();
  }

  /** @param v step size &gt; 0 of the pretrained layers above {@code fineTuneFrom} @return this */
  public S setBodyLearningRate(double v) {
    set(bodyLearningRate, v);
    return self();
  }

  /** @return true when {@code fineTuneFrom} is set (fine-tuning instead of a family) */
  boolean fineTuning() {
    return !$(fineTuneFrom).isEmpty();
  }

  /**
   * The hyperparameters of the one config {@code fit} trains, as {@code argus select} names them.
   *
   * @return name → value ({@code optimizer, lr, batch, wd}, {@code width}/{@code depth} when set;
   *     fine-tuning: {@code lr, body_lr, batch})
   */
  Map<String, Object> hyperparameters() {
    Map<String, Object> hp = new LinkedHashMap<>();
    if (fineTuning()) {
      hp.put("lr", (double) $(learningRate));
      hp.put("body_lr", (double) $(bodyLearningRate));
      hp.put("batch", (int) $(batchSize));
      return hp;
    }
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
}
