package org.argus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;

/**
 * {@code bench/run select [--images N] [--configs C] [--epochs E] [--workers W] [--reps R]
 * [--executions mop,task-parallel,bsp,sequential]}: random search of C CNN configs × E epochs on N
 * Fashion-MNIST training images with W worker slots, every execution R times (default 2) in an order
 * rotated each repetition; per execution the minimum and median training makespan, data bytes stored
 * (measured by Spark's block manager, and computed from the rows), checkpoint bytes moved per epoch,
 * best validation accuracy; plus one config's training throughput inside MOP (examples / unit-query
 * wall time measured on the driver, job overhead and checkpoint I/O included) vs a raw DJL loop (the
 * same trainer, no Spark, no checkpoints) on the same data and threads.
 *
 * <p>Fairness: every execution gets the whole machine — MOP, task-parallel and BSP run W units at a
 * time with cores / W PyTorch threads each, sequential runs one unit at a time with all cores'
 * threads; the raw input is not cached (only the executions' shards are), so nothing is stored
 * twice.
 */
public final class SelectBench {
  private SelectBench() {}

  /** One execution's runs. */
  private record Runs(List<SelectionResult> results, List<Long> totalMs) {
    long makespan(int i) {
      return results.get(i).rounds().stream().mapToLong(SelectionResult.RoundStats::makespanMs).sum();
    }

    /** @return the index of the run whose training makespan is the (lower) median: the run the other columns show */
    int median() {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        idx.add(i);
      }
      idx.sort(Comparator.comparingLong(this::makespan));
      return idx.get((idx.size() - 1) / 2);
    }

    /** @return the median training makespan (mean of the middle two for an even count), ms */
    double medianMakespan() {
      List<Long> ms = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        ms.add(makespan(i));
      }
      ms.sort(null);
      int n = ms.size();
      return n % 2 == 1 ? ms.get(n / 2) : (ms.get(n / 2 - 1) + ms.get(n / 2)) / 2.0;
    }

    long minMakespan() {
      long m = Long.MAX_VALUE;
      for (int i = 0; i < results.size(); i++) {
        m = Math.min(m, makespan(i));
      }
      return m;
    }
  }

  public static void main(String[] args) throws Exception {
    int images = 10_000, configs = 8, epochs = 3, workers = 2, reps = 2;
    List<Execution> executions = List.of(Execution.MOP, Execution.TASK_PARALLEL, Execution.BSP, Execution.SEQUENTIAL);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        case "--configs" -> configs = Integer.parseInt(args[i + 1]);
        case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
        case "--workers" -> workers = Integer.parseInt(args[i + 1]);
        case "--reps" -> reps = Integer.parseInt(args[i + 1]);
        case "--executions" -> executions = java.util.Arrays.stream(args[i + 1].split(",")).map(Execution::parse).toList();
        default -> throw new IllegalArgumentException("unknown flag " + args[i]);
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int threads = Math.max(1, cores / workers);
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("select-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    long seed = 42;
    // not cached: each execution caches its own shards, the raw rows are read again instead of
    // being held twice
    JavaRDD<Example> data = Examples.fromImages(
        FashionMnist.sample(spark, FashionMnist.Split.TRAIN, images, seed), "image", "label");
    SearchSpace space = SearchSpace.parse("lr=loguniform(5e-4,5e-3);width=choice(32,64);filters=choice(4,8);batch=choice(32,64)");
    DjlTrainerFactory cnn = DjlTrainerFactory.builtIn("cnn", new long[] {1, 28, 28}, 10);
    Path tmp = Files.createTempDirectory("select-bench");
    // warm-up (JIT, PyTorch natives, and oneDNN's per-shape kernels of every measured config) so the
    // first measured execution is not penalized for running first
    ModelSelection.builder().setData(data.sample(false, Math.min(1.0, 1600.0 / images), 1))
        .setTrainerFactory(cnn.withThreads(threads))
        .setProcedure(FixedEpochs.random(space, configs, 1, seed, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("warmup").toString()).optWorkers(workers).optSeed(seed).build().run();
    Map<Execution, Runs> res = new LinkedHashMap<>();
    executions.forEach(ex -> res.put(ex, new Runs(new ArrayList<>(), new ArrayList<>())));
    for (int rep = 0; rep < reps; rep++) {
      for (int k = 0; k < executions.size(); k++) {
        Execution ex = executions.get((k + rep) % executions.size());
        // the whole machine: W units x cores/W threads, or one unit with every core
        DjlTrainerFactory f = cnn.withThreads(ex == Execution.SEQUENTIAL ? cores : threads);
        long t0 = System.nanoTime();
        SelectionResult r = ModelSelection.builder().setData(data).setTrainerFactory(f)
            .setProcedure(FixedEpochs.random(space, configs, epochs, seed, Goal.maximize("accuracy")))
            .setRunDir(tmp.resolve(ex.cli() + "-" + rep).toString()).optExecution(ex).optWorkers(workers)
            .optSeed(seed).build().run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        res.get(ex).results().add(r);
        res.get(ex).totalMs().add(ms);
        System.out.printf(Locale.ROOT, "rep %d %s: %.1f s, best %.4f%n", rep, ex.cli(), ms / 1000.0, r.best().valAccuracy());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Random search, %d CNN configs (%s) x %d epochs, %d Fashion-MNIST train images "
        + "(80%% train / 20%% validation), %d worker slots, local[%d]; PyTorch threads per unit: %d (sequential: %d). "
        + "%d repetitions, executions in rotated order; makespans are min / median, the other columns are from the (lower) median run.%n%n",
        configs, space, epochs, images, workers, workers, threads, cores, reps));
    sb.append("| execution | training makespan s (min / median) | total s (median run) | slot utilization | "
        + "data bytes stored, measured (block manager) | data bytes stored, computed (float32 rows) | "
        + "bytes moved per epoch | best val acc |\n|---|---|---|---|---|---|---|---|\n");
    for (var e : res.entrySet()) {
      Runs runs = e.getValue();
      int m = runs.median();
      SelectionResult r = runs.results().get(m);
      long moved = r.rounds().stream().mapToLong(SelectionResult.RoundStats::bytesMoved).sum();
      long busy = r.units().stream().mapToLong(UnitRecord::taskMs).sum();
      int used = e.getKey() == Execution.SEQUENTIAL ? 1 : workers;
      sb.append(String.format(Locale.ROOT, "| %s | %.1f / %.1f | %.1f | %.2f | %,d | %,d | %,d | %.4f |%n", e.getKey().cli(),
          runs.minMakespan() / 1000.0, runs.medianMakespan() / 1000.0, runs.totalMs().get(m) / 1000.0,
          busy / (double) (used * runs.makespan(m)), r.cachedBytes(), r.payloadBytes(),
          moved / Math.max(1, r.rounds().size()), r.best().valAccuracy()));
    }
    if (res.size() < 4) {
      sb.append("\n(partial run: ratios need all four executions)\n");
    } else {
      double mop = median(res.get(Execution.MOP));
      double tp = median(res.get(Execution.TASK_PARALLEL));
      double seq = median(res.get(Execution.SEQUENTIAL));
      SelectionResult mopRun = res.get(Execution.MOP).results().get(res.get(Execution.MOP).median());
      SelectionResult tpRun = res.get(Execution.TASK_PARALLEL).results().get(res.get(Execution.TASK_PARALLEL).median());
      sb.append(String.format(Locale.ROOT, "%nMedian training makespan, MOP / task-parallel: **%.2f** (target <= 1.1); "
          + "MOP / sequential: **%.2f** (target <= 0.6). Stored data measured by Spark, task-parallel / MOP = %.2fx.%n",
          mop / tp, mop / seq, (double) tpRun.cachedBytes() / mopRun.cachedBytes()));
    }
    sb.append(throughput(res, data, space, cnn.withThreads(threads), configs, epochs, seed, threads));
    System.out.println(sb);
    BenchReport.append("select", "bench/run select " + String.join(" ", args), sb.toString());
    spark.stop();
  }

  private static double median(Runs runs) {
    return runs.medianMakespan();
  }

  /** Config 0's examples per second inside MOP (driver-side unit wall time) vs a raw DJL loop. */
  private static String throughput(Map<Execution, Runs> res, JavaRDD<Example> data, SearchSpace space,
      DjlTrainerFactory f, int configs, int epochs, long seed, int threads) throws Exception {
    Runs runs = res.getOrDefault(Execution.MOP, res.values().iterator().next());
    SelectionResult mop = runs.results().get(runs.median());
    List<UnitRecord> us = mop.units().stream().filter(u -> u.trial() == 0 && u.error() == null).toList();
    long ex0 = us.stream().mapToLong(u -> u.metrics().examples()).sum();
    long ms0 = us.stream().mapToLong(UnitRecord::jobMs).sum();
    double inMop = ex0 * 1000.0 / ms0;
    Config c0 = FixedEpochs.random(space, configs, epochs, seed, Goal.maximize("accuracy"))
        .next(List.of()).train().get(0).config();
    List<Example> rows = data.collect();
    rows = rows.subList(0, (int) Math.min(rows.size(), ex0 / epochs));
    long trialSeed = Seeds.split(seed, "trial", 0);
    long rawEx = 0;
    long t0 = System.nanoTime();
    try (Trainer t = f.create(new Hyperparameters(c0.values()), trialSeed)) {
      for (int e = 1; e <= epochs; e++) {
        List<Batch> b = Examples.batches(rows, t.batchSize(), trialSeed, e, 0);
        rawEx += t.train(b.iterator()).examples();
      }
    }
    double raw = rawEx / ((System.nanoTime() - t0) / 1e9);
    return String.format(Locale.ROOT, "%nOne config (%s) inside MOP (%s run, median): %.0f examples/s over its unit "
        + "queries' job time (a unit of a round job has no job of its own: its time inside the round's task, checkpoint "
        + "restore/write included; the round job's own overhead is in the makespan); raw DJL loop on "
        + "the same %d rows x %d epochs, %d threads: %.0f examples/s; ratio **%.2f** (target >= 0.9).%n",
        c0, mop.execution().cli(), inMop, rows.size(), epochs, threads, raw, inMop / raw);
  }
}
