package org.argus.bench;

import static org.apache.spark.sql.functions.array_repeat;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.size;

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
 * int8 graph, S threads sharing one session, and (s) the Spark side without the model: the same
 * binaryFile scan (every file's bytes read) and the same Parquet write of one float array a row, as
 * long as the layer's features, holding the file's length — what any Spark featurizer pays on top
 * of the raw loop, so q÷r can be at most s÷(r+s) when both run on the same slots. Each gets a
 * warm-up on the first 512 files, then two measured runs in rotated order (f q r s, then s r q f). The int8 featurizer's calibration (min/max on
 * IMAGES files, seed 42) happens in the warm-up and is cached by its provenance, so the measured runs
 * time featurization only; the calibration's own seconds are reported apart. Prints images/s of
 * every run, q÷f, q÷r and that bound.
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
        + "| (s) Spark I/O alone img/s | q÷f | q÷r | bound s÷(r+s) | runs f1 q1 r1 s1 / s2 r2 q2 f2 | calibration s |\n"
        + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
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
      int dims = spark.read().parquet(out.toString()).select(size(col("features"))).first().getInt(0);
      ioAlone(spark, dir, out, dims, warm);
      double[] runs = new double[8];
      String[] order = {"f", "q", "r", "s", "s", "r", "q", "f"};
      for (int k = 0; k < order.length; k++) {
        long t0 = System.nanoTime();
        long rows;
        if (order[k].equals("s")) {
          ioAlone(spark, dir, out, dims, -1);
          double s = (System.nanoTime() - t0) / 1e9;
          runs[k] = FeaturizeBench.rowsWritten(spark, out) / s;
          continue;
        }
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
      double fp = (runs[0] + runs[7]) / 2;
      double qq = (runs[1] + runs[6]) / 2;
      double rr = (runs[2] + runs[5]) / 2;
      double io = (runs[3] + runs[4]) / 2;
      String line = String.format("| %s | %dx%d | %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f "
          + "| %.1f %.1f %.1f %.1f / %.1f %.1f %.1f %.1f | %.1f |%n",
          name, size, size, layer, fp, qq, rr, io, qq / fp, qq / rr, io / (rr + io), runs[0], runs[1], runs[2],
          runs[3], runs[4], runs[5], runs[6], runs[7], calSeconds);
      System.out.print(line);
      md.append(line);
    }
    md.append("\nMeans of the two measured runs of each workload; ranges in the runs column. (s) is the Spark "
        + "side without decoding or the model; s÷(r+s) bounds q÷r when the Spark side's own work adds to the "
        + "raw loop's on the same slots. Calibration: the "
        + "id ranking, the sample read and one fp32 pass over it, measured once per config (cached afterwards).\n");
    BenchReport.append("featurize", "bench/run featurize " + String.join(" ", args), md.toString());
    spark.stop();
  }

  /**
   * (s): lists and reads the files as {@link FeaturizeBench#featurize} does, and writes a row's
   * {@code dims}-float array (the file's length, so every file's bytes are read) to the same Parquet
   * output with the same options: the featurizer's work minus decoding and the model.
   */
  private static void ioAlone(SparkSession spark, Path dir, Path out, int dims, int limit) {
    Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString());
    if (limit > 0) {
      files = files.limit(limit);
    }
    files.select(col("path"), array_repeat(length(col("content")).cast("float"), dims).as("features"))
        .write().mode("overwrite").option("parquet.enable.dictionary", "false").parquet(out.toString());
  }

  private static long rawLoop(List<Path> files, ModelSession session, ResolvedModel rm, String layer, int batch,
      int slots) throws Exception {
    return FeaturizeBench.rawLoop(files, session, rm.preprocessing(), rm.pixelInput(), layer, batch, slots);
  }
}
