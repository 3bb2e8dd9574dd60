package org.argus.execution.fusion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.execution.ProgressSink;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.mop.UnitRecord;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Domain;
import org.argus.select.space.SearchSpace;

/**
 * {@code argus transfer --learner head}: feature transfer whose per-layer learner is a DJL head (by
 * default multinomial logistic regression) trained by model hopper parallelism, one config per
 * layer, over features every layer of which the optimizer's plan materialized once — the machinery
 * of {@link FusedSelection} with a grid of one config per layer, every training-split row training
 * and each head scored on the test split. All heads train concurrently (a config per worker slot),
 * where Spark ML's LogisticRegression fits one layer after another with a Spark job per L-BFGS
 * iteration.
 */
public final class HeadTransfer {
  private final FusedSelection selection;
  private final HeadSpec head;
  private FusedResult fused;

  private HeadTransfer(FusedSelection selection, HeadSpec head) {
    this.selection = selection;
    this.head = head;
  }

  /**
   * The head every layer trains.
   *
   * @param family {@code head} or {@code mlp}
   * @param config its hyperparameters ({@code lr}, {@code batch}, {@code wd}, {@code optimizer},
   *     {@code beta2}, {@code decay}, {@code decay_steps}, {@code width}, {@code depth}, {@code dropout}); numbers or names
   * @param epochs passes over the training split, or 0 for {@link #epochsFor(long) enough for
   *     {@value #MIN_STEPS} optimizer steps}
   * @param workers worker slots = shards (0: Spark's default parallelism)
   * @param threads PyTorch threads per unit query (0: the JVM's setting)
   */
  public record HeadSpec(String family, Map<String, Object> config, int epochs, int workers, int threads) {
    /** Optimizer steps an automatic epoch count provides at least. */
    public static final int MIN_STEPS = 500;
    /** Epochs an automatic epoch count provides at least. */
    public static final int MIN_EPOCHS = 8;
    /**
     * Epochs an automatic epoch count provides at most (each epoch is a round of Spark jobs: tiny
     * training splits get fewer than {@value #MIN_STEPS} steps rather than hundreds of rounds).
     */
    public static final int MAX_EPOCHS = 32;

    /**
     * The default head: multinomial logistic regression on z-scored features with L2 1e-3 — the
     * objective of Spark ML's {@code LogisticRegression} as {@code argus transfer --learner spark-lr}
     * runs it (regParam 1e-3, standardization on: mean cross-entropy + λ/2·‖w‖², intercepts free),
     * from the same start (weights 0) — minimized by Adam
     * (lr 1e-3 decayed to 0 by a cosine over the run, β2 0.95, batch 64) for {@link #epochsFor
     * automatic} epochs: {@value #MIN_STEPS} steps' worth, within [{@value #MIN_EPOCHS}, {@value
     * #MAX_EPOCHS}] epochs.
     *
     * <p>Why not Kingma &amp; Ba's constant rate and β2 0.999: Adam divides each step by a running mean
     * of squared gradients over about 1/(1−β2) steps. At 0.999 that is 1 000 steps, longer than the
     * whole run of about 500, so the first steps' large gradients keep the late steps small: at 1 000
     * training rows (InceptionV3, 32 epochs) the head's training cross-entropy stayed 2.3–3.3× spark-lr's
     * at its optimum and its test accuracy 0.6–1.8 points behind. β2 0.95 (20 steps; also GPT-3's,
     * Brown et al., NeurIPS 2020, App. B) gets there in time but leaves the late steps noisy (a
     * transfer's mixed10 head ended 1.8 points behind). Decaying the rate to 0 over the run (SGDR
     * without restarts, Loshchilov &amp; Hutter, ICLR 2017) removes that noise: the training
     * cross-entropy then equals spark-lr's on all four layers. Starting the weights at 0, as spark-lr
     * does, then keeps the head from falling behind on wide layers (8 192 features from 1 000 rows):
     * the transfer's accuracy on 2 500 test images is +0.2 / −0.1 / +0.6 / +0.7 points from spark-lr's
     * ({@code bench/run headEpochs}, {@code bench/results/head-epochs.md} and {@code fusion.md},
     * 2026-12-03, sessions 21–22). Pass more epochs ({@code --head-epochs}) for very small training
     * splits.
     */
    public static final HeadSpec DEFAULT = new HeadSpec("head",
        orderedConfig("lr", 1e-3, "batch", 64L, "wd", 1e-3, "beta2", 0.95, "decay", "cosine", "width", 0L), 0, 0, 0);

    private static Map<String, Object> orderedConfig(Object... kv) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < kv.length; i += 2) {
        m.put((String) kv[i], kv[i + 1]);
      }
      return m;
    }

    /** Validates and copies. */
    public HeadSpec {
      ViewTrainerFactory.checkFamily(family);
      config = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
      if (config.containsKey(FeatureViews.LAYER) || config.containsKey(FeatureViews.POOLING)) {
        throw new IllegalArgumentException("a transfer head's config names no layer or pooling (the transfer's layers "
            + "and pooling are used); found " + config);
      }
      if (epochs < 0) {
        throw new IllegalArgumentException("head epochs must be >= 1, or 0 for automatic; found " + epochs);
      }
    }

    /**
     * @param trainRows rows that train the head
     * @return {@link #epochs()} when set, else {@code ⌈}{@value #MIN_STEPS}{@code · batch /
     *     trainRows⌉} clamped to [{@value #MIN_EPOCHS}, {@value #MAX_EPOCHS}] (batch: the config's
     *     {@code batch}, default 64)
     */
    public int epochsFor(long trainRows) {
      if (epochs > 0) {
        return epochs;
      }
      long batch = config.get("batch") instanceof Number n ? n.longValue() : 64;
      long steps = (long) Math.ceil(MIN_STEPS * (double) batch / Math.max(1, trainRows));
      return (int) Math.min(MAX_EPOCHS, Math.max(MIN_EPOCHS, steps));
    }

    /**
     * @param trainRows rows that train the head
     * @return the config the heads train with: {@link #config()}, plus {@code decay_steps} when it
     *     decays ({@code decay=cosine}) and does not give them: {@link #epochsFor epochsFor(trainRows)}
     *     · ⌈trainRows / batch⌉, the run's optimizer steps (each shard's last batch of an epoch may be
     *     partial, so a run over k shards takes up to k − 1 more steps per epoch; past decay_steps the
     *     rate is 0)
     */
    public Map<String, Object> configFor(long trainRows) {
      Map<String, Object> c = new LinkedHashMap<>(config);
      if ("cosine".equals(String.valueOf(c.get("decay"))) && !c.containsKey("decay_steps")) {
        long batch = c.get("batch") instanceof Number n ? n.longValue() : 64;
        long rows = Math.max(1, trainRows);
        c.put("decay_steps", (long) epochsFor(trainRows) * ((rows + batch - 1) / batch));
      }
      return c;
    }

    /**
     * @param key a hyperparameter
     * @param value its value
     * @return this spec with it set
     */
    public HeadSpec with(String key, Object value) {
      Map<String, Object> c = new LinkedHashMap<>(config);
      c.put(key, value);
      return new HeadSpec(family, c, epochs, workers, threads);
    }

    /**
     * @param n epochs
     * @return this spec with {@code n} epochs
     */
    public HeadSpec withEpochs(int n) {
      return new HeadSpec(family, config, n, workers, threads);
    }

    /**
     * @param w worker slots (0: Spark's default parallelism)
     * @param t PyTorch threads per unit query (0: the JVM's setting)
     * @return this spec with them
     */
    public HeadSpec withResources(int w, int t) {
      return new HeadSpec(family, config, epochs, w, t);
    }

    /** @return e.g. {@code head {lr=0.001, batch=64, wd=0.001, beta2=0.95, decay=cosine, width=0}, 8 epochs} ({@code auto epochs} when 0) */
    @Override
    public String toString() {
      return family + " " + config + ", " + (epochs > 0 ? epochs + " epochs" : "auto epochs (" + MIN_STEPS
          + " steps' worth, " + MIN_EPOCHS + "-" + MAX_EPOCHS + ")");
    }
  }

  /**
   * Resolves the spec and plans the materialization (no inference yet).
   *
   * @param spark the session
   * @param spec the transfer (layers, pooling, inputs; its MLlib learner is not used)
   * @param head the head every layer trains
   * @param runDir the model-selection run directory (checkpoints, tables); must not hold a run
   * @param progress progress of the materialization
   * @param units called after every unit query
   * @return the prepared transfer: {@link #explain()}, then {@link #run()}
   * @throws IllegalArgumentException as {@link FusedSelection.Builder#prepare}, or when the spec
   *     has several poolings
   * @throws ArgusException when the model or data cannot be provisioned
   */
  public static HeadTransfer prepare(SparkSession spark, TransferSpec spec, HeadSpec head, String runDir,
      ProgressSink progress, Consumer<UnitRecord> units) throws ArgusException {
    Objects.requireNonNull(head, "head");
    if (spec.poolings().size() != 1) {
      throw new IllegalArgumentException("transfer trains on one pooling; found " + spec.poolings());
    }
    Map<String, Domain> d = new LinkedHashMap<>();
    head.config().forEach((k, v) -> d.put(k, new Domain.Choice(List.of(v))));
    d.putIfAbsent("lr", new Domain.Choice(List.of(1e-3)));
    FusedSelection.Builder b = FusedSelection.builder()
        .setTransfer(spec)
        .setSpace(new SearchSpace(d))
        .setProcedure((s, rows) -> FixedEpochs.grid(withSchedule(s, head, rows), head.epochsFor(rows),
            Goal.maximize("accuracy")))
        .setRunDir(runDir)
        .optFamily(head.family())
        .optThreads(head.threads())
        .optSeed(spec.seed())
        .optValidateOnTest(true)
        .optProgress(progress)
        .optListener(units)
        .optSpec(Map.of("transfer.head", head.toString()));
    if (head.workers() > 0) {
      b.optWorkers(head.workers());
    }
    return new HeadTransfer(b.prepare(spark), head);
  }

  /** The space with the keys {@link HeadSpec#configFor} adds once the training rows are known (decay_steps). */
  private static SearchSpace withSchedule(SearchSpace s, HeadSpec head, long rows) {
    Map<String, Domain> d = new LinkedHashMap<>(s.domains());
    head.configFor(rows).forEach((k, v) -> d.putIfAbsent(k, new Domain.Choice(List.of(v))));
    return new SearchSpace(d);
  }

  /**
   * @return the quarantined rows ({@code id, kind, reason}), lazily; null when nothing could be
   *     quarantined
   */
  public org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> quarantine() {
    return selection.transfer().quarantine();
  }

  /** Drops the input data the transfer cached ({@link FeatureTransfer#release}); call it when done. */
  public void release() {
    selection.release();
  }

  /** @return EXPLAIN of the materialization and of the MOP run that trains the heads */
  public String explain() {
    return selection.explain();
  }

  /**
   * Materializes every layer once, trains a head per layer and scores each on the test split.
   *
   * @return per layer, bottom to top: test accuracy and macro-F1, the plan, counts, measurements
   *     ({@link TransferResult.LayerResult#model()} is null: the heads are checkpoints of the run
   *     directory, exported by {@link #writeHeads})
   * @throws ArgusException when the run directory cannot be written
   */
  public TransferResult run() throws ArgusException {
    long t0 = System.nanoTime();
    fused = selection.run();
    return result(selection, fused, head, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Writes each layer's trained head as an ONNX graph {@code dir/<layer>/head.onnx}: raw pooled
   * features {@code x [N, F]} (then the structured columns) → the training split's z-scoring →
   * the head → {@code probability [N, classes]}.
   *
   * @param dir the folder
   * @throws IllegalStateException before {@link #run()}
   * @throws ArgusException when a checkpoint cannot be read, a head exported or a file written
   */
  public void writeHeads(java.nio.file.Path dir) throws ArgusException {
    if (fused == null) {
      throw new IllegalStateException("run() first");
    }
    for (FusedResult.Best best : fused.byLayer()) {
      if (best.trial() < 0) {
        continue;
      }
      java.nio.file.Path out = dir.resolve(best.value()).resolve("head.onnx");
      try {
        java.nio.file.Files.createDirectories(out.getParent());
        java.nio.file.Files.write(out, HeadExport.onnx(fused, selection.procedure(), best.trial()));
      } catch (java.io.IOException e) {
        throw new ArgusException("cannot write " + out + ": " + e.getMessage(), e);
      }
    }
  }

  private static TransferResult result(FusedSelection fs, FusedResult r, HeadSpec head, double seconds) {
    SelectionResult sel = r.selection();
    List<TransferResult.PhaseMetrics> inference =
        r.materialization().phases().stream().filter(TransferResult.PhaseMetrics::inference).toList();
    List<String> layers = r.views().layers();
    long trainRows = fs.transfer().trainRows();
    List<TransferResult.LayerResult> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      FusedResult.Best best = r.byLayer().get(i);
      SelectionResult.TestScore t = sel.test().get(best.trial());
      // one MOP run trains every layer's head: each layer is charged its share of its wall time
      double inferenceSeconds = inference.size() == layers.size() ? inference.get(i).seconds()
          : i == 0 && !inference.isEmpty() ? inference.get(0).seconds() : 0;
      out.add(new TransferResult.LayerResult(layers.get(i), (int) r.factory().inputShape(
          new org.argus.runtime.train.Hyperparameters(Map.of(FeatureViews.LAYER, layers.get(i))))[0],
          fs.transfer().activationShape(layers.get(i)), t == null ? Double.NaN : t.accuracy(), best.testMacroF1(),
          Double.NaN, trainRows, t == null ? 0 : t.rows(), inferenceSeconds, 0, r.selectionSeconds() / layers.size(),
          null, null));
    }
    List<String> notes = new ArrayList<>(List.of(String.format(Locale.ROOT,
        "learner: %s per layer, trained together by MOP (%s, %d unit queries, %.1f s); features z-scored on the "
            + "training split; checkpoints in %s", head, sel.execution().cli(), sel.units().size(), r.selectionSeconds(),
        sel.runDir())));
    ResolvedModel model = fs.transfer().model();
    return new TransferResult(out, fs.transfer().decision(), r.counts(), r.materialization(), notes, seconds,
        new TransferResult.ModelInfo(model.name(), model.sha256(), model.preprocessing().compact(),
            fs.transfer().spec().pooling().toString()));
  }
}
