package org.argus.surfaces.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.execution.SparkSessions;
import org.argus.execution.fusion.HeadTransfer;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Precision;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.MaterializedFormat;
import org.argus.plan.Pooling;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.JoinStrategy;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.plan.cost.Persistence;
import org.argus.surfaces.report.LiveTransferPage;
import org.argus.surfaces.report.TransferReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code argus transfer}: declarative multi-layer feature transfer (Vista, SIGMOD 2020) on
 * Fashion-MNIST or an image folder, optionally joined with a CSV/Parquet table; the optimizer picks
 * the plan (every decision can be forced), {@code --explain} prints it without running, a run
 * prints the per-layer table and the estimates next to the measurements (EXPLAIN ANALYZE) and writes
 * {@code report.json}/{@code report.md} (and the fitted downstream models with {@code
 * --save-models}). With {@code --cv-folds K} and/or {@code --grid}, the downstream
 * LogisticRegression is chosen per layer by k-fold cross-validation over the grid ({@link
 * ParamGridOption}) and the table shows the chosen params and the mean held-out metric.
 *
 * <p>Every completed layer is checkpointed under {@code OUT/checkpoints} ({@code
 * LayerCheckpoints}); {@code --resume OUT} with the first run's flags reuses the whole ones
 * (sha256 verified) after a crash or a killed driver and computes only the rest — the per-layer
 * results equal an uninterrupted run's.
 */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    description = {
      "Which layer of a pretrained CNN transfers best? Features at several layers (lazy, eager or",
      "staged plan chosen by a memory-aware optimizer), optionally joined with a structured table,",
      "one downstream model per layer; prints the table, writes report.md/report.json;",
      "checkpoints each layer, --resume continues a killed run."
    })
final class TransferCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "mobilenet_v2", description = "roster model or ONNX file (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--preprocessing", description = "SIZE:ORDER:SCALING:LAYOUT[:RESIZE], e.g. 224:rgb:tf:nhwc: required for an ONNX file, overrides a roster model's")
  String preprocessing;

  @Option(names = "--layers", split = ",", description = "layers (any order; sorted bottom to top)")
  List<String> layers;

  @Option(names = "--top", description = "the top K of the roster model's feature layers (default 4 when --layers is not given)")
  Integer top;

  @Option(names = "--pooling", defaultValue = "max:2", description = "none | avg | max | avg:K | max:K (default ${DEFAULT-VALUE})")
  String pooling;

  @Option(names = "--precision", defaultValue = "fp32", description = "fp32 | int8: int8 quantizes the CNN statically, calibrated on a seeded sample of the training images (default ${DEFAULT-VALUE})")
  String precision;

  @Option(names = "--calibration", defaultValue = "minmax:256", description = "int8 calibration METHOD:IMAGES, METHOD minmax | percentile; the sample is drawn with --seed (default ${DEFAULT-VALUE})")
  String calibration;

  @Option(names = "--compare-precision", description = "with --precision int8: also run fp32 on the same inputs and print both accuracies per layer (written to OUT/precision.md)")
  boolean comparePrecision;

  @Option(names = "--input-size", description = "square input size (default: 96 for mobilenet_v2, 139 for inception_v3 on Fashion-MNIST, else native)")
  Integer inputSize;

  @Option(names = "--images", description = "image folder (sub-folder name = label); default: Fashion-MNIST")
  String images;

  @Option(names = "--train", defaultValue = "4000", description = "Fashion-MNIST training images (default ${DEFAULT-VALUE})")
  int train;

  @Option(names = "--test", defaultValue = "1000", description = "Fashion-MNIST test images (default ${DEFAULT-VALUE})")
  int test;

  @Option(names = "--table", description = "structured table, .csv (header) or .parquet, joined on --id-col")
  String table;

  @Option(names = "--id-col", defaultValue = "id", description = "join key (default ${DEFAULT-VALUE})")
  String idCol;

  @Option(names = "--label-col", defaultValue = "label", description = "label column (default ${DEFAULT-VALUE})")
  String labelCol;

  @Option(names = "--features", split = ",", description = "structured feature columns concatenated to the CNN features")
  List<String> features;

  @Option(names = "--plan", defaultValue = "auto", description = "auto | lazy | eager | staged (default ${DEFAULT-VALUE})")
  String plan;

  @Option(names = "--persistence", description = "MEMORY_AND_DISK | MEMORY_AND_DISK_SER | DISK_ONLY (default: optimizer)")
  String persistence;

  @Option(names = "--partitions", description = "partitions during inference (default: optimizer)")
  Integer partitions;

  @Option(names = "--tasks", description = "concurrent inference tasks per executor (default: optimizer)")
  Integer tasks;

  @Option(names = "--ort-threads", description = "ONNX Runtime threads per task (default: optimizer)")
  Integer ortThreads;

  @Option(names = "--batch-size", description = "images per ONNX Runtime call (default: optimizer)")
  Integer batchSize;

  @Option(names = "--column-batch", description = "rows per cached column batch (default: optimizer)")
  Integer columnBatch;

  @Option(names = "--activations", description = "how a staged plan materializes activations: binary-float32 | array-float | binary-uint8 "
      + "(int8 plans: each activation as the uint8 codes of its stage's quantization, a quarter of the bytes, the "
      + "same values read back) (default: binary-uint8 for int8 plans, else binary-float32)")
  String activations;

  @Option(names = "--join", description = "before | after inference (default: optimizer)")
  String join;

  @Option(names = "--join-strategy", description = "broadcast | shuffle (default: optimizer)")
  String joinStrategy;

  @Option(names = "--explain", description = "print the optimizer's plan and the rejected alternatives, do not run")
  boolean explain;

  @Option(names = "--test-fraction", defaultValue = "0.2", description = "held-out fraction without a split column (default ${DEFAULT-VALUE})")
  double testFraction;

  @Option(names = "--seed", defaultValue = "42", description = "seed of sample and split (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--learner", description = "per-layer learner: head (a DJL head per layer — multinomial logistic regression by default — all trained together by MOP over features materialized once) | spark-lr (Spark ML LogisticRegression, one layer after another). Default: head; spark-lr when --grid, --cv-folds, --max-iter, --reg-param or --resume is given")
  String learner;

  /** The default head's hyperparameters as {@code --head} text: {@link HeadTransfer.HeadSpec#DEFAULT}'s config. */
  static final String DEFAULT_HEAD = "lr=0.001,batch=64,wd=0.001,beta2=0.95,decay=cosine,width=0";

  @Option(names = "--head", defaultValue = DEFAULT_HEAD, description = "with --learner head: the head's hyperparameters NAME=V[,NAME=V], each overriding the default head's (lr, batch, wd, optimizer, beta2, decay (cosine: to 0 over the run; none), width (0 = logistic regression), depth, dropout; default ${DEFAULT-VALUE}: spark-lr's objective, L2 = its --reg-param)")
  String headConfig;

  @Option(names = "--head-epochs", defaultValue = "0", description = "with --learner head: epochs; 0 = automatic: 500 optimizer steps' worth, within 8-32 epochs (default ${DEFAULT-VALUE})")
  int headEpochs;

  @Option(names = "--max-iter", defaultValue = "100", description = "LogisticRegression iterations (default ${DEFAULT-VALUE})")
  int maxIter;

  @Option(names = "--reg-param", defaultValue = "0.001", description = "LogisticRegression L2 strength (default ${DEFAULT-VALUE})")
  double regParam;

  @Option(names = "--cv-folds", defaultValue = "0", description = "k-fold cross-validation of the learner on the training split, k ≥ 2 (default: none; 3 with --grid)")
  int cvFolds;

  @Option(names = "--grid", description = "param grid of the learner, cross-validated: NAME=V1,V2[;NAME=V1,…], e.g. 'regParam=0.01,0.1;elasticNetParam=0,0.5'")
  String grid;

  @Option(names = "--cv-metric", defaultValue = "accuracy", description = "cross-validation metric: accuracy | f1 (label-weighted; default ${DEFAULT-VALUE})")
  String cvMetric;

  @Option(names = "--master", description = "Spark master (default: the spark-submit'ed application's, else local[*])")
  String master;

  @Option(names = "--out", defaultValue = "argus-out/transfer", description = "report folder (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the transfer run whose --out was RUN_DIR: layers with whole checkpoints (sha256 verified) are reused, the rest computed; give the first run's flags again")
  Path resume;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec commandSpec;

  @Option(names = "--save-models", description = "save each layer's fitted downstream model under DIR/<layer>")
  Path saveModels;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  TransferSpec spec() {
    TransferSpec.Builder b = TransferSpec.builder().setModel(model);
    if (images != null) {
      b.setImageFolder(images);
    } else {
      b.setFashionMnist(train, test);
    }
    if (layers != null && !layers.isEmpty()) {
      b.setLayers(layers);
    } else {
      b.setTopLayers(top == null ? 4 : top);
    }
    if (preprocessing != null) {
      b.optPreprocessing(PreprocessingSpec.parse(preprocessing));
    }
    int size = inputSize != null ? inputSize
        : images != null ? 0 : model.equals("inception_v3") ? 139 : model.equals("mobilenet_v2") ? 96 : 0;
    b.optInputSize(size);
    if (table != null) {
      b.optTablePath(table);
    }
    b.optIdCol(idCol).optLabelCol(labelCol);
    if (features != null) {
      b.optFeatureCols(features);
    }
    LogisticRegression learner =
        new LogisticRegression().setMaxIter(maxIter).setRegParam(regParam).setFamily("multinomial");
    if (grid != null) {
      b.optParamGrid(ParamGridOption.parse(grid, learner));
    }
    b.optPrecision(Precision.parse(precision)).optCalibration(calibrationSpec(calibration, seed));
    b.optPooling(Pooling.parse(pooling))
        .optLearner(learner)
        .optFolds(cvFolds)
        .optCvMetric(cvMetric)
        .optTestFraction(testFraction)
        .optSeed(seed)
        .optOverrides(new Overrides(
            plan.equalsIgnoreCase("auto") ? null : LogicalPlan.parse(plan),
            persistence == null ? null : Persistence.parse(persistence),
            partitions, tasks, ortThreads, batchSize,
            join == null ? null : JoinPlacement.parse(join),
            joinStrategy == null ? null : JoinStrategy.parse(joinStrategy),
            columnBatch, activations == null ? null : MaterializedFormat.parse(activations)));
    return b.build();
  }

  /**
   * @param text {@code METHOD:IMAGES}, e.g. {@code minmax:256}
   * @param seed the sample draw's seed
   * @return the calibration spec
   * @throws IllegalArgumentException naming the value and the expected form
   */
  static CalibrationSpec calibrationSpec(String text, long seed) {
    String[] p = text.split(":");
    try {
      if (p.length == 2) {
        return new CalibrationSpec(CalibrationMethod.parse(p[0]), Integer.parseInt(p[1].trim()), seed);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("--calibration '" + text + "' is not METHOD:IMAGES (e.g. minmax:256 or "
        + "percentile:512)");
  }

  @Override
  public Integer call() throws ArgusException, IOException {
    Path runDir = out;
    if (resume != null) {
      if (commandSpec.commandLine().getParseResult().hasMatchedOption("--out")
          && !out.toAbsolutePath().normalize().equals(resume.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("--resume " + resume + " continues the run in that folder; --out " + out
            + " names another: drop --out or give the same folder");
      }
      runDir = resume;
    }
    if (comparePrecision && !Precision.parse(precision).equals(Precision.INT8)) {
      throw new IllegalArgumentException("--compare-precision compares int8 with fp32: give --precision int8 too");
    }
    HeadTransfer.HeadSpec head = headSpec();
    if (head != null && resume != null) { // only with an explicit --learner head
      throw new IllegalArgumentException("--resume continues from the per-layer checkpoints of --learner spark-lr; "
          + "--learner head has none (its heads train together after one materialization): run it again without --resume");
    }
    if (head != null && (grid != null || cvFolds > 0)) { // only with an explicit --learner head
      throw new IllegalArgumentException("--grid/--cv-folds cross-validate Spark ML's learner; with --learner head "
          + "search heads with argus select --transfer MODEL --space ...");
    }
    return execute("transfer", master, verbose, explain, runDir, resume != null, saveModels, spec(),
        comparePrecision, head);
  }

  /**
   * @return the head of {@code --learner head}, or null for {@code spark-lr}
   * @throws IllegalArgumentException for another learner or a malformed {@code --head}
   */
  HeadTransfer.HeadSpec headSpec() {
    String l = learner != null ? learner
        : sparkLrOnly(commandSpec.commandLine().getParseResult(), "--grid", "--cv-folds", "--max-iter", "--reg-param",
            "--resume") ? "spark-lr" : "head";
    return headSpec(l, headConfig, headEpochs);
  }

  /** @return whether one of Spark ML's learner's own flags was given (they choose {@code spark-lr}) */
  static boolean sparkLrOnly(picocli.CommandLine.ParseResult parsed, String... flags) {
    for (String f : flags) {
      if (parsed.hasMatchedOption(f)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param learner {@code head} or {@code spark-lr}
   * @param headConfig {@code NAME=V[,NAME=V]}, each overriding {@link HeadTransfer.HeadSpec#DEFAULT}'s value
   * @param headEpochs epochs of the head
   * @return the head of {@code --learner head}, or null for {@code spark-lr}
   * @throws IllegalArgumentException for another learner or a malformed {@code --head}
   */
  static HeadTransfer.HeadSpec headSpec(String learner, String headConfig, int headEpochs) {
    if (learner.equals("spark-lr")) {
      return null;
    }
    if (!learner.equals("head")) {
      throw new IllegalArgumentException("--learner " + learner + "; valid: head, spark-lr");
    }
    java.util.Map<String, Object> c = new java.util.LinkedHashMap<>(HeadTransfer.HeadSpec.DEFAULT.config());
    for (String part : headConfig.split(",")) {
      String[] kv = part.split("=", 2);
      if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
        throw new IllegalArgumentException("--head '" + headConfig + "': '" + part + "' is not NAME=VALUE (e.g. "
            + "lr=0.001,batch=64,width=0)");
      }
      String v = kv[1].strip();
      Object value;
      try {
        value = v.matches("-?\\d+") ? (Object) Long.parseLong(v) : (Object) Double.parseDouble(v);
      } catch (NumberFormatException e) {
        value = v;
      }
      c.put(kv[0].strip(), value);
    }
    return new HeadTransfer.HeadSpec("head", c, headEpochs, 0, 0);
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (Files.exists(p)) {
      try (java.util.stream.Stream<Path> w = Files.walk(p)) {
        for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(x);
        }
      }
    }
  }

  /**
   * Runs feature transfer from the CLI (shared by {@code transfer} and its preset {@code demo}):
   * progress on stderr, EXPLAIN, the run (a checkpoint per completed layer under {@code
   * out/checkpoints}), the table on stdout, {@code report.json}/{@code report.md} (with
   * provenance) and optionally the fitted models.
   *
   * @param resume continue the run in {@code out} from its layer checkpoints
   * @param s the transfer: its model and layers are checked before Spark starts ({@link
   *     FeatureTransfer#checkLayers}), so a misspelt one is refused before anything is written
   * @param comparePrecision after an int8 run, run fp32 too and write {@code out/precision.md}
   * @param head the head of {@code --learner head} (its MOP run in {@code out/heads}), or null for
   *     Spark ML's learner
   * @return the exit code (0)
   * @throws ArgusException when the model or data cannot be provisioned
   * @throws IOException when the report cannot be written
   */
  static int execute(String kind, String master, boolean verbose, boolean explainOnly, Path out, boolean resume,
      Path saveModels, TransferSpec s, boolean comparePrecision, HeadTransfer.HeadSpec head)
      throws ArgusException, IOException {
    FeatureTransfer.checkLayers(s);
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(master, "argus-" + kind, verbose);
    try (ConsoleProgress progress = new ConsoleProgress(System.err, 3000);
        LiveTransferPage live = new LiveTransferPage(out, kind, progress)) {
      progress.step("[1/3] preparing: model " + s.model() + ", inputs, sizes, optimizer");
      FeatureTransfer ft = null;
      HeadTransfer ht = null;
      if (head != null) {
        deleteRecursively(out.resolve("heads"));
        ht = HeadTransfer.prepare(spark, s, head, out.resolve("heads").toString(), live, u -> { });
      } else {
        ft = explainOnly && !resume ? FeatureTransfer.prepare(spark, s, live)
            : FeatureTransfer.prepare(spark, s, live, out, resume);
      }
      String explainText = ht != null ? ht.explain() : ft.explain();
      if (explainOnly) {
        System.out.print(explainText);
        return 0;
      }
      // a report left by an earlier run in OUT would claim this one finished
      Files.deleteIfExists(out.resolve("report.json"));
      Files.deleteIfExists(out.resolve("report.md"));
      progress.step("report page (live): " + live.start(s.describe()));
      progress.step("[2/3] running\n" + explainText.stripTrailing());
      TransferResult r = ht != null ? ht.run() : ft.run();
      progress.step("[3/3] report → " + out.toAbsolutePath());
      org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> quarantine =
          ht != null ? ht.quarantine() : ft.quarantine();
      if (r.counts().quarantined() > 0 && quarantine != null) {
        quarantine.write().mode("overwrite").parquet(out.resolve("quarantine").toString());
        progress.step(r.counts().quarantined() + " quarantined row(s) with their reasons → "
            + out.resolve("quarantine").toAbsolutePath());
      }
      if (saveModels != null && ht != null) {
        ht.writeHeads(saveModels);
        progress.step("heads saved as ONNX under " + saveModels.toAbsolutePath() + "/<layer>/head.onnx");
      } else if (saveModels != null) {
        for (TransferResult.LayerResult l : r.layers()) {
          if (l.model() instanceof MLWritable w) {
            w.write().overwrite().save(saveModels.resolve(l.layer()).toString());
          }
        }
        progress.step("models saved under " + saveModels.toAbsolutePath());
      }
      // last: a report in OUT marks a finished run (written whole, or not at all)
      TransferReport.write(out, TransferReport.provenance(kind, s, r), r, explainText);
      if (ht != null) {
        ht.release();
      } else {
        ft.release();
      }
      System.out.print(TransferReport.table(r));
      System.out.print(r.estimatedVsMeasured());
      if (comparePrecision) {
        progress.step("[compare] the same transfer in fp32");
        TransferResult fp32;
        if (head != null) {
          HeadTransfer h = HeadTransfer.prepare(spark, s.withPrecision(Precision.FP32), head,
              out.resolve("heads-fp32").toString(), progress, u -> { });
          fp32 = h.run();
          h.release();
        } else {
          FeatureTransfer f = FeatureTransfer.prepare(spark, s.withPrecision(Precision.FP32), progress);
          fp32 = f.run();
          f.release();
        }
        String table = PrecisionComparison.table(fp32, r);
        Files.writeString(out.resolve("precision.md"), table);
        System.out.print(table);
      }
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
    return 0;
  }
}
