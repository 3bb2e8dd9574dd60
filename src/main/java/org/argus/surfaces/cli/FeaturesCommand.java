package org.argus.surfaces.cli;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.execution.SparkSessions;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Precision;
import org.argus.model.resolve.ModelRef;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.surfaces.ml.DeepImageFeaturizer;
import org.argus.surfaces.report.FeaturesReport;
import org.argus.surfaces.report.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code argus features} (CaffeOnSpark's {@code -features}): the activations of one or more layers
 * of a CNN for every image, pooled, written as Parquet. The work is {@link DeepImageFeaturizer}'s
 * (the one inference kernel: one ONNX Runtime pass over the graph cut at the highest requested
 * layer, fp32 or int8), run with {@code handleInvalid=keep} so that no row vanishes: usable rows go
 * to {@code OUT/features} ({@code id}, {@code label} and {@code split} when the source has them, one
 * column per layer named by the layer, {@code array<float>} or ml {@code vector}), unusable ones —
 * null, undecodable or malformed images, and the files an image folder could not decode — to
 * {@code OUT/quarantine} ({@code id string, reason string}), counted by reason in the report. The run
 * ends with {@code OUT/report.json} and {@code OUT/report.md} ({@code FeaturesReport}, with
 * provenance); a report in OUT marks a finished run.
 *
 * <p>Under {@code spark-submit} the session is the submitted application's (its {@code --master});
 * {@code --master} here is for embedded runs and defaults to {@code local[*]}.
 */
@Command(
    name = "features",
    mixinStandardHelpOptions = true,
    description = {
      "Features of any layers of a CNN for every image, pooled, to Parquet (one column per layer;",
      "unusable images go to OUT/quarantine with their reason). fp32 or int8; writes report.json/md."
    },
    footer = {
      "",
      "Examples:",
      "  argus features --layers block_6_expand_relu,out_relu --train 4000 \\",
      "      --test 1000 --out out/fm",
      "  argus features --model inception_v3 --layers mixed5,mixed7 --pooling avg \\",
      "      --data photos/ --out out/photos",
      "  argus features --layers out_relu --precision int8 --calibration minmax:256 \\",
      "      --out out/int8",
      "  argus features --model my.onnx --preprocessing 224:rgb:tf:nhwc \\",
      "      --layers conv5 --data images.parquet --id-col key --image-col content \\",
      "      --out hdfs:///features/run1 --overwrite",
      "  spark-submit --class org.argus.surfaces.cli.ArgusCli target/argus-app.jar \\",
      "      features --layers out_relu --out hdfs:///features/run2   (see README)",
      "",
      "Output: OUT/features (Parquet: id [label] [split] <one column per layer>),",
      "OUT/quarantine (Parquet: id reason), OUT/report.json, OUT/report.md.",
      "Exit codes: 0 done, 1 failure, 2 bad usage."
    })
final class FeaturesCommand implements Callable<Integer> {
  /** Column of the featurizer's invalid reason (kept rows). */
  private static final String REASON = "_argus_reason";
  /** Prefix of the featurizer's output columns before they are renamed to the layers. */
  private static final String PREFIX = "_argus_f";

  @Option(names = "--model", defaultValue = "mobilenet_v2", description = "roster model or ONNX file (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--preprocessing", description = "SIZE:ORDER:SCALING:LAYOUT[:RESIZE], e.g. 224:rgb:tf:nhwc: required for an ONNX file, overrides a roster model's")
  String preprocessing;

  @Option(names = "--layers", split = ",", required = true, description = "layers whose activations become features (the model's own names; one pass computes all)")
  List<String> layers;

  @Option(names = "--pooling", defaultValue = "max:2", description = "reduction of 4-D activations: none | avg | max | avg:K | max:K (default ${DEFAULT-VALUE})")
  String pooling;

  @Option(names = "--vector-type", defaultValue = "array", description = "array (array<float>, compact, readable anywhere) | vector (Spark ML vector) (default ${DEFAULT-VALUE})")
  String vectorType;

  @Option(names = "--precision", defaultValue = "fp32", description = "fp32 | int8: int8 quantizes the CNN statically, calibrated on a seeded sample of the images (default ${DEFAULT-VALUE})")
  String precision;

  @Option(names = "--calibration", defaultValue = "minmax:256", description = "int8 calibration METHOD:IMAGES, METHOD minmax | percentile; the sample is drawn with --seed (default ${DEFAULT-VALUE})")
  String calibration;

  @Option(names = "--input-size", description = "square input size (default: 96 for mobilenet_v2, 139 for inception_v3 on Fashion-MNIST, else native)")
  Integer inputSize;

  @Option(names = "--data", defaultValue = FeatureInputs.FASHION_MNIST, description = "fashion-mnist | an image folder (sub-folder name = label) | a Parquet image table (default ${DEFAULT-VALUE})")
  String data;

  @Option(names = "--train", defaultValue = "4000", description = "Fashion-MNIST training images (default ${DEFAULT-VALUE})")
  int train;

  @Option(names = "--test", defaultValue = "1000", description = "Fashion-MNIST test images (default ${DEFAULT-VALUE})")
  int test;

  @Option(names = "--id-col", defaultValue = "id", description = "image table: id column (default ${DEFAULT-VALUE})")
  String idCol;

  @Option(names = "--image-col", defaultValue = "image", description = "image table: Spark image struct or binary image column (default ${DEFAULT-VALUE})")
  String imageCol;

  @Option(names = "--label-col", defaultValue = "label", description = "image table: label column, kept when present (default ${DEFAULT-VALUE})")
  String labelCol;

  @Option(names = "--seed", defaultValue = "42", description = "seed of the Fashion-MNIST sample and the int8 calibration sample (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--batch-size", defaultValue = "8", description = "images per ONNX Runtime call (default ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--ort-threads", defaultValue = "1", description = "ONNX Runtime threads per task; task slots × this ≤ cores (default ${DEFAULT-VALUE})")
  int ortThreads;

  @Option(names = "--partitions", description = "partitions during inference (default: max(2 × default parallelism, images / 256))")
  Integer partitions;

  @Option(names = "--master", description = "Spark master (default: the spark-submit'ed application's, else local[*])")
  String master;

  @Option(names = "--out", defaultValue = "argus-out/features", description = "output folder, local or a Hadoop URI (default ${DEFAULT-VALUE})")
  String out;

  @Option(names = "--overwrite", description = "replace the outputs of an earlier run in --out")
  boolean overwrite;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  /**
   * Checks the options that need no Spark session (before one starts).
   *
   * @throws IllegalArgumentException naming the option, its value and what is valid
   */
  void validate() {
    Pooling.parse(pooling);
    Precision.parse(precision);
    TransferCommand.calibrationSpec(calibration, seed);
    if (!vectorType.equals("array") && !vectorType.equals("vector")) {
      throw new IllegalArgumentException("--vector-type '" + vectorType + "' is not array or vector");
    }
    if (batchSize < 1 || ortThreads < 1 || (partitions != null && partitions < 1)) {
      throw new IllegalArgumentException("--batch-size " + batchSize + ", --ort-threads " + ortThreads
          + ", --partitions " + partitions + ": each must be ≥ 1");
    }
    if (train < 0 || test < 0) {
      throw new IllegalArgumentException("--train " + train + " and --test " + test + " must be ≥ 0");
    }
    for (String l : layers) {
      if (FeatureInputs.KEY_COLUMNS.contains(l)) {
        throw new IllegalArgumentException("layer '" + l + "' would collide with the output column of that name ("
            + FeatureInputs.KEY_COLUMNS + ")");
      }
    }
    if (layers.stream().distinct().count() != layers.size()) {
      throw new IllegalArgumentException("--layers " + layers + " names a layer twice");
    }
  }

  /** @return the featurizer these options describe (model, layers, pooling, precision, batching; keep mode) */
  DeepImageFeaturizer featurizer() {
    ModelRef ref = ModelRef.parse(model, preprocessing == null ? null : PreprocessingSpec.parse(preprocessing), 0);
    DeepImageFeaturizer f = new DeepImageFeaturizer();
    if (ref.isFile()) {
      f.setModelPath(ref.path());
    } else {
      f.setModelName(ref.name());
    }
    if (preprocessing != null) {
      f.setPreprocessing(preprocessing);
    }
    int size = inputSize != null ? inputSize
        : !data.equals(FeatureInputs.FASHION_MNIST) ? 0
            : model.equals("inception_v3") ? 139 : model.equals("mobilenet_v2") ? 96 : 0;
    CalibrationSpec cal = TransferCommand.calibrationSpec(calibration, seed);
    return f.setImageSize(size)
        .setLayers(layers.toArray(new String[0]))
        .setPooling(pooling)
        .setOutputType(vectorType)
        .setOutputCol(PREFIX)
        .setHandleInvalid("keep")
        .setInvalidReasonCol(REASON)
        .setBatchSize(batchSize)
        .setIntraOpThreads(ortThreads)
        .setPrecision(precision)
        .setCalibration(cal.sampleSize(), cal.method().paramValue(), cal.seed());
  }

  /** @return every setting, in a stable order, for the report's provenance */
  Map<String, String> settings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model", model);
    m.put("preprocessing", preprocessing == null ? "the model's (roster)" : preprocessing);
    m.put("input_size", String.valueOf(inputSize));
    m.put("layers", String.join(",", layers));
    m.put("pooling", pooling);
    m.put("vector_type", vectorType);
    m.put("precision", precision);
    m.put("calibration", calibration);
    m.put("data", data);
    if (data.equals(FeatureInputs.FASHION_MNIST)) {
      m.put("train", String.valueOf(train));
      m.put("test", String.valueOf(test));
    } else {
      m.put("id_col", idCol);
      m.put("image_col", imageCol);
      m.put("label_col", labelCol);
    }
    m.put("seed", String.valueOf(seed));
    m.put("batch_size", String.valueOf(batchSize));
    m.put("ort_threads", String.valueOf(ortThreads));
    m.put("partitions", partitions == null ? "the input's" : String.valueOf(partitions));
    m.put("out", out);
    return m;
  }

  /**
   * Checks the options and OUT, starts (or joins) the session, reads the images, extracts and
   * writes the features and the quarantine, then the report.
   *
   * @return 0
   * @throws IllegalArgumentException for bad options or input (the message names the value and
   *     what is valid): exit code 1
   * @throws ArgusException when the model or Fashion-MNIST cannot be provisioned
   * @throws IOException when OUT cannot be listed or the report cannot be written
   */
  @Override
  public Integer call() throws ArgusException, IOException {
    validate();
    DeepImageFeaturizer f = featurizer().checkModel(); // unknown model or layer: refused before Spark starts
    prepareOut(new Configuration());
    String m = master; // null: the submitted application's master, else local[*] (SparkSessions.create)
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(m, "argus-features", verbose);
    try (ConsoleProgress progress = new ConsoleProgress(System.err, 3000);
        FeatureInputs in = FeatureInputs.read(spark,
            new FeatureInputs.Source(data, train, test, seed, idCol, imageCol, labelCol))) {
      f.transformSchema(in.rows().schema()); // the image column: checked before any job
      FeaturesReport.Document doc = FeatureExtraction.run(spark, in, f, layers, out, partitions, progress);
      progress.step("report → " + out);
      // last: a report in OUT marks a finished run
      FeaturesReport.write(out, Provenance.of(FeaturesReport.KIND, seed, settings(), List.of(new Provenance.ModelUse(
          model, f.modelSha256(), layers, f.effectivePreprocessing()))), doc, spark.sparkContext().hadoopConfiguration());
      System.out.print(FeaturesReport.summary(doc));
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
    return 0;
  }

  /**
   * Refuses an {@code --out} that holds anything unless {@code --overwrite}; with it, deletes an
   * earlier report first (a report in OUT marks a finished run).
   *
   * @throws IllegalArgumentException when OUT exists, is not empty and {@code --overwrite} is not given
   * @throws IOException when OUT cannot be listed or the old report deleted
   */
  private void prepareOut(Configuration conf) throws IOException {
    Path dir = new Path(out);
    FileSystem fs = dir.getFileSystem(conf);
    if (!fs.exists(dir)) {
      return;
    }
    FileStatus[] entries = fs.listStatus(dir);
    if (entries.length > 0 && !overwrite) {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < Math.min(5, entries.length); i++) {
        names.add(entries[i].getPath().getName());
      }
      throw new IllegalArgumentException("--out " + out + " exists and is not empty (" + String.join(", ", names)
          + (entries.length > 5 ? ", …" : "") + "); give --overwrite to replace an earlier run's outputs, or "
          + "another folder");
    }
    for (String f : List.of("report.json", "report.md")) {
      fs.delete(new Path(dir, f), false);
    }
  }

  /** Column of one layer in the features Parquet: the layer's own name. */
  static Column layerColumn(String name) {
    return col("`" + name.replace("`", "``") + "`");
  }
}
