package org.argus.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.data.image.DecodeResult;
import org.argus.data.image.ImageDecoder;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.plan.Pooling;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.argus.surfaces.ml.DeepImageFeaturizer;

/**
 * {@code bench/run featurize [--images N] [--models a,b] [--batch B] [--slots S] [--threads T]}:
 * the same PNG files (Fashion-MNIST test images written once under bench/out), the same model,
 * layer (the roster's last feature layer), pooling (avg), batch and threads, through (a) a raw Java
 * loop — read file, decode, preprocess, ORT run — on S threads sharing one session with T intra-op
 * threads, and (b) DeepImageFeaturizer on local[S] Spark reading the files with binaryFile and
 * writing the features to Parquet (dictionary encoding off: it only costs time on dense floats).
 * (b) is timed from listing the files to the write's commit; the rows written are counted after
 * the clock stops. Prints images/s of both, the ratio b/a and the peak RSS of the JVM (driver =
 * executor in local mode) during each.
 */
public final class FeaturizeBench {
  private FeaturizeBench() {}

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--precision")) {
      Int8Bench.main(args);
      return;
    }
    int n = 2000;
    List<String> models = List.of("mobilenet_v2", "inception_v3");
    int batch = 32;
    int slots = 2;
    int threads = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--images" -> n = Integer.parseInt(args[++i]);
        case "--models" -> models = List.of(args[++i].split(","));
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--slots" -> slots = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; valid: --images N --models a,b --batch B --slots S --threads T");
      }
    }
    SparkSession spark = SparkSession.builder().master("local[" + slots + "]").appName("featurize-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.files.openCostInBytes", "0")
        .config("spark.sql.files.maxPartitionBytes", "65536")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    Path dir = writeImages(spark, n);
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.sorted().toList();
    }
    StringBuilder md = new StringBuilder();
    md.append(String.format("%d Fashion-MNIST PNG files (28x28 gray), batch %d, %d slots x %d ORT "
        + "intra-op threads, pooling avg%n%n", n, batch, slots, threads));
    md.append("| model | input | layer | (a) raw loop img/s (mean of 2) | (b) DeepImageFeaturizer→Parquet img/s (mean of 2, interleaved a b a b)"
        + "| b/a | runs a1 b1 a2 b2 | peak RSS (a) | peak RSS (b) |\n|---|---|---|---|---|---|---|---|---|\n");
    for (String name : models) {
      RosterModel rm = Roster.get(name);
      String layer = rm.featureLayers().get(rm.featureLayers().size() - 1);
      OnnxModel full = OnnxModel.load(PretrainedModels.onnxFile(name));
      OnnxModel cut = full.cut(List.of(rm.inputTensor()), List.of(layer));
      byte[] bytes = cut.toBytes();
      ModelSession session = SessionCache.acquire(cut.sha256(), () -> bytes, threads).session(); // leased for the bench's life
      // warm-up both paths on the same files (JIT; a fixed count, whatever the batch size): 1 024
      // since Spark's write path (listing, codegen, Parquet writer) needs more than the 256 used
      // before, whose first measured Spark run was ~5 % slower than its second
      int warm = Math.min(files.size(), 1024);
      rawLoop(files.subList(0, warm), session, rm, layer, batch, slots);
      DeepImageFeaturizer f = new DeepImageFeaturizer().setModelName(name).setInputCol("content")
          .setLayers(layer).setPooling("avg").setOutputType("array").setBatchSize(batch)
          .setIntraOpThreads(threads);
      Path out = Path.of("bench", "out", "features-" + name + ".parquet");
      featurize(spark, f, dir, out, warm);

      Rss rssA = Rss.start();
      long t0 = System.nanoTime();
      long done = rawLoop(files, session, rm, layer, batch, slots);
      double a = done / ((System.nanoTime() - t0) / 1e9);
      long peakA = rssA.stop();

      Rss rssB = Rss.start();
      t0 = System.nanoTime();
      featurize(spark, f, dir, out, -1);
      double sb = (System.nanoTime() - t0) / 1e9;
      long peakB = rssB.stop();
      long rows = rowsWritten(spark, out);
      double b = rows / sb;
      // interleaved a, b, a, b: drift on a shared machine and first-run effects show in the pairs
      t0 = System.nanoTime();
      long done2 = rawLoop(files, session, rm, layer, batch, slots);
      double a2 = done2 / ((System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      featurize(spark, f, dir, out, -1);
      double sb2 = (System.nanoTime() - t0) / 1e9;
      long rows2 = rowsWritten(spark, out);
      double b2 = rows2 / sb2;
      System.out.printf("%s raw loop: %.1f then %.1f img/s; Spark: %.1f then %.1f img/s%n", name, a, a2, b, b2);
      String runs = String.format("%.1f %.1f %.1f %.1f", a, b, a2, b2);
      a = (a + a2) / 2;
      b = (b + b2) / 2;
      if (rows != done || rows2 != done) {
        throw new IllegalStateException("raw loop featurized " + done + " images, Spark " + rows + " and " + rows2);
      }
      String line = String.format("| %s | %s | %s | %.1f | %.1f | %.3f | %s | %d MiB | %d MiB |%n", name,
          rm.preprocessing().compact(), layer, a, b, b / a, runs, peakA >> 20, peakB >> 20);
      System.out.print(line);
      md.append(line);
    }
    md.append("\nRSS is the whole JVM's VmRSS (local mode: driver and executor share it), sampled "
        + "every 100 ms.\n");
    BenchReport.append("featurize", "bench/run featurize " + String.join(" ", args), md.toString());
    spark.stop();
  }

  /** Decode + preprocess + ORT on {@code slots} threads, contiguous slices, batches of {@code batch}. */
  private static long rawLoop(List<Path> files, ModelSession session, RosterModel rm, String layer,
      int batch, int slots) throws Exception {
    return rawLoop(files, session, rm.preprocessing(), rm.inputTensor(), layer, batch, slots);
  }

  /** As above, for any preprocessing and pixel input. */
  static long rawLoop(List<Path> files, ModelSession session, PreprocessingSpec spec, String input, String layer,
      int batch, int slots) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(slots);
    List<Future<Long>> parts = new ArrayList<>();
    int per = (files.size() + slots - 1) / slots;
    for (int s = 0; s < slots; s++) {
      List<Path> slice = files.subList(Math.min(files.size(), s * per), Math.min(files.size(), (s + 1) * per));
      parts.add(pool.submit(() -> {
        ImagePreprocessor pre = new ImagePreprocessor(spec);
        int floats = spec.floatsPerExample();
        long count = 0;
        for (int i = 0; i < slice.size(); i += batch) {
          int b = Math.min(batch, slice.size() - i);
          float[] in = new float[b * floats];
          for (int k = 0; k < b; k++) {
            DecodeResult d = ImageDecoder.decode(Files.readAllBytes(slice.get(i + k)));
            pre.fill(d.image().data(), d.image().height(), d.image().width(), d.image().nChannels(),
                in, k * floats);
          }
          ModelSession.Output o = session.run(input, in, spec.batchShape(b), List.of(layer)).get(0);
          long[] sh = o.shape();
          float[] pooled = new float[(int) sh[1]];
          for (int k = 0; k < b; k++) {
            Pooling.parse("avg").apply(o.values(), k * o.perExample(), (int) sh[1], (int) sh[2],
                (int) sh[3], pooled, 0);
          }
          count += b;
        }
        return count;
      }));
    }
    long total = 0;
    for (Future<Long> f : parts) {
      total += f.get();
    }
    pool.shutdown();
    return total;
  }

  /**
   * Lists and reads the files, featurizes them and writes the features to Parquet: the workload
   * (b), timed by the caller. The rows written are checked afterwards with {@link #rowsWritten}, out
   * of the timed region (reading the Parquet footers back costs 1.4–1.7 s, and (a) reads nothing
   * back either).
   */
  static void featurize(SparkSession spark, DeepImageFeaturizer f, Path dir, Path out, int limit) {
    Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString());
    if (limit > 0) {
      files = files.limit(limit);
    }
    // dense float features gain nothing from Parquet's dictionary encoding (it hashes every value)
    f.transform(files).select("path", "features").write().mode("overwrite")
        .option("parquet.enable.dictionary", "false").parquet(out.toString());
  }

  static long rowsWritten(SparkSession spark, Path out) {
    return spark.read().parquet(out.toString()).count();
  }

  static Path writeImages(SparkSession spark, int n) throws Exception {
    Path dir = Path.of("bench", "out", "fmnist-png-" + n);
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        if (s.count() == n) {
          return dir;
        }
      }
    }
    Files.createDirectories(dir);
    FashionMnist.provision();
    for (Row r : FashionMnist.read(spark, FashionMnist.Split.TEST).limit(n).collectAsList()) {
      Row img = r.getStruct(2);
      int h = img.getInt(1);
      int w = img.getInt(2);
      byte[] data = (byte[]) img.get(5);
      BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
      bi.getRaster().setDataElements(0, 0, w, h, data);
      ImageIO.write(bi, "png", dir.resolve(String.format("%05d.png", r.getLong(0))).toFile());
    }
    return dir;
  }

  /** Samples the JVM's VmRSS from /proc/self/status. */
  private static final class Rss {
    private final AtomicLong peak = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    static Rss start() {
      Rss r = new Rss();
      r.thread = new Thread(() -> {
        while (r.running.get()) {
          r.peak.accumulateAndGet(current(), Math::max);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "rss-sampler");
      r.thread.setDaemon(true);
      r.thread.start();
      return r;
    }

    long stop() throws InterruptedException {
      running.set(false);
      thread.join();
      return Math.max(peak.get(), current());
    }

    static long current() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException e) {
        // no /proc: report 0
      }
      return 0;
    }
  }
}
