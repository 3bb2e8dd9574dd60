package org.argus.execution.fusion;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.argus.ArgusException;
import org.argus.execution.ProgressSink;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.MaterializedFeatures;
import org.argus.execution.transfer.TransferSpec;
import org.argus.plan.mop.UnitRecord;
import org.argus.select.procedure.Procedure;
import org.argus.select.space.SearchSpace;

/**
 * Fused model selection: which layer (and pooling) of a pretrained CNN, with which head, in one
 * search space. {@link #prepare} resolves the space's materialization dimensions ({@link
 * FusedSpace}) and asks the transfer optimizer for a plan over their union — nothing is inferred,
 * so {@link #explain()} is cheap; {@link #run()} materializes every (layer, pooling) column once
 * ({@link FeatureTransfer#materialize()}: staged, eager or lazy as the cost model chose), turns the
 * training split into shard rows holding every view ({@link FeatureViews}), drops the feature table
 * once the shards are cached, and runs the procedure with model hopper parallelism ({@link
 * ModelSelection}, heads by {@link ViewTrainerFactory}); every config that finishes is scored on the
 * test split.
 *
 * <p>Rows: the training split feeds model selection (its own seeded validation fraction is held
 * out from it); the test split never informs a choice.
 */
public final class FusedSelection {
  private final Builder b;
  private final FusedSpace fused;
  /** One prepared transfer per (CNN, precision) (one without model and precision dimensions). */
  private final FusedTransfers prepared;
  private final List<FeatureTransfer> transfers;
  private final FeatureTransfer transfer;
  private final Procedure procedure;

  private FusedSelection(Builder b, FusedTransfers prepared, Procedure procedure) {
    this.b = b;
    this.fused = prepared.fused();
    this.prepared = prepared;
    this.transfers = prepared.transfers();
    this.transfer = prepared.first();
    this.procedure = procedure;
  }

  /** @return a builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder: {@code set…} required, {@code opt…} optional. */
  public static final class Builder {
    private TransferSpec transfer;
    private SearchSpace space;
    private java.util.function.BiFunction<SearchSpace, Long, Procedure> procedure;
    private String runDir;
    private String family = "head";
    private int workers = -1;
    private int threads;
    private long seed = 42;
    private Execution execution = Execution.MOP;
    private boolean resume;
    private Map<String, String> spec = new LinkedHashMap<>();
    private Consumer<UnitRecord> listener = u -> {};
    private ProgressSink progress = ProgressSink.SILENT;
    private boolean validateOnTest;
    private boolean refit = true;
    private java.util.function.ToIntFunction<String> inputSize;

    /**
     * @param t the images, table, model and inputs (its layers stand in for a missing {@code layer}
     *     dimension; its layers and poolings are replaced by the space's)
     * @return this
     */
    public Builder setTransfer(TransferSpec t) {
      this.transfer = t;
      return this;
    }

    /**
     * @param s the joint space: head hyperparameters ({@code lr}, {@code batch}, {@code wd}, {@code
     *     optimizer}, {@code width} (0 = multinomial logistic regression), {@code depth}, {@code
     *     dropout}) and the materialization dimensions {@code layer}, {@code pooling}
     * @return this
     */
    public Builder setSpace(SearchSpace s) {
      this.space = s;
      return this;
    }

    /**
     * @param p builds the procedure over the final space (with the added {@code layer} dimension)
     * @return this
     */
    public Builder setProcedure(Function<SearchSpace, Procedure> p) {
      Objects.requireNonNull(p, "procedure");
      this.procedure = (s, rows) -> p.apply(s);
      return this;
    }

    /**
     * @param p builds the procedure over the final space and the number of training rows (known
     *     once the inputs are read; e.g. epochs for a number of optimizer steps)
     * @return this
     */
    public Builder setProcedure(java.util.function.BiFunction<SearchSpace, Long, Procedure> p) {
      this.procedure = Objects.requireNonNull(p, "procedure");
      return this;
    }

    /**
     * @param dir run directory
     * @return this
     */
    public Builder setRunDir(String dir) {
      this.runDir = dir;
      return this;
    }

    /**
     * @param f head family: {@code head} or {@code mlp} [head]
     * @return this
     */
    public Builder optFamily(String f) {
      this.family = Objects.requireNonNull(f, "family");
      return this;
    }

    /**
     * @param n worker slots = shards [Spark's default parallelism]
     * @return this
     */
    public Builder optWorkers(int n) {
      this.workers = n;
      return this;
    }

    /**
     * @param n PyTorch threads per unit query [0: the cores a task owns, {@link
     *     org.argus.execution.mop.UnitThreads#perTask}]
     * @return this
     */
    public Builder optThreads(int n) {
      this.threads = n;
      return this;
    }

    /**
     * @param s run seed [42]
     * @return this
     */
    public Builder optSeed(long s) {
      this.seed = s;
      return this;
    }

    /**
     * @param e execution [MOP]
     * @return this
     */
    public Builder optExecution(Execution e) {
      this.execution = Objects.requireNonNull(e, "execution");
      return this;
    }

    /**
     * @param r continue the run in the run directory (the materialization is recomputed; the spec,
     *     space included, must match) [false]
     * @return this
     */
    public Builder optResume(boolean r) {
      this.resume = r;
      return this;
    }

    /**
     * @param s the caller's spec entries (e.g. CLI flags), stored with the run
     * @return this
     */
    public Builder optSpec(Map<String, String> s) {
      this.spec = new LinkedHashMap<>(s);
      return this;
    }

    /**
     * @param l called after every unit query
     * @return this
     */
    public Builder optListener(Consumer<UnitRecord> l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /**
     * @param p progress of the materialization
     * @return this
     */
    public Builder optProgress(ProgressSink p) {
      this.progress = Objects.requireNonNull(p, "progress");
      return this;
    }

    /**
     * @param v every training-split row trains and configs are validated on the test split: for
     *     scoring one head per layer ({@code argus transfer --learner head}), not for choosing among
     *     configs; a round job over several epochs then validates only its last ({@code
     *     ModelSelection.Builder#optValidateEveryEpoch}) [false: a seeded 20 % of the training split
     *     validates, after every epoch]
     * @return this
     */
    public Builder optValidateOnTest(boolean v) {
      this.validateOnTest = v;
      return this;
    }

    /**
     * @param size a CNN's square input size in pixels (0: native), for each model of a {@code model}
     *     dimension [the transfer's input size for every model]
     * @return this
     */
    public Builder optInputSize(java.util.function.ToIntFunction<String> size) {
      this.inputSize = Objects.requireNonNull(size, "inputSize");
      return this;
    }

    /**
     * @param r after selection, retrain the winner on every training-split row (its validation rows
     *     included) for the epochs it reached, score it on the test split and deploy that head
     *     ({@link FusedResult.Refit}); ignored with {@link #optValidateOnTest} [true]
     * @return this
     */
    public Builder optRefit(boolean r) {
      this.refit = r;
      return this;
    }

    /**
     * Checks, without Spark, what {@link #prepare} refuses first: the head family, and every CNN and
     * layer the space names (or the transfer's layers), each model resolved ({@link
     * FeatureTransfer#checkLayers}). A command calls it before starting its session, so a misspelt
     * layer is refused in about a second.
     *
     * @return this
     * @throws NullPointerException without a transfer or a space
     * @throws IllegalArgumentException for another family, an unknown model or layer (listing the
     *     valid ones), or a layer dimension naming no model's layers
     * @throws ArgusException when a model cannot be provisioned or read
     */
    public Builder check() throws ArgusException {
      Objects.requireNonNull(transfer, "transfer");
      Objects.requireNonNull(space, "space");
      ViewTrainerFactory.checkFamily(family);
      FusedTransfers.checkLayers(transfer, space, inputSize);
      return this;
    }

    /**
     * Resolves the space and plans the materialization (small Spark queries over the inputs; no
     * inference).
     *
     * @param spark the session
     * @return the prepared selection
     * @throws NullPointerException naming a missing required setting
     * @throws IllegalArgumentException for a bad space (see {@link FusedSpace#of}), an unknown
     *     layer (listing the valid ones), a label with one class, bad inputs
     * @throws org.argus.plan.cost.NoFeasiblePlanException when no plan holds the materialization
     * @throws ArgusException when the model or the data cannot be provisioned or read
     */
    public FusedSelection prepare(SparkSession spark) throws ArgusException {
      Objects.requireNonNull(transfer, "transfer");
      Objects.requireNonNull(space, "space");
      Objects.requireNonNull(procedure, "procedure");
      Objects.requireNonNull(runDir, "runDir");
      ViewTrainerFactory.checkFamily(family);
      FusedTransfers t = FusedTransfers.prepare(spark, transfer, space, progress, inputSize);
      return new FusedSelection(this, t, procedure.apply(t.fused().space(), t.first().trainRows()));
    }
  }

  /** @return the final space (with the added dimensions) */
  public SearchSpace space() {
    return fused.space();
  }

  /** @return the procedure */
  public Procedure procedure() {
    return procedure;
  }

  /** @return the prepared transfer (plan, counts, layers); of the first CNN when the space has several */
  public FeatureTransfer transfer() {
    return transfer;
  }

  /** Drops the input data every transfer cached ({@link FeatureTransfer#release}); call it when done. */
  public void release() {
    transfers.forEach(FeatureTransfer::release);
  }

  /**
   * @return one prepared transfer per (CNN, precision), CNN by CNN in the space's order (one without
   *     {@code model} and {@code precision} dimensions)
   */
  public List<FeatureTransfer> transfers() {
    return transfers;
  }

  /**
   * @param layer a {@code layer} value of the space ({@code LAYER@MODEL} with several CNNs)
   * @return the CNN the layer belongs to (to deploy a config: {@link HeadExport#deploy})
   * @throws IllegalArgumentException when the layer names a CNN this run did not prepare
   */
  public org.argus.model.resolve.ResolvedModel modelOf(String layer) {
    String m = FeatureViews.modelOf(layer);
    if (m == null || fused.models().isEmpty()) {
      return transfer.model();
    }
    int i = prepared.models().indexOf(m);
    if (i < 0) {
      throw new IllegalArgumentException("layer '" + layer + "' names model '" + m + "'; this run's models: "
          + fused.models());
    }
    return transfers.get(i).model();
  }

  /**
   * @param view a view of the run's result ({@link FusedResult#views()})
   * @return the CNN cut its features came from, to deploy a head trained on it ({@link
   *     HeadExport#deploy}): the int8 cut of an {@code int8} view, null for fp32 (the CNN's own)
   * @throws IllegalStateException for an int8 view before {@link #run()}
   */
  public org.argus.model.resolve.GraphCut cutOf(FeatureViews.View view) {
    return prepared.cut(view);
  }

  /**
   * @return EXPLAIN of both phases: the materialization plan (chosen plan, estimates, rejected
   *     plans) and the MOP plan (views, procedure, shards)
   */
  public String explain() {
    StringBuilder sb = new StringBuilder("== materialization (once for every config) ==\n");
    int precisions = Math.max(1, fused.precisions().size());
    sb.append("layers ").append(fused.layers()).append(" x poolings ").append(fused.poolingNames())
        .append(precisions > 1 ? " x precisions " + fused.precisions().stream().map(
            org.argus.model.quantize.Precision::paramValue).toList() : "")
        .append(" = ").append(fused.layers().size() * fused.poolings().size() * precisions)
        .append(" feature columns\n");
    if (transfers.size() == 1) {
      sb.append(transfer.explain());
    } else {
      sb.append(transfers.size()).append(precisions > 1 ? " (CNN, precision) pairs" : " CNNs").append(
          ", each planned on its own, materialized one after the other and joined on the row id:\n");
      for (int i = 0; i < transfers.size(); i++) {
        sb.append("-- ").append(prepared.label(i)).append(" --\n").append(transfers.get(i).explain());
      }
    }
    sb.append("== model selection (MOP over the shared feature rows) ==\n");
    sb.append(String.format(Locale.ROOT, "procedure %s over %s%n", procedure.name(), fused.space()));
    sb.append(String.format(Locale.ROOT, "execution %s, %s worker slots = shards, head family %s; each unit query reads"
        + " its config's view of the shard rows%n", b.execution.cli(),
        b.workers > 0 ? Integer.toString(b.workers) : "default-parallelism", b.family));
    long train = transfer.trainRows();
    sb.append(String.format(Locale.ROOT, "rows: %d training (%s), %d test%n", train,
        b.validateOnTest ? "all of them train; the test split validates"
            : "a seeded 20 % of them validates" + (b.refit ? "; the winner is then refit on all of them" : ""),
        Math.max(0, transfer.counts().joinedRows() - train)));
    return sb.toString();
  }

  /**
   * Materializes the features, runs the procedure and scores every finished config on the test
   * split. The run directory holds the selection's tables, checkpoints and {@code best/}.
   *
   * @return the result
   * @throws ArgusException when the run directory cannot be written, or a resume's spec differs
   */
  public FusedResult run() throws ArgusException {
    Map<String, String> spec = new LinkedHashMap<>(b.spec);
    spec.put("fused.space", fused.space().toString());
    spec.put("fused.transfer", transfer.spec().describe().toString());
    if (b.resume) { // before the materialization: a changed space or transfer is refused at once
      ResumeCheck.check(b.runDir, spec);
    }
    long t0 = System.nanoTime();
    List<MaterializedFeatures> each = new java.util.ArrayList<>();
    MaterializedFeatures m;
    try {
      for (FeatureTransfer t : transfers) {
        each.add(t.materialize());
      }
      m = each.size() == 1 ? each.get(0) : FeatureRows.joined(prepared.models(), each);
    } catch (RuntimeException e) {
      each.forEach(MaterializedFeatures::unpersist);
      throw e;
    }
    Runnable unpersist = () -> each.forEach(MaterializedFeatures::unpersist);
    double matSeconds = (System.nanoTime() - t0) / 1e9;
    FeatureViews views = FeatureRows.views(m, fused);
    long s0 = System.nanoTime(); // the learner's phase: z-scoring, shards, MOP, test scoring
    JavaRDD<Example> raw = FeatureRows.examples(m, "train");
    Standardizer standardizer = Standardizer.fit(raw);
    boolean refit = b.refit && !b.validateOnTest;
    // the refit reads the training rows once more after the shards are gone: kept on local disk
    // (not a second copy in memory beside the shards), written as the shards are first computed
    JavaRDD<Example> train = refit ? standardizer.apply(raw).persist(StorageLevel.DISK_ONLY())
        : standardizer.apply(raw);
    JavaRDD<Example> test = standardizer.apply(FeatureRows.examples(m, "test")).persist(StorageLevel.MEMORY_ONLY());
    long featureBytes = 4L * views.rowDim() * transfer.trainRows();
    int threads = b.threads > 0 ? b.threads : org.argus.execution.mop.UnitThreads.perTask(raw.context(),
        b.workers > 0 ? b.workers : raw.context().defaultParallelism());
    ViewTrainerFactory factory = new ViewTrainerFactory(views, b.family, Math.max(2, m.numClasses()), threads);
    spec.put("fused.views", views.describe());
    SelectionResult r;
    try {
      r = ModelSelection.builder()
          .setData(train)
          .setTrainerFactory(factory)
          .setProcedure(procedure)
          .setRunDir(b.runDir)
          .optSpec(spec)
          .optExecution(b.execution)
          .optWorkers(b.workers)
          .optSeed(b.seed)
          .optResume(b.resume)
          .optListener(b.listener)
          .optTestData(test) // cached by its first use (the shards' job when it validates), counted there
          .optValidationData(b.validateOnTest ? test : null)
          .optValidateEveryEpoch(!b.validateOnTest) // scored on the test split: once per round job, not per epoch
          .optOnDataCached(unpersist)
          .build()
          .run();
      List<FusedResult.Best> byLayer = Tables.best(r, FeatureViews.LAYER, views.layers());
      boolean tested = !r.test().isEmpty(); // test rows exist (and a config finished)
      double selSeconds = (System.nanoTime() - s0) / 1e9;
      FusedResult.Refit rf = refit && r.best() != null
          ? WinnerRefit.run(r, procedure, train, tested ? test : null, factory, spec, b.execution, b.workers,
              b.seed, b.resume) : null;
      return new FusedResult(r, views, standardizer, factory, byLayer,
          Tables.best(r, FeatureViews.POOLING, fused.poolingNames()), explain(), m.measured(), m.inferenceSeconds(),
          matSeconds, selSeconds, featureBytes, m.counts(), transfer.decision(), FusedResult.PerModel.info(transfer), FusedResult.PerModel.of(transfers, each),
          fused.models().isEmpty() ? List.of() : Tables.best(r, c -> {
            String layer = Tables.value(c, FeatureViews.LAYER);
            return layer == null ? null : FeatureViews.modelOf(layer);
          }, fused.models()), rf);
    } finally {
      unpersist.run();
      test.unpersist(false);
      train.unpersist(false);
    }
  }

  /** @return the output checkpoint of a trial's last successful unit query, or null */
  static String lastCheckpoint(SelectionResult r, int trial) {
    String ck = null;
    long at = Long.MIN_VALUE;
    for (UnitRecord u : r.units()) {
      if (u.trial() == trial && u.error() == null && u.endMs() >= at) {
        at = u.endMs();
        ck = u.outCkpt();
      }
    }
    return ck;
  }
}
