package org.argus.execution.inference;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.quantize.ActivationRanges;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Int8Quantizer;
import org.argus.model.quantize.RangeStats;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * Calibration of an int8 graph on the user's own images, as Spark jobs: a seeded sample of rows is
 * drawn (the {@code sampleSize} rows with the smallest {@code xxhash64(seed, id)}: only their ids
 * reach the driver), the fused fp32 graph ({@link Int8Quantizer#calibrationGraph}) runs on it in
 * each partition with the same preprocessing as featurization, and per-tensor statistics ({@link
 * RangeStats}) are merged on the driver: one pass for {@link CalibrationMethod#MINMAX}, two (min/max,
 * then histograms) for {@link CalibrationMethod#PERCENTILE}.
 */
public final class Calibration {
  /**
   * Per-JVM cache (driver) of calibrations by {@link ActivationRanges.Provenance#key()}: the same
   * graph, method, seed, preprocessing and sample ids are calibrated once per JVM.
   */
  private static final Map<String, Result> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Per-JVM cache (driver) of drawn sample ids by (the input's analyzed plan, semantically hashed;
   * spec; graph): transforming the same input again (e.g. the same files read again) neither redraws
   * the sample nor recalibrates. Input that changes under an unchanged plan (files replaced in place)
   * keeps its first sample until {@link #forgetCached()}.
   */
  private static final Map<String, List<String>> SAMPLES = new java.util.concurrent.ConcurrentHashMap<>();

  private Calibration() {}

  /**
   * Forgets this JVM's cached calibrations (long-lived JVMs that recalibrate on changed images under
   * the same ids; tests that check calibration itself is deterministic).
   */
  public static void forgetCached() {
    CACHE.clear();
    SAMPLES.clear();
  }

  private static RangeStats merged(List<RangeStats> parts, List<String> tensors, float[][] bounds) {
    RangeStats all = new RangeStats(tensors, bounds);
    parts.forEach(all::merge);
    return all;
  }

  /**
   * Ranges and what calibration noticed.
   *
   * @param ranges the calibrated ranges with their provenance
   * @param images decodable images calibrated on
   * @param warnings what the user should know (fewer images than asked, constant tensors)
   * @param checkIds ids of the held-out check set (up to {@link #CHECK_IMAGES} rows drawn after the
   *     sample, never calibrated on) that {@link PrecisionCheck} compares int8 with fp32 on
   */
  public record Result(ActivationRanges ranges, long images, List<String> warnings, List<String> checkIds) {
    /** Copies the lists. */
    public Result {
      warnings = List.copyOf(warnings);
      checkIds = List.copyOf(checkIds);
    }
  }

  /** Images of the held-out check set drawn after the calibration sample. */
  public static final int CHECK_IMAGES = 64;

  /**
   * Calibrates.
   *
   * @param rows the user's rows
   * @param id a column naming a row (a path or id; its values are recorded as the sample ids)
   * @param image the image column (Spark image struct or encoded bytes)
   * @param encoded true when {@code image} holds encoded bytes
   * @param pixelInput the graph's pixel input
   * @param fp32 the fp32 graph to quantize later (pixels → layers)
   * @param source preprocessing spec of the pixel input
   * @param spec method, sample size and seed
   * @param threads ONNX Runtime intra-op threads per task
   * @return the ranges of every tensor the graph's quantization plan needs
   * @throws IllegalArgumentException when fewer than {@link CalibrationSpec#MIN_IMAGES} images decode,
   *     or when the sample is constant (every input value equal: ranges would be degenerate)
   * @throws IllegalStateException when ONNX Runtime fails on the calibration graph
   */
  public static Result run(Dataset<Row> rows, Column id, Column image, boolean encoded, String pixelInput,
      OnnxModel fp32, org.argus.model.roster.PreprocessingSpec source, CalibrationSpec spec, int threads) {
    Dataset<Row> ided = rows.select(id.cast("string").as("id"), image.as("image"));
    // only the ids are ranked and reach the driver; the images are read for the sample alone
    String sampleKey = ided.queryExecution().analyzed().semanticHash() + "/" + spec + "/" + fp32.sha256();
    List<String> ranked = SAMPLES.computeIfAbsent(sampleKey, k -> List.copyOf(ided.select("id")
        .withColumn("calibration_key", xxhash64(lit(spec.seed()), col("id"))).orderBy("calibration_key", "id")
        .limit(spec.sampleSize() + CHECK_IMAGES).select("id").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList()));
    List<String> ids = new ArrayList<>(ranked.subList(0, Math.min(spec.sampleSize(), ranked.size())));
    java.util.Collections.sort(ids);
    List<String> checkIds = ranked.subList(ids.size(), ranked.size());
    ActivationRanges.Provenance p = new ActivationRanges.Provenance(fp32.sha256(), spec.method(), spec.seed(), ids,
        source.compact());
    Result cached = CACHE.get(p.key());
    if (cached != null) {
      return cached;
    }
    Dataset<Row> sample = ided.filter(col("id").isin(ids.toArray())).cache();
    try {
      Int8Quantizer.Calibrated cal;
      try {
        cal = Int8Quantizer.calibrationGraph(fp32);
      } catch (ModelFormatException e) {
        throw new IllegalStateException("cannot build the calibration graph of " + fp32.sourceName() + ": "
            + e.getMessage(), e);
      }
      List<String> tensors = new ArrayList<>(List.of(pixelInput));
      tensors.addAll(cal.plan().measuredTensors().stream().filter(t -> !t.equals(pixelInput)).toList());
      SparkSession spark = rows.sparkSession();
      TensorSource.Images src = new TensorSource.Images(1, encoded, source);
      // the min/max pass fetches 2 scalars a tensor (ReduceMin/ReduceMax in the graph), not the tensors
      Pass pass = new Pass(cal.minMax().sha256(), broadcast(spark, cal.minMax()), pixelInput, tensors, src, threads,
          null);
      RangeStats first = merged(sample.javaRDD().mapPartitions(pass).collect(), tensors, null);
      List<String> warnings = new ArrayList<>();
      check(first, ids, spec, warnings);
      RangeStats last = first;
      if (spec.method() == CalibrationMethod.PERCENTILE) { // histograms need the whole tensors
        last = merged(sample.javaRDD().mapPartitions(new Pass(cal.model().sha256(), broadcast(spark, cal.model()),
            pixelInput, tensors, src, threads, first.minMax())).collect(), tensors, first.minMax());
      }
      Map<String, float[]> ranges = last.ranges(spec.method());
      long constant = ranges.values().stream().filter(r -> !(r[1] > r[0])).count();
      if (constant > 0) {
        warnings.add(constant + " of " + ranges.size() + " calibrated tensors were constant on the sample "
            + "(quantized with scale 1)");
      }
      Result r = new Result(new ActivationRanges(ranges, p), first.images(), warnings, checkIds);
      CACHE.put(p.key(), r);
      return r;
    } finally {
      sample.unpersist();
    }
  }

  private static Broadcast<byte[]> broadcast(SparkSession spark, OnnxModel graph) {
    return spark.sparkContext().broadcast(graph.toBytes(), scala.reflect.ClassTag$.MODULE$.apply(byte[].class));
  }

  private static void check(RangeStats s, List<String> ids, CalibrationSpec spec, List<String> warnings) {
    if (s.images() < CalibrationSpec.MIN_IMAGES) {
      throw new IllegalArgumentException("int8 calibration needs at least " + CalibrationSpec.MIN_IMAGES
          + " decodable images; the sample of " + ids.size() + " rows (" + spec.sampleSize() + " asked) has "
          + s.images() + ": use precision fp32 for so little data");
    }
    float[] in = s.minMax()[0];
    if (!(in[1] > in[0])) {
      throw new IllegalArgumentException("int8 calibration sample of " + s.images() + " images is constant (every "
          + "input value is " + in[0] + "): activation ranges would be degenerate; calibrate on real images "
          + "(sample ids " + ids.subList(0, Math.min(3, ids.size())) + (ids.size() > 3 ? "…" : "") + ")");
    }
    if (s.images() < spec.sampleSize()) {
      warnings.add("int8 calibration used " + s.images() + " images, fewer than the " + spec.sampleSize()
          + " asked (the data has only " + ids.size() + " rows, " + (ids.size() - s.images()) + " undecodable)");
    }
  }

  /** One partition of one calibration pass (executor side). */
  private static final class Pass implements FlatMapFunction<Iterator<Row>, RangeStats>, Serializable {
    private static final long serialVersionUID = 1L;
    private static final int BATCH = 8;
    private final String sha256;
    private final Broadcast<byte[]> bytes;
    private final String pixelInput;
    private final List<String> tensors;
    private final TensorSource.Images source;
    private final int threads;
    private final float[][] bounds;

    Pass(String sha256, Broadcast<byte[]> bytes, String pixelInput, List<String> tensors,
        TensorSource.Images source, int threads, float[][] bounds) {
      this.sha256 = sha256;
      this.bytes = bytes;
      this.pixelInput = pixelInput;
      this.tensors = List.copyOf(tensors);
      this.source = source;
      this.threads = threads;
      this.bounds = bounds;
    }

    @Override
    public Iterator<RangeStats> call(Iterator<Row> rows) throws InferenceException {
      RangeStats stats = new RangeStats(tensors, bounds);
      ModelSession session = TaskSessions.get(sha256, bytes::value, threads);
      boolean reduced = bounds == null; // a min/max pass runs the graph of Calibrated#minMax
      List<String> fetched = new ArrayList<>();
      for (String t : tensors.subList(1, tensors.size())) {
        if (reduced) {
          fetched.add(Int8Quantizer.minMaxOutput(t, true));
          fetched.add(Int8Quantizer.minMaxOutput(t, false));
        } else {
          fetched.add(t);
        }
      }
      for (ExampleBatches.Batch b = ExampleBatches.next(rows, source, BATCH); b != null;
          b = ExampleBatches.next(rows, source, BATCH)) {
        float[] x = b.values();
        int n = b.examples();
        stats.observe(0, x, 0, x.length);
        List<ModelSession.Output> outs = session.run(pixelInput, x, source.batchShape(n), fetched);
        for (int t = 0; t < tensors.size() - 1; t++) {
          float[] v = reduced ? new float[] {outs.get(2 * t).values()[0], outs.get(2 * t + 1).values()[0]}
              : outs.get(t).values();
          stats.observe(t + 1, v, 0, v.length);
        }
        stats.countImages(n);
      }
      return List.of(stats).iterator();
    }
  }
}
