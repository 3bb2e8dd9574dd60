package org.argus.bench;

import static org.apache.spark.sql.functions.col;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.inference.Int8Graphs;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.roster.Roster;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.argus.surfaces.ml.DeepImageFeaturizer;

/**
 * {@code bench/run featurize --precision int8 [--images N] [--configs model:size,…] [--batch B]
 * [--slots S] [--calibration IMAGES]}: for each (model, input size), the roster's last feature layer
 * with avg pooling on the same PNG files, three workloads: (f) DeepImageFeaturizer fp32 → Parquet,
 * (q) DeepImageFeaturizer int8 → Parquet, (r) a raw Java loop (decode, preprocess, ORT) on the same
 * int8 graph, S threads sharing one session. Each gets a warm-up on the first 512 files, then two
 * measured runs in rotated order (f q r, then r q f). The int8 featurizer's calibration (min/max on
 * IMAGES files, seed 42) happens in the warm-up and is cached by its provenance, so the measured runs
 * time featurization only; the calibration's own seconds are reported apart. Prints images/s of
 * every run, q÷f and q÷r.
 */
final class Int8Bench {
  private Int8Bench() {}

  public static void main(String[] args) throws Exception {
    int n = 1000;
    List<String> configs = List.of("mobilenet_v2:224", "mobilenet_v2:96", "inception_v3:299");
    int batch = 8;
    int slots = 2;
    int calibration = 256;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--precision" -> {
          if (!args[++i].equals("int8")) {
            throw new IllegalArgumentException("--precision: only int8 compares precisions, found " + args[i]);
          }
        }
        case "--images" -> n = Integer.parseInt(args[++i]);
        case "--configs" -> configs = List.of(args[++i].split(","));
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--slots" -> slots = Integer.parseInt(args[++i]);
        case "--calibration" -> calibration = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; valid: --precision int8 --images N --configs model:size,… --batch B --slots S --calibration N");
      }
    }
    SparkSession spark = SparkSession.builder().master("local[" + slots + "]").appName("int8-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.files.openCostInBytes", "0").config("spark.sql.files.maxPartitionBytes", "65536")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    Path dir = FeaturizeBench.writeImages(spark, n);
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.sorted().toList();
    }
    CalibrationSpec spec = new CalibrationSpec(CalibrationMethod.MINMAX, calibration, 42);
    StringBuilder md = new StringBuilder(String.format("%d Fashion-MNIST PNG files (28x28 gray), batch %d, %d slots x 1 "
        + "ORT intra-op thread, pooling avg, int8 calibration %s%n%n", n, batch, slots, spec));
    md.append("| model | input | layer | (f) fp32 featurizer img/s | (q) int8 featurizer img/s | (r) int8 raw loop img/s "
        + "| q÷f | q÷r | runs f1 q1 r1 / r2 q2 f2 | calibration s |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (String c : configs) {
      String name = c.split(":")[0];
      int size = Integer.parseInt(c.split(":")[1]);
      String layer = Roster.get(name).featureLayers().get(Roster.get(name).featureLayers().size() - 1);
      DeepImageFeaturizer f = new DeepImageFeaturizer().setModelName(name).setImageSize(size).setInputCol("content")
          .setLayers(layer).setPooling("avg").setOutputType("array").setBatchSize(batch).setIntraOpThreads(1);
      DeepImageFeaturizer q = f.copy(new org.apache.spark.ml.param.ParamMap()).setPrecision("int8")
          .setCalibration(spec.sampleSize(), spec.method().paramValue(), spec.seed());
      Path out = Path.of("bench", "out", "features-int8-" + name + ".parquet");
      Dataset<Row> all = spark.read().format("binaryFile").load(dir.toString());
      long c0 = System.nanoTime();
      ResolvedModel rm = ResolvedModel.resolve(ModelRef.roster(name).withInputSize(size), ResolvedModel.LOCAL_FILES);
      GraphCut int8 = Int8Graphs.calibrate(rm, List.of(layer), all, col("path"), col("content"), true, spec, 1)
          .cutFromPixels(List.of(layer));
      double calSeconds = (System.nanoTime() - c0) / 1e9;
      ModelSession session = SessionCache.acquire(int8.sha256(), int8::bytes, 1).session(); // leased for the bench's life
      int warm = Math.min(files.size(), 512);
      FeaturizeBench.featurize(spark, f, dir, out, warm);
      FeaturizeBench.featurize(spark, q, dir, out, warm);
      rawLoop(files.subList(0, warm), session, rm, layer, batch, slots);
      double[] runs = new double[6];
      String[] order = {"f", "q", "r", "r", "q", "f"};
      for (int k = 0; k < order.length; k++) {
        long t0 = System.nanoTime();
        long rows;
        if (order[k].equals("r")) {
          rows = rawLoop(files, session, rm, layer, batch, slots);
        } else {
          FeaturizeBench.featurize(spark, order[k].equals("f") ? f : q, dir, out, -1);
          double s = (System.nanoTime() - t0) / 1e9;
          rows = FeaturizeBench.rowsWritten(spark, out);
          runs[k] = rows / s;
          continue;
        }
        runs[k] = rows / ((System.nanoTime() - t0) / 1e9);
        if (rows != files.size()) {
          throw new IllegalStateException("raw loop featurized " + rows + " of " + files.size());
        }
      }
      double fp = (runs[0] + runs[5]) / 2;
      double qq = (runs[1] + runs[4]) / 2;
      double rr = (runs[2] + runs[3]) / 2;
      String line = String.format("| %s | %dx%d | %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f %.1f %.1f / %.1f %.1f %.1f | %.1f |%n",
          name, size, size, layer, fp, qq, rr, qq / fp, qq / rr, runs[0], runs[1], runs[2], runs[3], runs[4], runs[5],
          calSeconds);
      System.out.print(line);
      md.append(line);
    }
    md.append("\nMeans of the two measured runs of each workload; ranges in the runs column. Calibration: the "
        + "id ranking, the sample read and one fp32 pass over it, measured once per config (cached afterwards).\n");
    BenchReport.append("featurize", "bench/run featurize " + String.join(" ", args), md.toString());
    spark.stop();
  }

  private static long rawLoop(List<Path> files, ModelSession session, ResolvedModel rm, String layer, int batch,
      int slots) throws Exception {
    return FeaturizeBench.rawLoop(files, session, rm.preprocessing(), rm.pixelInput(), layer, batch, slots);
  }
}
