package org.argus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.train.DataParallelResult;
import org.argus.execution.train.DataParallelTraining;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;

/**
 * Data-parallel training on 2 Spark worker slots ÷ a raw DJL loop using both cores (issue 12,
 * item 3's speed check): {@code bench/run train --data-parallel yes [--images 4096] [--family cnn]
 * [--batches 64,128,256,512,1024] [--reps 2] [--seed 42]}.
 *
 * <p>Same model (the family's defaults, Adam lr 1e-3), same global batch, same rows (a Fashion-MNIST
 * sample), one epoch measured after one warm-up epoch in each mode. Raw: one {@code Trainer} with 2
 * PyTorch threads over in-memory batches. Data-parallel: {@code local[2]}, 2 partitions, 1 PyTorch
 * thread per task, {@link DataParallelTraining} (broadcast weights, {@code treeAggregate} of
 * gradient sums, optimizer step on the driver), the examples cached in Spark; its epoch time
 * includes the per-epoch checkpoint. Order alternates per repetition (raw first on even reps).
 */
final class DataParallelBench {
  private DataParallelBench() {}

  static void run(Map<String, String> a, String[] args) throws Exception {
    int n = Integer.parseInt(a.getOrDefault("images", "4096"));
    String family = a.getOrDefault("family", "cnn");
    int reps = Integer.parseInt(a.getOrDefault("reps", "2"));
    long seed = Long.parseLong(a.getOrDefault("seed", "42"));
    List<Integer> sizes = new ArrayList<>();
    for (String s : a.getOrDefault("batches", "64,128,256,512,1024").split(",")) {
      sizes.add(Integer.parseInt(s));
    }
    SparkSession spark = SparkSession.builder().master("local[2]").appName("argus-bench-dp")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    FashionMnist.provision();
    List<Example> rows = Examples.fromImages(
        FashionMnist.sample(spark, FashionMnist.Split.TRAIN, n, seed), "image", "label").collect();
    JavaRDD<Example> data = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 2);
    DjlTrainerFactory base = DjlTrainerFactory.builtIn(family, new long[] {1, 28, 28}, 10);
    Path tmp = Files.createTempDirectory("argus-bench-dp");
    String load = loadAverage();
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "Data-parallel (Spark local[2], 2 partitions x 1"
        + " thread) ÷ raw DJL loop (1 trainer, 2 threads), %s family (%s), Adam lr 1e-3, %d Fashion-MNIST rows"
        + " (seed %d), one epoch after a warm-up epoch, %d repetitions alternating the order; load average at"
        + " start %s.%n%n| global batch | raw ex/s | data-parallel ex/s | ratio (range) |%n|---:|---:|---:|---|%n",
        family, base.describe(), n, seed, reps, load));
    for (int b : sizes) {
      Hyperparameters cfg = new Hyperparameters(Map.of("lr", 1e-3, "batch", (long) b));
      double[] raw = new double[reps];
      double[] dp = new double[reps];
      for (int r = 0; r < reps; r++) {
        if (r % 2 == 0) {
          raw[r] = raw(base.withThreads(2), cfg, rows, b, seed);
          dp[r] = dataParallel(base.withThreads(1), cfg, data, b, seed, tmp.resolve(b + "-" + r));
        } else {
          dp[r] = dataParallel(base.withThreads(1), cfg, data, b, seed, tmp.resolve(b + "-" + r));
          raw[r] = raw(base.withThreads(2), cfg, rows, b, seed);
        }
        System.out.printf(Locale.ROOT, "batch %d rep %d: raw %.0f ex/s, data-parallel %.0f ex/s, ratio %.2f%n",
            b, r, raw[r], dp[r], dp[r] / raw[r]);
      }
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (int r = 0; r < reps; r++) {
        lo = Math.min(lo, dp[r] / raw[r]);
        hi = Math.max(hi, dp[r] / raw[r]);
      }
      md.append(String.format(Locale.ROOT, "| %d | %.0f–%.0f | %.0f–%.0f | %.2f–%.2f |%n", b, min(raw), max(raw),
          min(dp), max(dp), lo, hi));
    }
    md.append(String.format(Locale.ROOT, "%nLoad average at the end: %s.%n", loadAverage()));
    System.out.println(md);
    BenchReport.append("train", "bench/run train " + String.join(" ", args), md.toString());
    spark.stop();
  }

  /** Examples/s of the second of two epochs of a plain trainer over in-memory batches. */
  private static double raw(DjlTrainerFactory f, Hyperparameters cfg, List<Example> rows, int b, long seed)
      throws Exception {
    List<Batch> batches = new ArrayList<>();
    for (int s = 0; s + b <= rows.size(); s += b) {
      batches.add(Examples.batch(rows.subList(s, s + b)));
    }
    try (Trainer t = f.create(cfg, seed)) {
      t.train(batches.iterator());
      long t0 = System.nanoTime();
      t.train(batches.iterator());
      return batches.size() * (double) b / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /** Examples/s of the second of two data-parallel epochs. */
  private static double dataParallel(DjlTrainerFactory f, Hyperparameters cfg, JavaRDD<Example> data, int b,
      long seed, Path dir) throws Exception {
    DataParallelResult r = DataParallelTraining.builder().setData(data).setTrainerFactory(f).optConfig(cfg)
        .setBatch(b).setEpochs(2).setRunDir(dir.toString()).optPartitions(2).optSeed(seed).build().run();
    return r.epochs().get(1).examplesPerSecond();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0] + " / "
          + Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[1] + " / "
          + Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[2] + " (1/5/15 min, 2 cores)";
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static double min(double[] v) {
    double m = Double.MAX_VALUE;
    for (double x : v) {
      m = Math.min(m, x);
    }
    return m;
  }

  private static double max(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }
}
