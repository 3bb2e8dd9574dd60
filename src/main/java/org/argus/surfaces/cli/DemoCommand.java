package org.argus.surfaces.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.argus.data.FashionMnist;
import org.argus.execution.DownstreamClassifier;
import org.argus.execution.SparkSessions;
import org.argus.execution.StageProbe;
import org.argus.execution.StagedFeatureExtraction;
import org.argus.execution.StagedFeatureExtraction.ExecutionOptions;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.plan.Pooling;
import org.argus.plan.StagedPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code argus demo}: feature transfer on Fashion-MNIST with a real pretrained CNN on embedded
 * Spark. Features at several layers come from one staged pass over cut graphs (pixels → l₁, l₁ →
 * l₂, …), each layer's pooled features train one MLlib LogisticRegression, and a table plus {@code
 * report.md}/{@code report.json} compare the layers.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Feature transfer on Fashion-MNIST: which layer of a pretrained CNN transfers best?",
      "Staged pass over cut graphs (each layer computed from the previous one), pooled features,",
      "one LogisticRegression per layer; prints a table and writes report.md/report.json."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--model", description = "roster model: ${COMPLETION-CANDIDATES}", defaultValue = "mobilenet_v2", completionCandidates = RosterNames.class)
  String model;

  @Option(names = "--layers", split = ",", description = "layers to compare (default: 4 curated layers of the model)")
  List<String> layers;

  @Option(names = "--pooling", defaultValue = "max:2", description = "none | avg | max | avg:K | max:K (default ${DEFAULT-VALUE}, Vista's)")
  String pooling;

  @Option(names = "--input-size", description = "square input size in pixels (default: 96 for mobilenet_v2, 139 for inception_v3; 28x28 images are upsampled to it)")
  Integer inputSize;

  @Option(names = "--train", defaultValue = "4000", description = "training images drawn from the official train split (default ${DEFAULT-VALUE})")
  int train;

  @Option(names = "--test", defaultValue = "1000", description = "test images drawn from the official test split (default ${DEFAULT-VALUE})")
  int test;

  @Option(names = "--seed", defaultValue = "42", description = "seed of the sample (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--batch-size", defaultValue = "32", description = "images per ONNX Runtime call (default ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--master", defaultValue = "local[*]", description = "Spark master (default ${DEFAULT-VALUE})")
  String master;

  @Option(names = "--max-iter", defaultValue = "100", description = "LogisticRegression iterations (default ${DEFAULT-VALUE})")
  int maxIter;

  @Option(names = "--reg-param", defaultValue = "0.001", description = "LogisticRegression L2 strength (default ${DEFAULT-VALUE})")
  double regParam;

  @Option(names = "--out", defaultValue = "argus-out/demo", description = "output folder for report.md and report.json (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  static final class RosterNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Roster.names().iterator();
    }
  }

  static List<String> defaultLayers(String model) {
    return switch (model) {
      case "inception_v3" -> List.of("mixed5", "mixed7", "mixed9", "mixed10");
      default -> List.of("block_6_expand_relu", "block_13_expand_relu", "block_16_project_BN", "out_relu");
    };
  }

  static int defaultInputSize(String model) {
    return model.equals("inception_v3") ? 139 : 96;
  }

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    RosterModel rm = Roster.get(model);
    Pooling pool = Pooling.parse(pooling);
    List<String> chosen = layers == null || layers.isEmpty() ? defaultLayers(model) : layers;
    int size = inputSize == null ? defaultInputSize(model) : inputSize;
    if (size < rm.minInputSize()) {
      throw new IllegalArgumentException(
          "--input-size " + size + " is below " + model + "'s minimum " + rm.minInputSize());
    }
    if (train < 10 || test < 10) {
      throw new IllegalArgumentException(
          "--train and --test must be at least 10 images, found " + train + " and " + test);
    }
    PreprocessingSpec spec = rm.preprocessing().withSize(size, size);
    try (ConsoleProgress progress = new ConsoleProgress(System.err, 3000)) {
      progress.step("[1/5] provisioning fashion-mnist");
      FashionMnist.provision();
      progress.step("[2/5] provisioning " + model + " (npm nsfwjs@4.4.0 → TF.js → ONNX, cached)");
      Path onnx = PretrainedModels.onnxFile(model);
      OnnxModel full = OnnxModel.load(onnx);
      Roster.checkLayers(rm, chosen, new java.util.HashSet<>(full.tensorNames()));
      StagedPlan plan = StagedPlan.build(full, model, rm.inputTensor(), chosen, spec, pool);
      int cores = Runtime.getRuntime().availableProcessors();
      List<long[]> shapes = StageProbe.shapes(plan, 1);
      progress.step("[3/5] plan\n" + plan.explain().stripTrailing());

      boolean ownSession =
          SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
      SparkSession spark = SparkSessions.create(master, "argus-demo", verbose);
      int slots = spark.sparkContext().defaultParallelism();
      int threads = Math.max(1, cores / Math.max(1, slots));
      Dataset<Row> trainDf = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, train, seed).withColumn("split", lit("train"));
      Dataset<Row> testDf = FashionMnist.sample(spark, FashionMnist.Split.TEST, test, seed).withColumn("split", lit("test"));
      Dataset<Row> images = trainDf.unionByName(testDf).repartition(Math.max(slots * 4, 4), col("id"));
      progress.step(
          "[4/5] staged feature transfer on " + (train + test) + " images (" + train + " train / "
              + test + " test), " + slots + " task slots × " + threads + " ORT threads");
      DownstreamClassifier lr = new DownstreamClassifier(maxIter, regParam);
      List<DemoReport.LayerRow> rows = new ArrayList<>();
      new StagedFeatureExtraction(
              spark,
              plan,
              new ExecutionOptions(batchSize, threads, StorageLevel.MEMORY_AND_DISK()),
              progress)
          .run(
              images,
              "image",
              shapes,
              stage -> {
                Dataset<Row> d = stage.data();
                DownstreamClassifier.Evaluation ev =
                    lr.fitAndEvaluate(
                        // few partitions: L-BFGS runs one Spark job per iteration
                        d.filter(col("split").equalTo("train")).coalesce(slots),
                        d.filter(col("split").equalTo("test")).coalesce(slots),
                        StagedFeatureExtraction.FEATURES,
                        "label");
                DemoReport.LayerRow row =
                    new DemoReport.LayerRow(
                        stage.stage().layer(),
                        stage.featureDim(),
                        ev.accuracy(),
                        ev.macroF1(),
                        stage.seconds() + ev.seconds(),
                        stage.seconds(),
                        ev.seconds(),
                        stage.activationShape());
                rows.add(row);
                progress.step(
                    String.format(
                        "  %s: dim %d, accuracy %.4f, macro-F1 %.4f (train %.1f s)",
                        row.layer(), row.dim(), row.accuracy(), row.f1(), ev.seconds()));
              });
      double total = (System.nanoTime() - t0) / 1e9;
      DemoReport report =
          new DemoReport(
              model, train, test, rows, total, spec.compact(), pool.toString(), seed,
              full.sha256(), "staged", slots, threads, batchSize, maxIter, regParam);
      progress.step("[5/5] report → " + out.toAbsolutePath());
      Files.createDirectories(out);
      report.write(out);
      System.out.print(report.table());
      if (ownSession) {
        spark.stop();
      }
    }
    return 0;
  }
}
