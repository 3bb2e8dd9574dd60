package org.argus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.argus.execution.mop.UnitQuery;
import org.argus.execution.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Trainer;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;

/**
 * {@code bench/run select [--images N] [--configs C] [--epochs E] [--workers W]}: random search of
 * C CNN configs × E epochs on N Fashion-MNIST training images with W worker slots, once per
 * execution (mop, task-parallel, bsp, sequential): per-epoch makespan, data bytes stored, bytes
 * moved per epoch (checkpoints), best validation accuracy; plus one config's training throughput
 * inside MOP (examples / unit-query time, incl. checkpoint I/O) vs a raw DJL loop (the same
 * trainer, no Spark, no checkpoints) on the same data and threads.
 */
public final class SelectBench {
  public static void main(String[] args) throws Exception {
    int images = 10_000, configs = 8, epochs = 3, workers = 2;
    List<Execution> executions = List.of(Execution.MOP, Execution.TASK_PARALLEL, Execution.BSP, Execution.SEQUENTIAL);
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        case "--configs" -> configs = Integer.parseInt(args[i + 1]);
        case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
        case "--workers" -> workers = Integer.parseInt(args[i + 1]);
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
    JavaRDD<Example> data = Examples.fromImages(
        FashionMnist.sample(spark, FashionMnist.Split.TRAIN, images, seed), "image", "label").cache();
    data.count();
    SearchSpace space = SearchSpace.parse("lr=loguniform(5e-4,5e-3);width=choice(32,64);filters=choice(4,8);batch=choice(32,64)");
    DjlTrainerFactory cnn = DjlTrainerFactory.builtIn("cnn", new long[] {1, 28, 28}, 10);
    Path tmp = Files.createTempDirectory("select-bench");
    // warm-up (JIT, PyTorch natives, and oneDNN's per-shape kernels of every measured config) so the
    // first measured execution is not penalized for running first
    ModelSelection.builder().setData(data.sample(false, Math.min(1.0, 1600.0 / images), 1)).setTrainerFactory(cnn)
        .setProcedure(FixedEpochs.random(space, configs, 1, seed, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("warmup").toString()).optWorkers(workers).optSeed(seed).build().run();
    Map<Execution, SelectionResult> res = new LinkedHashMap<>();
    Map<Execution, Long> total = new LinkedHashMap<>();
    for (Execution ex : executions) {
      long t0 = System.nanoTime();
      SelectionResult r = ModelSelection.builder().setData(data).setTrainerFactory(cnn)
          .setProcedure(FixedEpochs.random(space, configs, epochs, seed, Goal.maximize("accuracy")))
          .setRunDir(tmp.resolve(ex.cli()).toString()).optExecution(ex).optWorkers(workers).optSeed(seed)
          .build().run();
      total.put(ex, (System.nanoTime() - t0) / 1_000_000);
      res.put(ex, r);
      System.out.printf(Locale.ROOT, "%s: %.1f s, best %.4f%n", ex.cli(), total.get(ex) / 1000.0, r.best().valAccuracy());
    }
    // one config's throughput inside MOP vs a raw loop on the same rows and threads
    SelectionResult mop = res.getOrDefault(Execution.MOP, res.values().iterator().next());
    List<UnitRecord> us = mop.units().stream().filter(u -> u.trial() == 0 && u.error() == null).toList();
    long ex0 = us.stream().mapToLong(u -> u.metrics().examples()).sum();
    long ms0 = us.stream().mapToLong(u -> u.endMs() - u.startMs()).sum();
    double inMop = ex0 * 1000.0 / ms0;
    var cfg = new FixedEpochs[] {FixedEpochs.random(space, configs, epochs, seed, Goal.maximize("accuracy"))};
    var c0 = cfg[0].next(List.of()).train().get(0).config();
    List<Example> rows = data.collect();
    rows = rows.subList(0, (int) Math.min(rows.size(), ex0 / epochs));
    long trialSeed = Seeds.split(seed, "trial", 0);
    long rawEx = 0;
    long t0 = System.nanoTime();
    try (Trainer t = cnn.create(new org.argus.runtime.train.Hyperparameters(c0.values()), trialSeed)) {
      for (int e = 1; e <= epochs; e++) {
        List<Batch> b = UnitQuery.batches(rows, t.batchSize(), trialSeed, e, 0);
        rawEx += t.train(b.iterator()).examples();
      }
    }
    double raw = rawEx / ((System.nanoTime() - t0) / 1e9);

    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Random search, %d CNN configs (%s) x %d epochs, %d Fashion-MNIST train images (80%% train / 20%% validation), %d worker slots x %d PyTorch threads, local[%d].%n%n",
        configs, space, epochs, images, workers, threads, workers));
    sb.append("| execution | total s | makespan per epoch (s) | slot utilization | data bytes stored | bytes moved per epoch | best val acc |\n|---|---|---|---|---|---|---|\n");
    for (var e : res.entrySet()) {
      SelectionResult r = e.getValue();
      List<String> ms = new ArrayList<>();
      long moved = 0;
      for (SelectionResult.RoundStats s : r.rounds()) {
        ms.add(String.format(Locale.ROOT, "%.1f", s.makespanMs() / 1000.0));
        moved += s.bytesMoved();
      }
      long busy = r.units().stream().mapToLong(u -> u.endMs() - u.startMs()).sum();
      long span = r.rounds().stream().mapToLong(SelectionResult.RoundStats::makespanMs).sum();
      int used = e.getKey() == Execution.SEQUENTIAL ? 1 : workers;
      sb.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %.2f | %,d | %,d | %.4f |%n", e.getKey().cli(), total.get(e.getKey()) / 1000.0,
          String.join(" / ", ms), busy / (double) (used * span), r.bytesStored(), moved / Math.max(1, r.rounds().size()), r.best().valAccuracy()));
    }
    if (res.size() < 4) {
      sb.append("\n(partial run: ratios need all four executions)\n");
    } else {
      double mopMs = res.get(Execution.MOP).rounds().stream().mapToLong(SelectionResult.RoundStats::makespanMs).sum();
      double tpMs = res.get(Execution.TASK_PARALLEL).rounds().stream().mapToLong(SelectionResult.RoundStats::makespanMs).sum();
      double seqMs = res.get(Execution.SEQUENTIAL).rounds().stream().mapToLong(SelectionResult.RoundStats::makespanMs).sum();
      sb.append(String.format(Locale.ROOT, "%nMOP training makespan / task-parallel: **%.2f** (target <= 1.1); / sequential: **%.2f** (target <= 0.6). "
          + "Stored data: task-parallel / MOP = %.1fx.%n", mopMs / tpMs, mopMs / seqMs,
          (double) res.get(Execution.TASK_PARALLEL).bytesStored() / res.get(Execution.MOP).bytesStored()));
    }
    sb.append(String.format(Locale.ROOT, "%nOne config (%s) inside MOP: %.0f examples/s (unit queries incl. checkpoint restore/write); raw DJL loop on the same %d rows x %d epochs, %d threads: %.0f examples/s; ratio **%.2f** (target >= 0.9).%n",
        c0, inMop, rows.size(), epochs, threads, raw, inMop / raw));
    System.out.println(sb);
    BenchReport.append("select", "bench/run select " + String.join(" ", args), sb.toString());
    spark.stop();
  }
}
