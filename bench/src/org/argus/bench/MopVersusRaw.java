package org.argus.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.ProgressSink;
import org.argus.execution.fusion.FeatureRows;
import org.argus.execution.fusion.FeatureViews;
import org.argus.execution.fusion.HeadTransfer;
import org.argus.execution.fusion.Standardizer;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.MaterializedFeatures;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.select.space.SearchSpace;

/**
 * Part of {@code bench/run fusion demo}: a transfer's heads trained by MOP (HeadTransfer's run) vs
 * the same heads in a raw DJL loop on the same z-scored examples — the "heads in MOP ÷ a raw
 * DJL loop ≥ 0.9".
 */
final class MopVersusRaw {
  private MopVersusRaw() {}

  /**
   * A progress sink that collects the heap after each materialization stage, so MOP's heads start
   * from a collected heap as the raw loop does ({@link #rotate} collects before each side): without
   * it, the CNN's garbage and the freshly cached features are collected during the rounds (a young
   * collection copying them took 0.2–0.3 s inside MOP's units' span, as long as a third of a side).
   */
  static final ProgressSink COLLECT_AFTER_EACH_STAGE = new ProgressSink() {
    @Override
    public void begin(String stage, long total, String unit, java.util.function.LongSupplier done) {}

    @Override
    public void end(String stage, String summary) {
      System.gc();
    }
  };

  /** One side of a comparison. */
  interface Side<T> {
    T run() throws Exception;
  }

  /**
   * Rotated repetitions of the raw side and the MOP side.
   *
   * @param rawS per repetition, the raw side's seconds (timed here, from the driver)
   * @param mop per repetition, what the MOP side returned
   */
  record Rotation(double[] rawS, List<double[]> mop, List<long[]> rawWindows) {
    /** @return per repetition, the MOP side's {@code i}-th value */
    double[] mop(int i) {
      return mop.stream().mapToDouble(r -> r[i]).toArray();
    }
  }

  /**
   * Runs {@code reps} repetitions of both sides, raw first in even repetitions and MOP first in odd
   * ones, and prints each repetition's times.
   */
  static Rotation rotate(int reps, Side<Long> raw, Side<double[]> mop) throws Exception {
    GcPauses.install();
    double[] rawS = new double[reps];
    List<double[]> m = new ArrayList<>();
    List<long[]> windows = new ArrayList<>();
    for (int rep = 0; rep < reps; rep++) {
      double[] got = null;
      for (int side = 0; side < 2; side++) {
        System.gc(); // neither side pays for collecting the other's garbage
        if ((side + rep) % 2 == 0) {
          long w0 = System.currentTimeMillis();
          long t0 = System.nanoTime();
          raw.run();
          rawS[rep] = (System.nanoTime() - t0) / 1e9;
          windows.add(new long[] {w0, System.currentTimeMillis()});
        } else {
          got = mop.run();
        }
      }
      m.add(got);
      System.out.printf(Locale.ROOT, "rep %d: raw %.2f s, MOP rounds %.2f s%n", rep, rawS[rep], got[0]);
    }
    return new Rotation(rawS, m, windows);
  }

  /**
   * The raw loop's inputs: the spec's layers materialized once, as MOP's runs see them.
   *
   * @param views the fused rows' views (one per layer)
   * @param rows the training rows, z-scored on themselves (as MOP's shards)
   * @param test the test rows, z-scored alike: what MOP's heads validate on
   * @param epochs the transfer's head epochs for these rows
   * @param workers worker threads = Spark's default parallelism (MOP's shards)
   */
  record RawInputs(FeatureViews views, List<Example> rows, List<Example> test, int epochs, int workers) {
    static RawInputs of(SparkSession s, TransferSpec spec) throws Exception {
      FeatureTransfer ft = FeatureTransfer.prepare(s, spec, ProgressSink.SILENT);
      MaterializedFeatures m = ft.materialize();
      FeatureViews views = FeatureRows.views(m, org.argus.execution.fusion.FusedSpace.of(
          SearchSpace.parse("lr=choice(0.001)"), ft.layers(), spec.pooling()));
      org.apache.spark.api.java.JavaRDD<Example> raw = FeatureRows.examples(m, "train");
      Standardizer z = Standardizer.fit(raw);
      List<Example> rows = z.apply(raw).collect();
      RawInputs x = new RawInputs(views, rows, z.apply(FeatureRows.examples(m, "test")).collect(),
          HeadTransfer.HeadSpec.DEFAULT.epochsFor(rows.size()), s.sparkContext().defaultParallelism());
      m.unpersist();
      ft.release();
      return x;
    }
  }

  /**
   * Heads in MOP (HeadTransfer's MOP run) vs the same heads in a raw DJL loop on the same examples:
   * a warm-up of each, then {@code reps} repetitions in rotated order (raw, MOP; then MOP, raw; …);
   * prints the range of each side and of the per-repetition ratios.
   */
  static void compare(SparkSession s, TransferSpec spec, StringBuilder md, int reps) throws Exception {
    RawInputs x = RawInputs.of(s, spec);
    FeatureViews views = x.views();
    List<Example> rows = x.rows();
    List<Example> test = x.test();
    int epochs = x.epochs();
    int workers = x.workers();
    rawLoop(views, rows, test, epochs, workers, new java.util.concurrent.atomic.LongAdder());
    mopRun(s, spec);
    long[] trained = new long[1];
    List<Double> rawTrainS = new ArrayList<>();
    Rotation rot = rotate(reps, () -> {
      java.util.concurrent.atomic.LongAdder ns = new java.util.concurrent.atomic.LongAdder();
      trained[0] = rawLoop(views, rows, test, epochs, workers, ns);
      rawTrainS.add(ns.sum() / 1e9);
      return trained[0];
    }, () -> mopRun(s, spec));
    double[] rawS = rot.rawS();
    double[] roundS = rot.mop(0);
    double[] learnerS = rot.mop(1);
    double[] busyPct = rot.mop(2);
    double[] chainS = rot.mop(3);
    double[] gapS = rot.mop(4);
    double[] spanStart = rot.mop(5); // the units' span, epoch ms
    double[] spanEnd = rot.mop(6);
    Thread.sleep(200); // the last collections' notifications
    double[] rawGc = new double[reps];
    double[] mopGc = new double[reps];
    for (int i = 0; i < reps; i++) {
      rawGc[i] = GcPauses.seconds(rot.rawWindows().get(i)[0], rot.rawWindows().get(i)[1]);
      mopGc[i] = GcPauses.seconds((long) spanStart[i], (long) spanEnd[i]);
      System.out.printf(Locale.ROOT, "rep %d: GC pauses inside raw %.2f s, inside MOP's units' span %.2f s%n", i,
          rawGc[i], mopGc[i]);
    }
    long examples = trained[0];
    double[] ratio = new double[reps];
    double[] whole = new double[reps];
    double[] perUnit = new double[reps];
    double[] unitS = rot.mop(7);
    double[] overheadS = new double[reps];
    for (int i = 0; i < reps; i++) {
      ratio[i] = rawS[i] / roundS[i];
      whole[i] = rawS[i] / learnerS[i];
      // each worker's share of the round jobs' own time (driver-timed rounds minus the units' span)
      overheadS[i] = Math.max(0, roundS[i] - (spanEnd[i] - spanStart[i]) / 1e3) * workers;
      perUnit[i] = rawTrainS.get(i) / (unitS[i] + overheadS[i]);
    }
    double[] rawTrain = rawTrainS.stream().mapToDouble(Double::doubleValue).toArray();
    for (int i = 0; i < reps; i++) {
      System.out.printf(Locale.ROOT, "rep %d: by unit time: raw heads' training %.2f s, MOP units %.2f s + job"
          + " overhead %.2f s: %.2f%n", i, rawTrain[i], unitS[i], overheadS[i], perUnit[i]);
    }
    List<String> widths = new ArrayList<>();
    for (String l : views.layers()) {
      widths.add(l + " " + views.view(new Hyperparameters(Map.of("layer", l))).dim());
    }
    md.append(String.format(Locale.ROOT, "### Heads in MOP vs a raw DJL loop%n%n%d heads (input widths: %s) × %d epochs over"
        + " %d training rows"
        + " (same examples, %d worker threads, 1 PyTorch thread each), a warm-up of each side, then %d repetitions in"
        + " rotated order: raw loop (training, then each head scored once on the %d test rows, as MOP validates)"
        + " %.2f–%.2f s (%.0f–%.0f examples/s); MOP's training rounds (unit queries with"
        + " their Spark jobs, checkpoints and validation, timed from the driver) %.2f–%.2f s: **MOP ÷ raw"
        + " throughput per repetition %s** (by makespan). By unit time — the select benchmark's measure and the"
        + " issue's \"unit wall time including Spark job overhead\": the raw loop's heads' training time"
        + " (trainer creation and epochs) %.2f–%.2f s ÷ MOP's units' task time (trainer creation or"
        + " continuation, checkpoint restore and write, batches, training) %.2f–%.2f s plus each worker's share"
        + " of the round jobs' own time (the driver-timed rounds minus the units' span) %.2f–%.2f s; waits for"
        + " a config's previous unit on the other shard excluded — **MOP ÷ raw per repetition %s**. MOP's"
        + " whole learner phase (z-scoring, sharding, rounds, test scoring)"
        + " %.2f–%.2f s: ÷ raw %s. The raw loop trains the widest head first (LPT). Inside MOP's rounds (units"
        + " table): the less busy shard's units fill %.0f–%.0f %% of the span from the first unit to the last;"
        + " the longest chain (the config with the most unit time, whose units run one after another across the"
        + " shards) is %.2f–%.2f s of units and %.2f–%.2f s of waits between them. The heap is collected before"
        + " each side and after each of MOP's materialization stages, so neither side pays for collecting the"
        + " other's garbage or the CNN's; GC pauses inside the timed windows (collector notifications): raw"
        + " %.2f–%.2f s, MOP's units' span %.2f–%.2f s.%n%n", views.layers().size(),
        String.join(", ", widths), epochs, rows.size(), workers, reps, test.size(), FusionBench.min(rawS),
        FusionBench.max(rawS),
        examples / FusionBench.max(rawS), examples / FusionBench.min(rawS), FusionBench.min(roundS),
        FusionBench.max(roundS), FusionBench.fmt(ratio), FusionBench.min(rawTrain), FusionBench.max(rawTrain),
        FusionBench.min(unitS), FusionBench.max(unitS), FusionBench.min(overheadS), FusionBench.max(overheadS),
        FusionBench.fmt(perUnit), FusionBench.min(learnerS), FusionBench.max(learnerS),
        FusionBench.fmt(whole), FusionBench.min(busyPct), FusionBench.max(busyPct), FusionBench.min(chainS),
        FusionBench.max(chainS), FusionBench.min(gapS), FusionBench.max(gapS), FusionBench.min(rawGc),
        FusionBench.max(rawGc), FusionBench.min(mopGc), FusionBench.max(mopGc)));
  }

  /**
   * Many heads in MOP (a fused selection: every layer × {@code lrs × wds × widths} head configs, fixed
   * epochs, validated on the test split as the transfer's heads are) vs the same configs in the raw
   * loop on the same examples: a warm-up of each, then {@code reps} repetitions in rotated order. With
   * many configs a shard always has a ready unit, unlike the transfer's four heads, whose widest
   * head's chain of units bounds MOP's rounds ({@link #compare}).
   */
  static void compareMany(SparkSession s, TransferSpec spec, StringBuilder md, int reps) throws Exception {
    RawInputs x = RawInputs.of(s, spec);
    FeatureViews views = x.views();
    Map<String, Object> base = HeadTransfer.HeadSpec.DEFAULT.configFor(x.rows().size());
    List<Map<String, Object>> configs = new ArrayList<>();
    for (String l : views.layers()) {
      for (double lr : new double[] {1e-3, 3e-3}) {
        for (double wd : new double[] {1e-4, 1e-3}) {
          for (int width : new int[] {0, 64}) {
            Map<String, Object> c = new LinkedHashMap<>(base);
            c.put("layer", l);
            c.put("lr", lr);
            c.put("wd", wd);
            c.put("width", width);
            configs.add(c);
          }
        }
      }
    }
    Map<String, org.argus.select.space.Domain> d = new LinkedHashMap<>();
    for (String k : configs.get(0).keySet()) {
      d.put(k, new org.argus.select.space.Domain.Choice(configs.stream().map(c -> c.get(k)).distinct().toList()));
    }
    SearchSpace space = new SearchSpace(d);
    List<org.argus.select.space.Config> cs = configs.stream().map(org.argus.select.space.Config::new).toList();
    rawLoop(views, x.rows(), x.test(), x.epochs(), x.workers(), configs, new java.util.concurrent.atomic.LongAdder());
    mopMany(s, spec, space, cs, x.epochs());
    long[] trained = new long[1];
    Rotation rot = rotate(reps,
        () -> trained[0] = rawLoop(views, x.rows(), x.test(), x.epochs(), x.workers(), configs,
            new java.util.concurrent.atomic.LongAdder()),
        () -> mopMany(s, spec, space, cs, x.epochs()));
    double[] rawS = rot.rawS();
    double[] roundS = rot.mop(0);
    double[] busyPct = rot.mop(1);
    long examples = trained[0];
    double[] ratio = new double[reps];
    for (int i = 0; i < reps; i++) {
      ratio[i] = rawS[i] / roundS[i];
    }
    md.append(String.format(Locale.ROOT, "### Many heads in MOP vs a raw DJL loop%n%n%d configs (%d layers × lr"
        + " {0.001, 0.003} × wd {0.0001, 0.001} × width {0, 64}; the transfer's schedule otherwise) × %d epochs"
        + " over %d training rows, MOP as a fused selection validated on the %d test rows (the transfer's heads'"
        + " setting), the raw loop the same configs on %d worker threads (1 PyTorch thread each, the costliest"
        + " config first), each scored once on the test rows: a warm-up of each side, then %d repetitions in"
        + " rotated order: raw loop %.2f–%.2f s (%.0f–%.0f examples/s); MOP's training rounds (timed from the"
        + " driver, with their Spark jobs, checkpoints and validation) %.2f–%.2f s: **MOP ÷ raw throughput per"
        + " repetition %s**. The less busy shard's units fill %.0f–%.0f %% of the rounds' span.%n%n",
        configs.size(), views.layers().size(), x.epochs(), x.rows().size(), x.test().size(), x.workers(), reps,
        FusionBench.min(rawS), FusionBench.max(rawS), examples / FusionBench.max(rawS),
        examples / FusionBench.min(rawS), FusionBench.min(roundS), FusionBench.max(roundS), FusionBench.fmt(ratio),
        FusionBench.min(busyPct), FusionBench.max(busyPct)));
  }

  /**
   * One fused selection over {@code configs} (materialization included in its wall time, not in its
   * rounds); returns {the rounds' makespans from its epochs table, s; the less busy shard's share of
   * the units' span, %}.
   */
  static double[] mopMany(SparkSession s, TransferSpec spec, SearchSpace space, List<org.argus.select.space.Config> cs,
      int epochs) throws Exception {
    String dir = "/tmp/bench-fusion-mop-many";
    FusionBench.deleteTree(java.nio.file.Path.of(dir));
    FusionBench.released(org.argus.execution.fusion.FusedSelection.builder().setTransfer(spec).setSpace(space)
        .setProcedure(sp -> org.argus.select.procedure.FixedEpochs.of(cs, epochs,
            org.argus.select.procedure.Goal.maximize("accuracy")))
        .setRunDir(dir).optSeed(42).optValidateOnTest(true).optProgress(COLLECT_AFTER_EACH_STAGE).prepare(s));
    org.argus.store.RunDirectory run = new org.argus.store.RunDirectory(dir);
    double rounds = run.readEpochs().stream()
        .collect(java.util.stream.Collectors.toMap(org.argus.plan.mop.EpochRecord::round,
            org.argus.plan.mop.EpochRecord::roundMs, (a, b) -> a))
        .values().stream().mapToLong(Long::longValue).sum() / 1e3;
    return new double[] {rounds, chain(run.readUnits())[0]};
  }

  /**
   * The raw loop: each layer's head trained for {@code epochs} on {@code workers} threads, the widest
   * layer's first (longest processing time first, Graham 1969: the best a loop of whole heads does
   * for balance; in the views' order a 2-thread pool left one thread with the two widest heads), then
   * scored once on {@code validation} in batches of 256 — the work MOP's rounds do too (each
   * config's last checkpoint is validated on the test split inside the round job), so both sides'
   * times hold the same work; returns examples trained.
   */
  static long rawLoop(FeatureViews views, List<Example> rows, List<Example> validation, int epochs, int workers,
      java.util.concurrent.atomic.LongAdder trainNs) throws Exception {
    Map<String, Object> cfg = HeadTransfer.HeadSpec.DEFAULT.configFor(rows.size()); // the transfer's schedule
    List<Map<String, Object>> configs = new ArrayList<>();
    for (String l : views.layers()) {
      Map<String, Object> c = new LinkedHashMap<>(cfg);
      c.put("layer", l);
      configs.add(c);
    }
    return rawLoop(views, rows, validation, epochs, workers, configs, trainNs);
  }

  /**
   * The raw loop over any configs (each naming its layer): the most expensive first (input width ×
   * outputs, hidden width included: longest processing time first, Graham 1969), each trained for
   * {@code epochs} then scored once on {@code validation}, as MOP validates; returns examples trained
   * and adds to {@code trainNs} each head's training time (its trainer's creation and epochs, not its
   * slicing or scoring: what a unit query's time holds), ns.
   */
  static long rawLoop(FeatureViews views, List<Example> rows, List<Example> validation, int epochs, int workers,
      List<Map<String, Object>> configs, java.util.concurrent.atomic.LongAdder trainNs) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    List<Future<Long>> done = new ArrayList<>();
    List<Map<String, Object>> costliestFirst = new ArrayList<>(configs);
    costliestFirst.sort(java.util.Comparator.comparingLong((Map<String, Object> c) -> cost(views, c)).reversed());
    for (Map<String, Object> c : costliestFirst) {
      done.add(pool.submit(() -> {
        Hyperparameters h = new Hyperparameters(c);
        FeatureViews.View v = views.view(h);
        List<Example> mine = rows.stream().map(e -> new Example(e.label(), views.slice(e.x(), v))).toList();
        List<Example> held = validation.stream().map(e -> new Example(e.label(), views.slice(e.x(), v))).toList();
        long n = 0;
        long t0 = System.nanoTime();
        try (Trainer t = DjlTrainerFactory.builtIn("head", new long[] {v.dim()}, 10).withThreads(1).create(h, 7)) {
          for (int e = 1; e <= epochs; e++) {
            n += t.train(Examples.reusingBatchIterator(mine, t.batchSize(), 7, e, 0,
                org.argus.runtime.train.Columns.all())).examples(); // one batch at a time, as MOP
          }
          trainNs.add(System.nanoTime() - t0);
          List<org.argus.runtime.train.Batch> scored = new ArrayList<>();
          for (int k = 0; k < held.size(); k += 256) {
            scored.add(Examples.batch(held.subList(k, Math.min(held.size(), k + 256))));
          }
          if (t.evaluate(scored.iterator()).examples() != held.size()) {
            throw new IllegalStateException("validation scored a different number of rows than " + held.size());
          }
        }
        return n;
      }));
    }
    long examples = 0;
    for (Future<Long> f : done) {
      examples += f.get();
    }
    pool.shutdown();
    return examples;
  }

  /** A config's multiply-adds per example: its input width × 10 classes, or through its hidden layer. */
  static long cost(FeatureViews views, Map<String, Object> c) {
    long dim = views.view(new Hyperparameters(c)).dim();
    long width = c.get("width") instanceof Number n ? n.longValue() : 0;
    return width == 0 ? dim * 10 : dim * width + width * 10;
  }

  /**
   * One MOP head run; returns {the rounds' makespans from its epochs table (driver-timed: unit queries
   * with their Spark jobs, checkpoints and validation), its whole learner phase}, seconds.
   */
  static double[] mopRun(SparkSession s, TransferSpec spec) throws Exception {
    FusionBench.Run mop = FusionBench.head(s, spec, "/tmp/bench-fusion-mop", COLLECT_AFTER_EACH_STAGE);
    double learner = mop.result().layers().stream().mapToDouble(TransferResult.LayerResult::trainingSeconds).sum();
    double rounds = new org.argus.store.RunDirectory("/tmp/bench-fusion-mop").readEpochs().stream()
        .collect(java.util.stream.Collectors.toMap(org.argus.plan.mop.EpochRecord::round,
            org.argus.plan.mop.EpochRecord::roundMs, (a, b) -> a))
        .values().stream().mapToLong(Long::longValue).sum() / 1e3;
    double[] c = chain(new org.argus.store.RunDirectory("/tmp/bench-fusion-mop").readUnits());
    double unitS = new org.argus.store.RunDirectory("/tmp/bench-fusion-mop").readUnits().stream()
        .mapToLong(org.argus.plan.mop.UnitRecord::taskMs).sum() / 1e3;
    return new double[] {rounds, learner, c[0], c[1], c[2], c[3], c[4], unitS};
  }

  /**
   * Where MOP's rounds wait, from the units table: each config's units form one chain (sequential
   * SGD across the shards), so the config with the most work (the widest head) bounds the rounds
   * from below, as it bounds the raw loop's thread that trains it.
   *
   * @return {the shards' busy time (their units' task time) as a share of the span from the first
   *     unit's start to the last unit's end, lowest shard, %; the longest chain's units, s; the
   *     time between its units, s; the first unit's start and the last unit's end, epoch ms}
   */
  static double[] chain(List<org.argus.plan.mop.UnitRecord> units) {
    long start = units.stream().mapToLong(org.argus.plan.mop.UnitRecord::startMs).min().orElse(0);
    long end = units.stream().mapToLong(org.argus.plan.mop.UnitRecord::endMs).max().orElse(0);
    Map<Integer, Long> busy = new java.util.TreeMap<>();
    Map<Integer, List<org.argus.plan.mop.UnitRecord>> byTrial = new java.util.TreeMap<>();
    for (org.argus.plan.mop.UnitRecord u : units) {
      busy.merge(u.shard(), u.taskMs(), Long::sum);
      byTrial.computeIfAbsent(u.trial(), t -> new ArrayList<>()).add(u);
    }
    List<org.argus.plan.mop.UnitRecord> longest = byTrial.values().stream().max(java.util.Comparator.comparingLong(
        l -> l.stream().mapToLong(org.argus.plan.mop.UnitRecord::taskMs).sum())).orElse(List.of());
    List<org.argus.plan.mop.UnitRecord> sorted = new ArrayList<>(longest);
    sorted.sort(java.util.Comparator.comparingLong(org.argus.plan.mop.UnitRecord::startMs));
    long work = 0;
    long gaps = 0;
    for (int i = 0; i < sorted.size(); i++) {
      work += sorted.get(i).taskMs();
      gaps += i == 0 ? 0 : sorted.get(i).startMs() - sorted.get(i - 1).endMs();
    }
    double span = Math.max(1, end - start);
    double lowest = busy.values().stream().mapToLong(Long::longValue).min().orElse(0) / span * 100;
    return new double[] {lowest, work / 1e3, gaps / 1e3, start, end};
  }

}
