package org.argus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.argus.data.FashionMnist;
import org.argus.surfaces.ml.DeepImageClassificationModel;
import org.argus.surfaces.ml.DeepImageClassifier;
import org.argus.surfaces.ml.ModelSelectionModel;
import org.argus.surfaces.ml.ModelSelector;

/**
 * {@code bench/run estimator [--images N] [--epochs E] [--workers W] [--reps R] [--family F]}:
 * the same 8-map {@code DeepImageClassifier} grid (learningRate × batchSize × width) tuned two ways
 * on N Fashion-MNIST training images with W worker slots:
 *
 * <ul>
 *   <li><b>ModelSelector</b> (MOP): the rows stored once as W shards, every config's model hopping
 *       between them ({@code setWorkers(W)});
 *   <li><b>TrainValidationSplit</b> (Spark's task-parallel tuning, {@code parallelism = W}): W fits at
 *       a time, each on its own full copy of the training split ({@code setWorkers(1)}), then the
 *       best param map refitted on all rows (what Spark's tuner does; part of its makespan).
 * </ul>
 *
 * <p>Per side: the makespan of {@code fit} timed on the driver, the largest bytes Spark's block
 * manager held at once (memory + disk of every cached RDD, polled every 100 ms), and the best
 * config. Both sides: one warm-up fit first, PyTorch 1 thread per unit query ({@code
 * spark.task.cpus}), the order rotated each repetition.
 */
public final class EstimatorBench {
  private EstimatorBench() {}

  /** Fashion-MNIST test images both sides' best models are scored on. */
  private static Dataset<Row> test;

  private static double accuracy(org.apache.spark.ml.Model<?> best) {
    Dataset<Row> p = best.transform(test);
    return new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(p.withColumn("label", org.apache.spark.sql.functions.col("label").cast("double")));
  }

  /** One measured fit: makespan, bytes held, the chosen config and its accuracy on the common test set. */
  private record Run(String side, double seconds, long maxStoredBytes, String best, double testAccuracy) {}

  public static void main(String[] args) throws Exception {
    int images = 4000;
    int epochs = 3;
    int workers = 2;
    int reps = 2;
    String family = "cnn";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
        case "--workers" -> workers = Integer.parseInt(args[i + 1]);
        case "--reps" -> reps = Integer.parseInt(args[i + 1]);
        case "--family" -> family = args[i + 1];
        default -> throw new IllegalArgumentException("unknown flag " + args[i]
            + "; valid: --images, --epochs, --workers, --reps, --family");
      }
    }
    SparkSession spark = SparkSession.builder().master("local[" + workers + "]").appName("estimator-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    // not cached: each side caches its own training copies, the raw rows are read again instead
    Dataset<Row> data = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, images, 42);
    Path tmp = Files.createTempDirectory("estimator-bench");
    DeepImageClassifier clf = new DeepImageClassifier().setFeaturesCol("image").setFamily(family).setEpochs(epochs)
        .setSeed(42).setValidationFraction(0.1);
    ParamMap[] grid = new ParamGridBuilder().addGrid(clf.learningRate(), new double[] {1e-3, 3e-3})
        .addGrid(clf.batchSize(), new int[] {32, 64}).addGrid(clf.width(), new int[] {32, 64}).build();

    // the same held-out images score both sides' chosen models (each side picks on its own split)
    // (not cached: the storage poll measures only what the sides store)
    test = FashionMnist.sample(spark, FashionMnist.Split.TEST, 2000, 42);
    // warm-up on the measured rows (one epoch): JIT, PyTorch natives, and the sample's first read
    mop(spark, clf, grid, workers, tmp.resolve("warm-mop").toString(), data, 1);
    tvs(spark, clf, grid, workers, data, 1);

    List<Run> runs = new ArrayList<>();
    for (int r = 0; r < reps; r++) {
      boolean mopFirst = r % 2 == 0;
      for (int k = 0; k < 2; k++) {
        boolean mop = (k == 0) == mopFirst;
        Run run = mop ? mop(spark, clf, grid, workers, tmp.resolve("mop-" + r).toString(), data, epochs)
            : tvs(spark, clf, grid, workers, data, epochs);
        runs.add(run);
        System.out.printf(Locale.ROOT, "rep %d %-34s %7.1f s, max stored %s, best %s, test accuracy %.4f%n", r + 1,
            run.side(), run.seconds(), mib(run.maxStoredBytes()), run.best(), run.testAccuracy());
      }
    }
    String body = table(runs, images, epochs, workers, family, grid.length);
    System.out.print(body);
    BenchReport.append("estimator", "bench/run estimator " + String.join(" ", args), body);
    spark.stop();
  }

  private static Run mop(SparkSession spark, DeepImageClassifier clf, ParamMap[] grid, int workers, String runDir,
      Dataset<Row> data, int epochs) {
    ModelSelector s = new ModelSelector().setEstimator(clf.copy(ParamMap.empty()).setWorkers(workers).setEpochs(epochs))
        .setEstimatorParamMaps(grid).setSeed(42).setRunDir(runDir)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"));
    StoragePoll poll = StoragePoll.start(spark);
    long t0 = System.nanoTime();
    ModelSelectionModel m = s.fit(data);
    double sec = (System.nanoTime() - t0) / 1e9;
    return new Run("ModelSelector (MOP, " + workers + " shards)", sec, poll.stop(), m.bestConfig(),
        accuracy(m.bestModel()));
  }

  private static Run tvs(SparkSession spark, DeepImageClassifier clf, ParamMap[] grid, int workers,
      Dataset<Row> data, int epochs) {
    DeepImageClassifier one = clf.copy(ParamMap.empty()).setWorkers(1).setEpochs(epochs);
    TrainValidationSplit tvs = new TrainValidationSplit().setEstimator(one).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setTrainRatio(0.9)
        .setParallelism(workers).setSeed(42);
    StoragePoll poll = StoragePoll.start(spark);
    long t0 = System.nanoTime();
    TrainValidationSplitModel m = tvs.fit(data.withColumn("label", data.col("label").cast("double")));
    double sec = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> hp = ((DeepImageClassificationModel) m.bestModel()).hyperparameters();
    return new Run("TrainValidationSplit (parallelism " + workers + ")", sec, poll.stop(), hp.toString(),
        accuracy(m.bestModel()));
  }

  /** Polls Spark's storage status: the largest memory + disk bytes of all cached RDDs at once. */
  private static final class StoragePoll {
    private final AtomicLong max = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private StoragePoll(SparkSession spark) {
      thread = new Thread(() -> {
        while (running) {
          long sum = 0;
          for (RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
            sum += info.memSize() + info.diskSize();
          }
          max.accumulateAndGet(sum, Math::max);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "storage-poll");
      thread.setDaemon(true);
    }

    static StoragePoll start(SparkSession spark) {
      StoragePoll p = new StoragePoll(spark);
      p.thread.start();
      return p;
    }

    long stop() throws RuntimeException {
      running = false;
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return max.get();
    }
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static String table(List<Run> runs, int images, int epochs, int workers, String family, int maps) {
    Map<String, List<Run>> bySide = new LinkedHashMap<>();
    runs.forEach(r -> bySide.computeIfAbsent(r.side(), k -> new ArrayList<>()).add(r));
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%d Fashion-MNIST images, family %s, %d param maps x %d epochs, %d worker slots, %d repetitions (order"
            + " rotated), after one 1-epoch warm-up fit per side on the same rows; test accuracy: the chosen model on"
            + " 2 000 Fashion-MNIST test images%n%n| side | makespan s (min–max) | max stored (min–max) | best"
            + " configs | test accuracy (min–max) |%n|---|---|---|---|---|%n", images, family, maps, epochs, workers, runs.size() / 2));
    for (Map.Entry<String, List<Run>> e : bySide.entrySet()) {
      List<Run> rs = e.getValue();
      double lo = rs.stream().mapToDouble(Run::seconds).min().orElse(0);
      double hi = rs.stream().mapToDouble(Run::seconds).max().orElse(0);
      long bl = rs.stream().mapToLong(Run::maxStoredBytes).min().orElse(0);
      long bh = rs.stream().mapToLong(Run::maxStoredBytes).max().orElse(0);
      double al = rs.stream().mapToDouble(Run::testAccuracy).min().orElse(0);
      double ah = rs.stream().mapToDouble(Run::testAccuracy).max().orElse(0);
      sb.append(String.format(Locale.ROOT, "| %s | %.1f–%.1f | %s–%s | %s | %.4f–%.4f |%n", e.getKey(), lo, hi,
          mib(bl), mib(bh), rs.stream().map(Run::best).distinct().toList(), al, ah));
    }
    List<Run> mop = bySide.values().stream().findFirst().orElseThrow();
    List<Run> base = bySide.values().stream().skip(1).findFirst().orElseThrow();
    List<String> ratios = new ArrayList<>();
    List<String> bytes = new ArrayList<>();
    for (int i = 0; i < Math.min(mop.size(), base.size()); i++) {
      Run a = mop.get(i).side().startsWith("ModelSelector") ? mop.get(i) : base.get(i);
      Run b = a == mop.get(i) ? base.get(i) : mop.get(i);
      ratios.add(String.format(Locale.ROOT, "%.2f", a.seconds() / b.seconds()));
      bytes.add(String.format(Locale.ROOT, "%.2f", a.maxStoredBytes() / (double) Math.max(1, b.maxStoredBytes())));
    }
    sb.append(String.format(Locale.ROOT, "%nModelSelector ÷ TrainValidationSplit per repetition: makespan %s; max"
        + " stored bytes %s%n", ratios, bytes));
    return sb.toString();
  }
}
