package org.argus.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import org.argus.execution.fusion.FeatureRows;
import org.argus.execution.fusion.FeatureViews;
import org.argus.execution.fusion.FusedResult;
import org.argus.execution.fusion.FusedSelection;
import org.argus.execution.fusion.HeadTransfer;
import org.argus.execution.mop.Example;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.MaterializedFeatures;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;

/**
 * {@code bench/run fusion MODE [--reps R] [--train N] [--test N]} — fused feature transfer and
 * selection against their baselines, each side warmed up, the order rotated each repetition, wall
 * seconds timed from the driver, min–max over the repetitions:
 *
 * <ul>
 *   <li>{@code vista}: InceptionV3 299², {mixed5, mixed7, mixed9, mixed10}, Fashion-MNIST 1000/250:
 *       {@code transfer --learner head} (the optimizer's plan) vs {@code transfer --plan lazy
 *       --learner spark-lr}; per-layer accuracy of both; inference seconds of lazy ÷ the head run's
 *       plan.
 *   <li>{@code demo}: MobileNetV2 96², its top 4 layers, 4000/1000: {@code --learner head} vs
 *       {@code spark-lr} on the optimizer's plan; the learners' share of wall time; heads in MOP ÷ a
 *       raw DJL loop on the same features ({@link MopVersusRaw}, rotated repetitions); bytes the shards
 *       hold (Spark's storage status) vs Σ float32 feature bytes.
 *   <li>{@code mop}: only the demo's heads in MOP ÷ the raw DJL loop (more repetitions for the same
 *       time).
 *   <li>{@code mop-many}: 32 heads (the 4 layers × lr × wd × width) in MOP (a fused selection) ÷ the
 *       same configs in the raw DJL loop.
 *   <li>{@code fused}: MobileNetV2 96², 4 layers × 8 head configs ({@code --heads 8} random draws of
 *       lr × width, each crossed with every layer: 32 configs): fused selection vs the naive way (each
 *       config: its layer's features from the pixels, then its head) and vs the two islands (transfer
 *       writes each layer's features to Parquet, select runs on each file).
 *   <li>{@code tpe}: TPE vs random search at equal budget over layer × pooling × head on the fused
 *       workload, several seeds ({@code --seeds 3 --configs 16}).
 * </ul>
 */
public final class FusionBench {
  private FusionBench() {}

  static final List<String> INCEPTION = List.of("mixed5", "mixed7", "mixed9", "mixed10");
  static final List<String> MOBILENET = List.of("block_6_expand_relu", "block_13_expand_relu", "block_16_project_BN",
      "out_relu");

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 && !args[0].startsWith("--") ? args[0] : "demo";
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        a.put(args[i].substring(2), args[++i]);
      }
    }
    int reps = Integer.parseInt(a.getOrDefault("reps", "2"));
    SparkSession spark = SparkSessions.create(null, "bench-fusion", false);
    StringBuilder md = new StringBuilder();
    switch (mode) {
      case "vista" -> vista(spark, reps, Integer.parseInt(a.getOrDefault("train", "1000")),
          Integer.parseInt(a.getOrDefault("test", "250")), md);
      case "demo" -> demo(spark, reps, Integer.parseInt(a.getOrDefault("train", "4000")),
          Integer.parseInt(a.getOrDefault("test", "1000")), md);
      case "mop" -> MopVersusRaw.compare(spark, spec("mobilenet_v2", 96, MOBILENET,
          Integer.parseInt(a.getOrDefault("train", "4000")), Integer.parseInt(a.getOrDefault("test", "1000")), null),
          md, reps);
      case "mop-many" -> MopVersusRaw.compareMany(spark, spec("mobilenet_v2", 96, MOBILENET,
          Integer.parseInt(a.getOrDefault("train", "4000")), Integer.parseInt(a.getOrDefault("test", "1000")), null),
          md, reps);
      case "fused" -> fused(spark, reps, Integer.parseInt(a.getOrDefault("train", "2000")),
          Integer.parseInt(a.getOrDefault("test", "500")), Integer.parseInt(a.getOrDefault("heads", "8")), md);
      case "tpe" -> tpeVersusRandom(spark, Integer.parseInt(a.getOrDefault("seeds", "3")),
          Integer.parseInt(a.getOrDefault("configs", "16")), Integer.parseInt(a.getOrDefault("train", "2000")),
          Integer.parseInt(a.getOrDefault("test", "500")), md);
      default -> throw new IllegalArgumentException("mode " + mode + "; valid: vista, demo, mop, mop-many, fused, tpe");
    }
    System.out.print(md);
    BenchReport.append("fusion", "bench/run fusion " + String.join(" ", args), md.toString());
    spark.stop();
  }

  static TransferSpec spec(String model, int size, List<String> layers, int train, int test, LogicalPlan plan) {
    return TransferSpec.builder().setFashionMnist(train, test).setModel(model).optInputSize(size).setLayers(layers)
        .optLearner(new LogisticRegression().setMaxIter(100).setRegParam(1e-3).setFamily("multinomial"))
        .optOverrides(plan == null ? Overrides.NONE : Overrides.NONE.withPlan(plan)).optSeed(42).build();
  }

  /** One timed side: wall seconds and its result. */
  record Run(double seconds, TransferResult result) {}

  /** Runs a prepared fused selection and releases the inputs it cached (an unpersist that does not block). */
  static FusedResult released(FusedSelection fs) throws Exception {
    try {
      return fs.run();
    } finally {
      fs.release();
    }
  }

  /** A spark-lr transfer, timed from prepare to result; its cached inputs are released after the clock stops. */
  static Run spark(SparkSession s, TransferSpec spec) throws Exception {
    long t0 = System.nanoTime();
    FeatureTransfer ft = FeatureTransfer.prepare(s, spec, ProgressSink.SILENT);
    try {
      TransferResult r = ft.run();
      return new Run((System.nanoTime() - t0) / 1e9, r);
    } finally {
      ft.release(); // else every repetition leaves its checked input rows cached for the next
    }
  }

  /** A head transfer, timed from prepare to result; its cached inputs are released after the clock stops. */
  static Run head(SparkSession s, TransferSpec spec, String dir) throws Exception {
    return head(s, spec, dir, ProgressSink.SILENT);
  }

  /** As {@link #head(SparkSession, TransferSpec, String)}, reporting the materialization to {@code progress}. */
  static Run head(SparkSession s, TransferSpec spec, String dir, ProgressSink progress) throws Exception {
    deleteTree(java.nio.file.Path.of(dir));
    long t0 = System.nanoTime();
    HeadTransfer ht = HeadTransfer.prepare(s, spec, HeadTransfer.HeadSpec.DEFAULT, dir, progress, u -> { });
    try {
      TransferResult r = ht.run();
      return new Run((System.nanoTime() - t0) / 1e9, r);
    } finally {
      ht.release();
    }
  }

  static double inferenceSeconds(TransferResult r) {
    return r.measured().phases().stream().filter(TransferResult.PhaseMetrics::inference)
        .mapToDouble(TransferResult.PhaseMetrics::seconds).sum();
  }

  /** Head vs Spark LR transfer on the same inputs, {@code reps} rotated repetitions after a warm-up. */
  static void versus(SparkSession s, TransferSpec headSpec, TransferSpec lrSpec, int reps, StringBuilder md, String what)
      throws Exception {
    head(s, spec(headSpec.model(), headSpec.inputSize(), headSpec.layers(), 64, 16, null), "/tmp/bench-fusion-warm");
    spark(s, spec(lrSpec.model(), lrSpec.inputSize(), lrSpec.layers(), 64, 16, null));
    List<Run> heads = new ArrayList<>();
    List<Run> lrs = new ArrayList<>();
    for (int rep = 0; rep < reps; rep++) {
      if (rep % 2 == 0) {
        heads.add(head(s, headSpec, "/tmp/bench-fusion-head"));
        lrs.add(spark(s, lrSpec));
      } else {
        lrs.add(spark(s, lrSpec));
        heads.add(head(s, headSpec, "/tmp/bench-fusion-head"));
      }
      System.out.printf(Locale.ROOT, "rep %d: head %.1f s, spark-lr %.1f s%n", rep, heads.get(rep).seconds(),
          lrs.get(rep).seconds());
    }
    md.append("### ").append(what).append("\n\n");
    md.append("| side | plan | wall s (min–max; from the driver: prepare + run) | inference s | learner s (share of the "
        + "run's own total, `TransferResult.totalSeconds`, and of the driver's wall) |\n|---|---|---|---|---|\n");
    row(md, "transfer --learner head", heads);
    row(md, "transfer --learner spark-lr", lrs);
    double[] ratio = new double[reps];
    for (int i = 0; i < reps; i++) {
      ratio[i] = lrs.get(i).seconds() / heads.get(i).seconds();
    }
    md.append(String.format(Locale.ROOT, "%nspark-lr ÷ head wall time, per repetition: %s%n", fmt(ratio)));
    double[] inf = new double[reps];
    for (int i = 0; i < reps; i++) {
      inf[i] = inferenceSeconds(lrs.get(i).result()) / inferenceSeconds(heads.get(i).result());
    }
    md.append(String.format(Locale.ROOT, "inference seconds alone, spark-lr side's plan ÷ head side's plan: %s%n%n",
        fmt(inf)));
    md.append("| layer | head acc | head macro-F1 | spark-lr acc | spark-lr macro-F1 | Δ acc (points) |\n|---|---|---|---|---|---|\n");
    TransferResult h = heads.get(0).result();
    TransferResult l = lrs.get(0).result();
    for (int i = 0; i < h.layers().size(); i++) {
      var x = h.layers().get(i);
      var y = l.layers().get(i);
      md.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.4f | %+.1f |%n", x.layer(), x.accuracy(),
          x.macroF1(), y.accuracy(), y.macroF1(), 100 * (x.accuracy() - y.accuracy())));
    }
    md.append('\n');
  }

  static void row(StringBuilder md, String side, List<Run> runs) {
    double min = runs.stream().mapToDouble(Run::seconds).min().orElse(0);
    double max = runs.stream().mapToDouble(Run::seconds).max().orElse(0);
    TransferResult r = runs.get(0).result();
    double[] inference = runs.stream().mapToDouble(x -> inferenceSeconds(x.result())).toArray();
    double[] learner = runs.stream().mapToDouble(x -> x.result().layers().stream()
        .mapToDouble(TransferResult.LayerResult::trainingSeconds).sum()).toArray();
    double[] share = new double[runs.size()];
    double[] ofWall = new double[runs.size()];
    for (int i = 0; i < share.length; i++) {
      share[i] = 100 * learner[i] / runs.get(i).result().totalSeconds();
      ofWall[i] = 100 * learner[i] / runs.get(i).seconds();
    }
    md.append(String.format(Locale.ROOT, "| %s | %s | %.1f–%.1f | %.1f–%.1f | %.1f–%.1f (%.0f–%.0f %% of the run's total, "
        + "%.0f–%.0f %% of wall) |%n", side, r.decision().chosen().logical(), min, max, min(inference), max(inference),
        min(learner), max(learner), min(share), max(share), min(ofWall), max(ofWall)));
  }

  static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(0);
  }

  static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElse(0);
  }

  static void vista(SparkSession s, int reps, int train, int test, StringBuilder md) throws Exception {
    versus(s, spec("inception_v3", 299, INCEPTION, train, test, null),
        spec("inception_v3", 299, INCEPTION, train, test, LogicalPlan.LAZY), reps, md,
        "Vista's target: InceptionV3 299², " + INCEPTION + ", Fashion-MNIST " + train + "/" + test
            + ": head (optimizer's plan) vs lazy + spark-lr");
  }

  static void demo(SparkSession s, int reps, int train, int test, StringBuilder md) throws Exception {
    versus(s, spec("mobilenet_v2", 96, MOBILENET, train, test, null),
        spec("mobilenet_v2", 96, MOBILENET, train, test, null), reps, md,
        "Demo workload: MobileNetV2 96², " + MOBILENET + ", Fashion-MNIST " + train + "/" + test
            + ": head vs spark-lr, both on the optimizer's plan");
    MopVersusRaw.compare(s, spec("mobilenet_v2", 96, MOBILENET, train, test, null), md, reps);
  }

  static void fused(SparkSession s, int reps, int train, int test, int heads, StringBuilder md) throws Exception {
    String headSpace = "lr=loguniform(1e-4,1e-2);width=choice(0,256)";
    String space = "layer=choice(" + String.join(",", MOBILENET) + ");" + headSpace;
    TransferSpec base = spec("mobilenet_v2", 96, MOBILENET, train, test, null);
    List<Config> headConfigs = FixedEpochs.random(SearchSpace.parse(headSpace), heads, 2, 42,
        Goal.maximize("accuracy")).next(List.of()).train().stream().map(t -> t.config()).toList();
    List<Config> configs = new ArrayList<>();
    for (String layer : MOBILENET) {
      for (Config h : headConfigs) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("layer", layer);
        v.putAll(h.values());
        configs.add(new Config(v));
      }
    }
    List<double[]> fusedRuns = new ArrayList<>();
    List<double[]> naiveRuns = new ArrayList<>();
    List<double[]> parquetRuns = new ArrayList<>();
    runFused(s, base, space, configs, "/tmp/bench-fused-warm", true); // warm-up
    viaParquet(s, spec("mobilenet_v2", 96, MOBILENET, 64, 16, null), configs);
    for (int rep = 0; rep < reps; rep++) {
      if (rep % 2 == 0) {
        fusedRuns.add(runFused(s, base, space, configs, "/tmp/bench-fused", false));
        naiveRuns.add(naive(s, base, configs));
        parquetRuns.add(viaParquet(s, base, configs));
      } else {
        parquetRuns.add(viaParquet(s, base, configs));
        naiveRuns.add(naive(s, base, configs));
        fusedRuns.add(runFused(s, base, space, configs, "/tmp/bench-fused", false));
      }
      System.out.printf(Locale.ROOT, "rep %d: fused %.1f s (inference %.1f s), naive %.1f s (inference %.1f s), "
          + "transfer→Parquet→select %.1f s (inference %.1f s)%n", rep, fusedRuns.get(rep)[0], fusedRuns.get(rep)[1],
          naiveRuns.get(rep)[0], naiveRuns.get(rep)[1], parquetRuns.get(rep)[0], parquetRuns.get(rep)[1]);
    }
    md.append("### Fused selection vs naive per-config runs\n\nMobileNetV2 96², " + MOBILENET + ", Fashion-MNIST "
        + train + "/" + test + ", " + MOBILENET.size() + " layers × " + heads + " head configs (random draws over `"
        + headSpace + "`, seed 42) = " + configs.size() + " configs, 2 epochs each (the naive side trains the same "
        + configs.size() + " configs, each after featurizing its layer from the pixels).\n\n");
    md.append("| side | wall s (min–max) | inference s (min–max) |\n|---|---|---|\n");
    md.append(String.format(Locale.ROOT, "| fused | %s | %s |%n| naive | %s | %s |%n"
        + "| transfer → Parquet per layer → select per layer | %s (transfer + write %s, select %s) | %s |%n",
        range(fusedRuns, 0), range(fusedRuns, 1), range(naiveRuns, 0), range(naiveRuns, 1), range(parquetRuns, 0),
        range(parquetRuns, 2), range(parquetRuns, 3), range(parquetRuns, 1)));
    double[] pq = new double[reps];
    for (int i = 0; i < reps; i++) {
      pq[i] = parquetRuns.get(i)[0] / fusedRuns.get(i)[0];
    }
    md.append(String.format(Locale.ROOT, "%ntransfer→Parquet→select ÷ fused, wall seconds: %s%n", fmt(pq)));
    double[] inf = new double[reps];
    double[] wall = new double[reps];
    for (int i = 0; i < reps; i++) {
      inf[i] = naiveRuns.get(i)[1] / fusedRuns.get(i)[1];
      wall[i] = naiveRuns.get(i)[0] / fusedRuns.get(i)[0];
    }
    md.append(String.format(Locale.ROOT, "%nnaive ÷ fused, inference seconds: %s; wall seconds: %s%n%n", fmt(inf),
        fmt(wall)));
    double[] f = fusedRuns.get(0);
    md.append(String.format(Locale.ROOT, "Storage (fused): the shards hold %,.0f bytes measured in Spark's block manager "
        + "vs %,.0f bytes of float32 features (all %d views) and labels of the shard rows: ratio %.3f (features "
        + "stored once; task-parallel would hold one copy per worker)%n%n", f[2], f[3], (int) f[4], f[2] / f[3]));
  }

  /**
   * TPE vs random search at equal budget on the fused workload: per seed, both procedures draw
   * {@code n} configs (3 epochs each) from the same joint space over the same split, the order of
   * the two rotated by seed; records the best validation accuracy after every quarter of the
   * configs (trial order = proposal order) and the winner's test accuracy.
   */
  static void tpeVersusRandom(SparkSession s, int seeds, int n, int train, int test, StringBuilder md)
      throws Exception {
    String space = "layer=choice(" + String.join(",", MOBILENET) + ");pooling=choice(max:2,avg);"
        + "lr=loguniform(1e-4,1e-2);wd=loguniform(1e-6,1e-3);width=choice(0,256)";
    TransferSpec base = spec("mobilenet_v2", 96, MOBILENET, train, test, null);
    int slots = s.sparkContext().defaultParallelism();
    md.append("### TPE vs random search at equal budget (fused workload)\n\nMobileNetV2 96², Fashion-MNIST " + train
        + "/" + test + ", `" + space + "`, " + n + " configs × 3 epochs per run, " + slots + " worker slots.\n\n");
    StringBuilder head = new StringBuilder("| seed | procedure |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (int q = 1; q <= 4; q++) {
      head.append(" best val acc after ").append(n * q / 4).append(" configs |");
      rule.append("---|");
    }
    md.append(head).append(" winner | winner test acc | wall s |\n").append(rule).append("---|---|---|\n");
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (int seed = 1; seed <= seeds; seed++) {
      List<String> order = seed % 2 == 1 ? List.of("random:" + n, "tpe:" + n) : List.of("tpe:" + n, "random:" + n);
      for (String proc : order) {
        final long sd = seed;
        String dir = "/tmp/bench-tpe-" + proc.replace(':', '-') + "-" + seed;
        deleteTree(java.nio.file.Path.of(dir));
        long t0 = System.nanoTime();
        FusedResult r = released(FusedSelection.builder().setTransfer(base).setSpace(SearchSpace.parse(space))
            .setProcedure(sp -> org.argus.select.procedure.Procedures.parse(proc, sp, 3, slots, sd,
                Goal.maximize("accuracy")))
            .setRunDir(dir).optSeed(sd).optRefit(false).prepare(s));
        double wall = (System.nanoTime() - t0) / 1e9;
        List<org.argus.execution.mop.SelectionResult.Entry> byTrial = new ArrayList<>(r.selection().leaderboard());
        byTrial.sort(java.util.Comparator.comparingInt(org.argus.execution.mop.SelectionResult.Entry::trial));
        double[] curve = new double[4];
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < byTrial.size(); i++) {
          double m = byTrial.get(i).metric();
          if (!Double.isNaN(m)) {
            best = Math.max(best, m);
          }
          for (int q = 1; q <= 4; q++) {
            if (i + 1 == n * q / 4) {
              curve[q - 1] = best;
            }
          }
        }
        var w = r.selection().best();
        var t = r.selection().test().get(w.trial());
        md.append(String.format(Locale.ROOT, "| %d | %s | %.4f | %.4f | %.4f | %.4f | `%s` | %.4f | %.1f |%n", seed, proc,
            curve[0], curve[1], curve[2], curve[3], w.config(), t == null ? Double.NaN : t.accuracy(), wall));
        double[] acc = sums.computeIfAbsent(proc.split(":")[0], k -> new double[6]);
        for (int q = 0; q < 4; q++) {
          acc[q] += curve[q] / seeds;
        }
        acc[4] += (t == null ? 0 : t.accuracy()) / seeds;
        acc[5] += wall / seeds;
        System.out.printf(Locale.ROOT, "seed %d %s: best val %.4f, test %.4f, %.1f s%n", seed, proc, curve[3],
            t == null ? Double.NaN : t.accuracy(), wall);
      }
    }
    md.append("\n| procedure | mean best val acc after each quarter | mean winner test acc | mean wall s |\n|---|---|---|---|\n");
    sums.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.4f, %.4f, %.4f, %.4f | %.4f | %.1f |%n", k,
        v[0], v[1], v[2], v[3], v[4], v[5])));
    md.append('\n');
  }

  /** @return {wall s, inference s, shard bytes measured, shard payload bytes computed, views} */
  static double[] runFused(SparkSession s, TransferSpec base, String space, List<Config> configs, String dir,
      boolean warm) throws Exception {
    deleteTree(java.nio.file.Path.of(dir));
    TransferSpec t = warm ? spec("mobilenet_v2", 96, MOBILENET, 64, 16, null) : base;
    long t0 = System.nanoTime();
    FusedResult r = released(FusedSelection.builder().setTransfer(t).setSpace(SearchSpace.parse(space))
        .setProcedure(sp -> FixedEpochs.of(configs, 2, Goal.maximize("accuracy"))).setRunDir(dir).optSeed(42)
        .prepare(s));
    return new double[] {(System.nanoTime() - t0) / 1e9, r.inferenceSeconds(), r.selection().cachedBytes(),
        r.selection().payloadBytes(), r.views().views().size()};
  }

  /**
   * The two-island way: transfer materializes every layer once (the optimizer's plan) and writes each
   * layer's features to Parquet ({@code argus transfer}/{@code argus features}), then {@code argus
   * select --data parquet:} runs on each layer's file with that layer's configs (features as
   * written, no z-scoring: {@code select} has none).
   *
   * @return {wall s, inference s, transfer + write s, select s}
   */
  static double[] viaParquet(SparkSession s, TransferSpec base, List<Config> configs) throws Exception {
    long t0 = System.nanoTime();
    FeatureTransfer ft = FeatureTransfer.prepare(s, base, ProgressSink.SILENT);
    MaterializedFeatures m = ft.materialize();
    List<String> layers = new ArrayList<>();
    for (MaterializedFeatures.FeatureColumn c : m.columns()) {
      String dir = "/tmp/bench-parquet/" + c.layer();
      m.rows().filter(org.apache.spark.sql.functions.col(MaterializedFeatures.SPLIT).equalTo("train"))
          .select(org.apache.spark.sql.functions.col(MaterializedFeatures.LABEL).as("label"),
              org.apache.spark.sql.functions.col(c.column()).as("features"))
          .write().mode("overwrite").parquet(dir);
      layers.add(c.layer());
    }
    double inference = m.inferenceSeconds();
    m.unpersist();
    ft.release();
    double transferSeconds = (System.nanoTime() - t0) / 1e9;
    long s0 = System.nanoTime();
    for (String layer : layers) {
      List<Config> mine = new ArrayList<>();
      for (Config c : configs) {
        if (layer.equals(c.values().get("layer"))) {
          Map<String, Object> v = new LinkedHashMap<>(c.values());
          v.remove("layer");
          mine.add(new Config(v));
        }
      }
      if (mine.isEmpty()) {
        continue;
      }
      org.apache.spark.api.java.JavaRDD<Example> data =
          org.argus.execution.mop.Examples.fromFeatures(s.read().parquet("/tmp/bench-parquet/" + layer), "features",
              "label");
      int dim = data.first().x().length;
      String dir = "/tmp/bench-parquet-select/" + layer;
      deleteTree(java.nio.file.Path.of(dir));
      org.argus.execution.mop.ModelSelection.builder().setData(data)
          .setTrainerFactory(DjlTrainerFactory.builtIn("head", new long[] {dim}, 10))
          .setProcedure(FixedEpochs.of(mine, 2, Goal.maximize("accuracy"))).setRunDir(dir).optSeed(42).build().run();
    }
    double selectSeconds = (System.nanoTime() - s0) / 1e9;
    return new double[] {(System.nanoTime() - t0) / 1e9, inference, transferSeconds, selectSeconds};
  }

  /** @return {wall s, inference s}: every config featurizes its layer from the pixels, then trains */
  static double[] naive(SparkSession s, TransferSpec base, List<Config> configs) throws Exception {
    long t0 = System.nanoTime();
    double inference = 0;
    int i = 0;
    for (Config c : configs) {
      String dir = "/tmp/bench-naive-" + i++;
      deleteTree(java.nio.file.Path.of(dir));
      Map<String, org.argus.select.space.Domain> d = new LinkedHashMap<>();
      c.values().forEach((k, v) -> d.put(k, new org.argus.select.space.Domain.Choice(List.of(v))));
      FusedResult r = released(FusedSelection.builder().setTransfer(base).setSpace(new SearchSpace(d))
          .setProcedure(sp -> FixedEpochs.grid(sp, 2, Goal.maximize("accuracy"))).setRunDir(dir).optSeed(42)
          .prepare(s));
      inference += r.inferenceSeconds();
    }
    return new double[] {(System.nanoTime() - t0) / 1e9, inference};
  }

  static String range(List<double[]> runs, int k) {
    double min = runs.stream().mapToDouble(r -> r[k]).min().orElse(0);
    double max = runs.stream().mapToDouble(r -> r[k]).max().orElse(0);
    return String.format(Locale.ROOT, "%.1f–%.1f", min, max);
  }

  static String fmt(double[] v) {
    List<String> s = new ArrayList<>();
    for (double x : v) {
      s.add(String.format(Locale.ROOT, "%.2f", x));
    }
    double min = java.util.Arrays.stream(v).min().orElse(0);
    double max = java.util.Arrays.stream(v).max().orElse(0);
    return s + String.format(Locale.ROOT, " (range %.2f–%.2f)", min, max);
  }

  static void deleteTree(java.nio.file.Path p) throws java.io.IOException {
    if (java.nio.file.Files.exists(p)) {
      try (var w = java.nio.file.Files.walk(p)) {
        for (var x : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
          java.nio.file.Files.delete(x);
        }
      }
    }
  }
}
