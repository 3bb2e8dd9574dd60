package org.argus.surfaces.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.FeatureTransfer;
import org.argus.execution.SparkSessions;
import org.argus.execution.TransferResult;
import org.argus.execution.TransferSpec;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.plan.cost.CostModel;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.JoinStrategy;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.plan.cost.Persistence;
import org.argus.plan.cost.PhysicalPlan;
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
 */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    description = {
      "Which layer of a pretrained CNN transfers best? Features at several layers (lazy, eager or",
      "staged plan chosen by a memory-aware optimizer), optionally joined with a structured table,",
      "one downstream model per layer; prints the table, writes report.md/report.json."
    })
final class TransferCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "mobilenet_v2", description = "roster model or ONNX file (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--preprocessing", description = "for an ONNX file: SIZE:ORDER:SCALING:LAYOUT, e.g. 224:rgb:tf:nhwc")
  String preprocessing;

  @Option(names = "--layers", split = ",", description = "layers (any order; sorted bottom to top)")
  List<String> layers;

  @Option(names = "--top", description = "the top K of the roster model's feature layers (default 4 when --layers is not given)")
  Integer top;

  @Option(names = "--pooling", defaultValue = "max:2", description = "none | avg | max | avg:K | max:K (default ${DEFAULT-VALUE})")
  String pooling;

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

  @Option(names = "--master", defaultValue = "local[*]", description = "Spark master (default ${DEFAULT-VALUE})")
  String master;

  @Option(names = "--out", defaultValue = "argus-out/transfer", description = "report folder (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--save-models", description = "save each layer's fitted downstream model under DIR/<layer>")
  Path saveModels;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  TransferSpec spec(SparkSession spark) {
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
            columnBatch));
    return b.build();
  }

  @Override
  public Integer call() throws Exception {
    boolean ownSession =
        SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(master, "argus-transfer", verbose);
    try (ConsoleProgress progress = new ConsoleProgress(System.err, 3000)) {
      TransferSpec s = spec(spark);
      progress.step("[1/3] preparing: model " + model + ", inputs, sizes, optimizer");
      FeatureTransfer ft = FeatureTransfer.prepare(spark, s, progress);
      String explainText = ft.explain();
      if (explain) {
        System.out.print(explainText);
        return 0;
      }
      progress.step("[2/3] running\n" + explainText.stripTrailing());
      TransferResult r = ft.run();
      progress.step("[3/3] report → " + out.toAbsolutePath());
      Files.createDirectories(out);
      write(r, explainText, out);
      if (saveModels != null) {
        for (TransferResult.LayerResult l : r.layers()) {
          if (l.model() instanceof MLWritable w) {
            w.write().overwrite().save(saveModels.resolve(l.layer()).toString());
          }
        }
        progress.step("models saved under " + saveModels.toAbsolutePath());
      }
      System.out.print(table(r));
      System.out.print(r.estimatedVsMeasured());
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
    return 0;
  }

  static String table(TransferResult r) {
    StringBuilder sb = new StringBuilder();
    TransferResult.CrossValidation cv0 = r.layers().isEmpty() ? null : r.layers().get(0).crossValidation();
    String cvName = cv0 == null ? "" : cv0.folds() + "-fold " + cv0.metric();
    String cvHead = cv0 == null ? "" : " | " + cvName + " | chosen params";
    sb.append(String.format("%n%-24s | %11s | %8s | %8s | %6s | %9s | %8s%s%n", "layer", "feature dim", "accuracy",
        "macro-F1", "AUC", "infer s", "train s", cvHead));
    sb.append("-".repeat(92 + (cv0 == null ? 0 : 40))).append('\n');
    for (TransferResult.LayerResult l : r.layers()) {
      TransferResult.CrossValidation cv = l.crossValidation();
      sb.append(String.format("%-24s | %11d | %8.4f | %8.4f | %6s | %9.1f | %8.1f%s%n", l.layer(), l.featureDim(),
          l.accuracy(), l.macroF1(), Double.isNaN(l.auc()) ? "-" : String.format("%.4f", l.auc()),
          l.inferenceSeconds() + l.materializationSeconds(), l.trainingSeconds(),
          cv == null ? "" : String.format(" | %" + cvName.length() + ".4f | %s", cv.meanMetric(), cv.chosenParams())));
    }
    if (cv0 != null) {
      sb.append(String.format("(accuracy, macro-F1 and AUC: the chosen params refitted on the whole training split, "
          + "scored on the test split; %d-fold %s: mean over the held-out folds)%n", cv0.folds(), cv0.metric()));
    }
    PhysicalPlan p = r.decision().chosen();
    TransferResult.Measured m = r.measured();
    sb.append(String.format("%nplan: %s%n", p.summary()));
    sb.append(String.format("estimated peak heap %s, measured %s; estimated materialized %s (held ≤ %s), measured held %s; "
            + "spilled %s memory / %s disk; %.1f s total%n",
        CostModel.bytes(p.peakHeapBytesPerExecutor()), m.peakHeapBytes() < 0 ? "?" : CostModel.bytes(m.peakHeapBytes()),
        CostModel.bytes(p.materializedBytes()),
        CostModel.bytes(p.stages().stream().mapToLong(x -> x.heldBytes()).max().orElse(0)),
        CostModel.bytes(m.materializedBytes()), CostModel.bytes(m.memoryBytesSpilled()),
        CostModel.bytes(m.diskBytesSpilled()), r.totalSeconds()));
    TransferResult.Counts c = r.counts();
    sb.append(String.format("rows: %d images, %d table rows, %d joined, %d/%d dropped by the join (images/table), "
            + "quarantined %d undecodable, %d duplicate ids, %d null/NaN%n",
        c.imageRows(), c.tableRows(), c.joinedRows(), c.imagesDroppedByJoin(), c.tableRowsDroppedByJoin(),
        c.quarantinedUndecodable(), c.quarantinedDuplicateIds(), c.quarantinedNullValues()));
    return sb.toString();
  }

  static void write(TransferResult r, String explainText, Path dir) throws java.io.IOException {
    ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = om.createObjectNode();
    ArrayNode arr = root.putArray("layers");
    for (TransferResult.LayerResult l : r.layers()) {
      ObjectNode n = arr.addObject();
      n.put("layer", l.layer());
      n.put("feature_dim", l.featureDim());
      ArrayNode sh = n.putArray("activation_shape");
      for (long d : l.activationShape()) {
        sh.add(d);
      }
      n.put("accuracy", l.accuracy());
      n.put("macro_f1", l.macroF1());
      if (!Double.isNaN(l.auc())) {
        n.put("auc", l.auc());
      }
      n.put("train_rows", l.trainRows());
      n.put("test_rows", l.testRows());
      n.put("inference_seconds", l.inferenceSeconds());
      n.put("materialization_seconds", l.materializationSeconds());
      n.put("training_seconds", l.trainingSeconds());
      TransferResult.CrossValidation cv = l.crossValidation();
      if (cv != null) {
        ObjectNode c = n.putObject("cross_validation");
        c.put("folds", cv.folds());
        c.put("metric", cv.metric());
        ObjectNode params = c.putObject("chosen_params");
        cv.chosenParams().forEach(params::put);
        c.put("mean_metric", cv.meanMetric());
        ArrayNode gm = c.putArray("grid_metrics");
        cv.gridMetrics().forEach(gm::add);
      }
    }
    PhysicalPlan p = r.decision().chosen();
    ObjectNode plan = root.putObject("plan");
    plan.put("logical", p.logical().cliName());
    plan.put("persistence", p.persistence().name());
    plan.put("partitions", p.partitions());
    plan.put("tasks_per_executor", p.tasksPerExecutor());
    plan.put("ort_threads", p.ortThreads());
    plan.put("batch_size", p.batchSize());
    plan.put("column_batch_rows", p.columnBatchRows());
    plan.put("join_placement", p.joinPlacement().name());
    plan.put("join_strategy", p.joinStrategy().name());
    ObjectNode est = root.putObject("estimated");
    est.put("peak_heap_bytes_per_executor", p.peakHeapBytesPerExecutor());
    est.put("peak_native_bytes_per_executor", p.peakNativeBytesPerExecutor());
    est.put("materialized_bytes", p.materializedBytes());
    est.put("relative_cost", 1.0);
    TransferResult.Measured m = r.measured();
    ObjectNode meas = root.putObject("measured");
    meas.put("seconds", m.seconds());
    meas.put("peak_heap_bytes", m.peakHeapBytes());
    meas.put("memory_bytes_spilled", m.memoryBytesSpilled());
    meas.put("disk_bytes_spilled", m.diskBytesSpilled());
    meas.put("peak_execution_memory_bytes", m.peakExecutionMemoryBytes());
    meas.put("max_bytes_held", m.materializedBytes());
    ArrayNode phases = meas.putArray("phases");
    for (TransferResult.PhaseMetrics ph : m.phases()) {
      ObjectNode o = phases.addObject();
      o.put("label", ph.label());
      o.put("inference", ph.inference());
      o.put("seconds", ph.seconds());
      o.put("tasks", ph.tasks());
      o.put("peak_execution_memory_bytes", ph.peakExecutionMemoryBytes());
      o.put("memory_bytes_spilled", ph.memoryBytesSpilled());
      o.put("disk_bytes_spilled", ph.diskBytesSpilled());
      if (ph.heldBytes() >= 0) {
        o.put("held_bytes", ph.heldBytes());
      }
    }
    TransferResult.Counts c = r.counts();
    ObjectNode cn = root.putObject("counts");
    cn.put("image_rows", c.imageRows());
    cn.put("table_rows", c.tableRows());
    cn.put("joined_rows", c.joinedRows());
    cn.put("images_dropped_by_join", c.imagesDroppedByJoin());
    cn.put("table_rows_dropped_by_join", c.tableRowsDroppedByJoin());
    cn.put("quarantined_undecodable", c.quarantinedUndecodable());
    cn.put("quarantined_duplicate_ids", c.quarantinedDuplicateIds());
    cn.put("quarantined_null_values", c.quarantinedNullValues());
    ArrayNode notes = root.putArray("notes");
    r.notes().forEach(notes::add);
    root.put("explain", explainText);
    root.put("estimated_vs_measured", r.estimatedVsMeasured());
    root.put("total_seconds", r.totalSeconds());
    root.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    Files.writeString(dir.resolve("report.json"), om.writeValueAsString(root) + "\n");
    StringBuilder md = new StringBuilder("# Argus feature transfer\n\n");
    TransferResult.CrossValidation cv0 = r.layers().isEmpty() ? null : r.layers().get(0).crossValidation();
    md.append("| layer | feature dim | accuracy | macro-F1 | AUC | inference s | training s |")
        .append(cv0 == null ? "" : " " + cv0.folds() + "-fold " + cv0.metric() + " | chosen params |")
        .append("\n|---|---:|---:|---:|---:|---:|---:|").append(cv0 == null ? "" : "---:|---|").append('\n');
    for (TransferResult.LayerResult l : r.layers()) {
      TransferResult.CrossValidation cv = l.crossValidation();
      md.append(String.format("| `%s` | %d | %.4f | %.4f | %s | %.1f | %.1f |%s%n", l.layer(), l.featureDim(), l.accuracy(),
          l.macroF1(), Double.isNaN(l.auc()) ? "–" : String.format("%.4f", l.auc()),
          l.inferenceSeconds() + l.materializationSeconds(), l.trainingSeconds(),
          cv == null ? "" : String.format(" %.4f | `%s` |", cv.meanMetric(), cv.chosenParams())));
    }
    md.append("\n```\n").append(table(r).strip()).append("\n```\n\n## EXPLAIN\n\n```\n").append(explainText)
        .append("```\n\n## Estimated vs measured\n\n```\n").append(r.estimatedVsMeasured()).append("```\n");
    Files.writeString(dir.resolve("report.md"), md.toString());
  }
}
