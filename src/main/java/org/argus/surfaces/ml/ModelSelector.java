package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.evaluation.Evaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.argus.ArgusException;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Procedure;
import org.argus.select.procedure.Procedures;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;

/**
 * Model selection as a Spark ML {@code Estimator}, in the shape of Spark's {@code CrossValidator}
 * / {@code TrainValidationSplit} ({@code setEstimator}, {@code setEstimatorParamMaps}, {@code
 * setEvaluator}, {@code setSeed}), executed by model hopper parallelism (Cerebro, Nakandala et al.,
 * VLDB 2020, §3–4): the training rows are stored once as shards on the workers and every config's
 * model hops from shard to shard, instead of one full data copy per parallel fit.
 *
 * <p><b>Estimator</b>: a {@link DeepImageClassifier}, or a {@code Pipeline} whose last stage is
 * one (e.g. {@code [DeepImageFeaturizer, DeepImageClassifier]}): the stages before it are fitted
 * and applied once, and only the classifier is trained per config — the features are computed once,
 * not once per config.
 *
 * <p><b>Configs</b>: either param maps ({@code ParamGridBuilder} over the classifier's {@code
 * learningRate}, {@code batchSize}, {@code weightDecay}, {@code optimizer}, {@code width}, {@code
 * depth}; each map one config, all trained for the classifier's {@code epochs} or {@link
 * #setEpochs}) or a search space with a procedure, as {@code argus select} takes them ({@code
 * setSpace("lr=loguniform(1e-4,1e-2);batch=choice(32,128)")}, {@code setProcedure("grid" |
 * "random:N" | "tpe:N[,STARTUP]" | "hyperband:R,ETA" | "asha:R,ETA,MAX_TRIALS")}).
 *
 * <p><b>Metric</b>: configs are compared on a seeded held-out split (the classifier's {@code
 * validationFraction}) by the evaluator's metric: a {@code MulticlassClassificationEvaluator}
 * with {@code accuracy} (maximized, the default) or {@code logLoss} (minimized) — the two metrics
 * the trainers compute on the workers.
 *
 * <p>{@code execution}: {@code mop} (default) or {@code task-parallel} (each config on a full copy
 * of the data, for comparison). {@code runDir} keeps checkpoints and the run tables; with {@code
 * resume} a run killed half-way continues from its last completed unit queries.
 *
 * <p>Saved with {@code write().save(path)} and read back with {@link #load}: its params, the
 * estimator and the evaluator (their own writers) and the param maps ({@link SelectorPersistence}).
 *
 * <p>Errors before any training: a param map naming a param of another stage or one that cannot
 * vary per config (listing the tunable ones), one param map only, both or neither of param maps and
 * space, another evaluator or metric (listing the valid ones), and the classifier's own column
 * checks.
 */
public final class ModelSelector extends Estimator<ModelSelectionModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  /** The classifier params a param map may set, one value per config. */
  static final List<String> TUNABLE = List.of("learningRate", "batchSize", "weightDecay", "optimizer", "width", "depth");

  private final String uid;
  private final Param<String> space;
  private final Param<String> procedure;
  private final IntParam epochs;
  private final Param<String> execution;
  private final LongParam seed;
  private final Param<String> runDir;
  private final BooleanParam resume;
  private Estimator<?> estimator;
  private ParamMap[] estimatorParamMaps;
  private Evaluator evaluator = new MulticlassClassificationEvaluator().setMetricName("accuracy");

  /** Creates a selector with a random uid. */
  public ModelSelector() {
    this(Identifiable$.MODULE$.randomUID("ModelSelector"));
  }

  /** @param uid the stage's unique id */
  public ModelSelector(String uid) {
    this.uid = uid;
    space = new Param<>(this, "space", "search space, e.g. lr=loguniform(1e-4,1e-2);batch=choice(32,128) (instead of param maps)");
    procedure = new Param<>(this, "procedure", "with a space: " + Procedures.FORMS);
    epochs = new IntParam(this, "epochs", "epochs per config (0: the classifier's epochs)", ParamValidators.gtEq(0));
    execution = new Param<>(this, "execution", "mop | task-parallel",
        ParamValidators.inArray(new String[] {"mop", "task-parallel"}));
    seed = new LongParam(this, "seed", "seed of shards, visit orders, sampling and initialization");
    runDir = new Param<>(this, "runDir", "directory of checkpoints and run tables (empty: a new temporary directory)");
    resume = new BooleanParam(this, "resume", "continue the run in runDir from its last completed unit queries");
    setDefault(space, "");
    setDefault(procedure, "grid");
    setDefault(epochs, 0);
    setDefault(execution, "mop");
    setDefault(seed, 42L);
    setDefault(runDir, "");
    setDefault(resume, false);
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the search-space param */
  public Param<String> space() {
    return space;
  }

  /** @return the procedure param */
  public Param<String> procedure() {
    return procedure;
  }

  /** @return the epochs param */
  public IntParam epochs() {
    return epochs;
  }

  /** @return the execution param */
  public Param<String> execution() {
    return execution;
  }

  /** @return the seed param */
  public LongParam seed() {
    return seed;
  }

  /** @return the run-directory param */
  public Param<String> runDir() {
    return runDir;
  }

  /** @return the resume param */
  public BooleanParam resume() {
    return resume;
  }

  /**
   * @param e a {@link DeepImageClassifier} or a {@code Pipeline} ending in one
   * @return this
   */
  public ModelSelector setEstimator(Estimator<?> e) {
    this.estimator = e;
    return this;
  }

  /** @return the estimator, or null */
  public Estimator<?> getEstimator() {
    return estimator;
  }

  /**
   * @param maps one config per map ({@code ParamGridBuilder.build()}), over the classifier's
   *     tunable params
   * @return this
   */
  public ModelSelector setEstimatorParamMaps(ParamMap[] maps) {
    this.estimatorParamMaps = maps.clone();
    return this;
  }

  /** @return the param maps, or null */
  public ParamMap[] getEstimatorParamMaps() {
    return estimatorParamMaps == null ? null : estimatorParamMaps.clone();
  }

  /**
   * @param e a {@code MulticlassClassificationEvaluator} with metric {@code accuracy} or {@code logLoss}
   * @return this
   */
  public ModelSelector setEvaluator(Evaluator e) {
    this.evaluator = e;
    return this;
  }

  /** @return the evaluator */
  public Evaluator getEvaluator() {
    return evaluator;
  }

  /** @param v search space @return this */
  public ModelSelector setSpace(String v) {
    set(space, v);
    return this;
  }

  /** @param v {@value Procedures#FORMS} @return this */
  public ModelSelector setProcedure(String v) {
    set(procedure, v);
    return this;
  }

  /** @param v epochs per config ≥ 1, or 0 for the classifier's @return this */
  public ModelSelector setEpochs(int v) {
    set(epochs, v);
    return this;
  }

  /** @param v {@code mop} or {@code task-parallel} @return this */
  public ModelSelector setExecution(String v) {
    set(execution, v);
    return this;
  }

  /** @param v seed @return this */
  public ModelSelector setSeed(long v) {
    set(seed, v);
    return this;
  }

  /** @param v run directory @return this */
  public ModelSelector setRunDir(String v) {
    set(runDir, v);
    return this;
  }

  /** @param v continue the run in runDir @return this */
  public ModelSelector setResume(boolean v) {
    set(resume, v);
    return this;
  }

  /** The estimator split into the stages fitted once and the classifier tuned per config. */
  record Parts(List<PipelineStage> prefix, DeepImageClassifier classifier) {}

  Parts parts() {
    if (estimator instanceof DeepImageClassifier c) {
      return new Parts(List.of(), c);
    }
    if (estimator instanceof Pipeline p && p.getStages().length > 0
        && p.getStages()[p.getStages().length - 1] instanceof DeepImageClassifier c) {
      PipelineStage[] s = p.getStages();
      return new Parts(List.of(Arrays.copyOf(s, s.length - 1)), c);
    }
    throw new IllegalArgumentException("ModelSelector needs an estimator: a DeepImageClassifier or a Pipeline whose"
        + " last stage is one; found " + (estimator == null ? "none (setEstimator)" : describe(estimator)));
  }

  private static String describe(Estimator<?> e) {
    if (e instanceof Pipeline p) {
      List<String> names = new ArrayList<>();
      for (PipelineStage s : p.getStages()) {
        names.add(s.getClass().getSimpleName());
      }
      return "Pipeline " + names;
    }
    return e.getClass().getSimpleName();
  }

  /**
   * @return the goal of the evaluator's metric
   * @throws IllegalArgumentException for another evaluator or metric
   */
  Goal goal() {
    if (evaluator instanceof MulticlassClassificationEvaluator m) {
      switch (m.getMetricName()) {
        case "accuracy":
          return Goal.maximize("accuracy");
        case "logLoss":
          return Goal.minimize("loss");
        default:
          break;
      }
      throw new IllegalArgumentException("evaluator metric '" + m.getMetricName() + "': ModelSelector compares configs"
          + " by the metrics its trainers compute on the held-out split; valid: accuracy, logLoss");
    }
    throw new IllegalArgumentException("evaluator " + evaluator.getClass().getSimpleName() + ": valid: a"
        + " MulticlassClassificationEvaluator with metric accuracy or logLoss");
  }

  /**
   * Checks the param maps against the classifier: every param is one of its {@link #TUNABLE}
   * params, and there are at least two maps.
   *
   * @throws IllegalArgumentException naming the map, the param and the valid ones
   */
  static void checkMaps(ParamMap[] maps, DeepImageClassifier c) {
    if (maps.length < 2) {
      throw new IllegalArgumentException("a grid with " + maps.length + " param map(s) has nothing to select; fit the"
          + " DeepImageClassifier directly, or give two or more maps");
    }
    for (int i = 0; i < maps.length; i++) {
      for (ParamPair<?> pp : maps[i].toList()) {
        String parent = pp.param().parent();
        String name = pp.param().name();
        if (!parent.equals(c.uid())) {
          throw new IllegalArgumentException("param map " + i + " sets " + parent + "__" + name + ", a param of"
              + " another stage; ModelSelector tunes the classifier " + c.uid() + " only: " + String.join(", ", TUNABLE));
        }
        if (!TUNABLE.contains(name)) {
          throw new IllegalArgumentException("param map " + i + " sets " + name + " of " + c.uid() + ", which is one"
              + " value for the whole selection (set it on the classifier" + (name.equals("epochs")
                  ? " or with ModelSelector.setEpochs" : "") + "); tunable per config: " + String.join(", ", TUNABLE));
        }
      }
    }
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Parts p = parts();
    StructType s = schema;
    for (PipelineStage stage : p.prefix()) {
      s = stage.transformSchema(s);
    }
    return p.classifier().transformSchema(s);
  }

  /**
   * Fits the stages before the classifier once, then selects the classifier's config by MOP.
   *
   * @param dataset the training rows
   * @return the selection: best model, leaderboard, per-epoch metrics
   * @throws IllegalArgumentException for the bad inputs listed in the class comment (before any
   *     training)
   * @throws IllegalStateException when the run directory cannot be written or read, or every config
   *     failed
   */
  @Override
  public ModelSelectionModel fit(Dataset<?> dataset) {
    Parts p = parts();
    Goal goal = goal();
    boolean hasMaps = estimatorParamMaps != null;
    boolean hasSpace = !$(space).isEmpty();
    if (hasMaps == hasSpace) {
      throw new IllegalArgumentException("give either param maps (setEstimatorParamMaps) or a search space"
          + " (setSpace), not " + (hasMaps ? "both" : "neither"));
    }
    if (hasMaps) {
      checkMaps(estimatorParamMaps, p.classifier());
    }
    transformSchema(dataset.schema());
    Dataset<Row> data = dataset.toDF();
    PipelineModel prefix = null;
    if (!p.prefix().isEmpty()) {
      // the stages before the classifier (e.g. a CNN featurizer) run once: their output is kept on
      // disk while the run's checks and the MOP shards read it, then dropped
      prefix = new Pipeline().setStages(p.prefix().toArray(new PipelineStage[0])).fit(data);
      data = prefix.transform(data).persist(StorageLevel.DISK_ONLY());
    }
    try {
      return select(p, data, prefix, goal, hasMaps);
    } finally {
      if (prefix != null) {
        data.unpersist(false);
      }
    }
  }

  private ModelSelectionModel select(Parts p, Dataset<Row> data, PipelineModel prefix, Goal goal, boolean hasMaps) {
    DeepImageClassifier c = p.classifier();
    TrainingData t = c.trainingData(data);
    int epochCount = (Integer) $(epochs) > 0 ? (Integer) $(epochs) : (Integer) c.getOrDefault(c.epochs());
    int slots = c.workerSlots() > 0 ? c.workerSlots() : data.sparkSession().sparkContext().defaultParallelism();
    List<Config> configs = new ArrayList<>();
    Procedure proc;
    if (hasMaps) {
      for (ParamMap m : estimatorParamMaps) {
        configs.add(new Config(c.copy(m).hyperparameters()));
      }
      proc = FixedEpochs.of(configs, epochCount, goal);
    } else {
      proc = Procedures.parse($(procedure), SearchSpace.parse(withFixed($(space), c)), epochCount, slots,
          (Long) $(seed), goal);
    }
    String dir = $(runDir).isEmpty() ? TrainingData.temporaryRunDir() : $(runDir);
    SelectionResult r;
    try {
      r = run(t, c, proc, dir, hasMaps ? configs.toString() : $(space) + " by " + $(procedure));
    } finally {
      t.release();
    }
    if (r.best() == null) {
      throw new IllegalStateException("model selection " + uid + ": every config failed or diverged; run directory "
          + r.runDir() + "; leaderboard " + r.leaderboard());
    }
    int trial = r.best().trial();
    DeepImageClassifier bestClassifier = hasMaps ? c.copy(estimatorParamMaps[trial]) : c;
    Map<String, Object> hp = hasMaps ? configs.get(trial).values() : SelectionTables.parseConfig(r.best().config());
    DeepImageClassificationModel head = bestClassifier.model(t, hp, TrainingData.bestState(r),
        ClassifierColumns.epochMetrics(r, trial), r.runDir());
    Model<?> best = head;
    if (prefix != null) {
      Transformer[] stages = Arrays.copyOf(prefix.stages(), prefix.stages().length + 1);
      stages[stages.length - 1] = head;
      best = new PipelineModel(Identifiable$.MODULE$.randomUID("pipeline"), stages);
    }
    ModelSelectionModel m = new ModelSelectionModel(uid, best, SelectionTables.of(r));
    copyValues(m, extractParamMap());
    m.setParent(this);
    return m;
  }

  /** The classifier's family-level hyperparameters are fixed in a space that does not draw them. */
  private static String withFixed(String space, DeepImageClassifier c) {
    Map<String, Object> fixed = new LinkedHashMap<>(c.hyperparameters());
    Set<String> drawn = SearchSpace.parse(space).domains().keySet();
    StringBuilder sb = new StringBuilder(space);
    fixed.forEach((k, v) -> {
      if (!drawn.contains(k)) {
        sb.append(';').append(k).append("=choice(").append(v).append(')');
      }
    });
    return sb.toString();
  }

  private SelectionResult run(TrainingData t, DeepImageClassifier c, Procedure proc, String dir,
      String configs) {
    try {
      return ModelSelection.builder()
          .setData(t.examples())
          .setTrainerFactory(t.factory((String) c.getOrDefault(c.family())))
          .setProcedure(proc)
          .setRunDir(dir)
          .optSpec(Map.of("selector", uid, "family", t.familyName((String) c.getOrDefault(c.family())), "configs", configs,
              "features", (String) c.getOrDefault(c.featuresCol()), "label", (String) c.getOrDefault(c.labelCol())))
          .optExecution(Execution.parse($(execution)))
          .optWorkers(c.workerSlots())
          .optSeed((Long) $(seed))
          .optValidationFraction((Double) c.getOrDefault(c.validationFraction()))
          .optResume((Boolean) $(resume))
          .build()
          .run();
    } catch (ArgusException e) {
      throw new IllegalStateException("model selection " + uid + " in run directory " + dir + " failed: "
          + e.getMessage(), e);
    }
  }

  @Override
  public MLWriter write() {
    return new SelectorPersistence.Writer(this);
  }

  /** @return the reader used by {@code ModelSelector.load} */
  public static MLReader<ModelSelector> read() {
    return new SelectorPersistence.Reader();
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the selector, with its estimator, evaluator and param maps
   * @throws IllegalArgumentException when the directory is not a saved selector, or a param map
   *     names a stage or param the saved estimator does not have
   */
  public static ModelSelector load(String path) {
    return read().load(path);
  }

  @Override
  public ModelSelector copy(ParamMap extra) {
    ModelSelector s = new ModelSelector(uid);
    copyValues(s, extra);
    s.estimator = estimator;
    s.estimatorParamMaps = estimatorParamMaps;
    s.evaluator = evaluator;
    return s;
  }
}
