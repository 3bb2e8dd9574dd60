package org.argus.surfaces.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.data.FashionMnist;
import org.argus.execution.SparkSessions;
import org.argus.execution.mop.Example;
import org.argus.execution.train.Evaluation;
import org.argus.execution.train.TrainCheckpoint;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.TrainerFactory;
import org.argus.surfaces.ml.FineTuning;
import org.argus.runtime.train.Hyperparameters;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.Provenance;
import org.argus.surfaces.report.TrainReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code argus test}: evaluates a checkpoint of an {@code argus train} run on labelled data, on
 * Spark (the state is broadcast; partitions count a confusion matrix): accuracy, macro-F1,
 * per-class precision / recall / support and the confusion matrix, printed and written as {@code
 * report.json}/{@code report.md}. The model is rebuilt from the run's {@code spec.properties};
 * refused before any evaluation: a checkpoint of another model than the run's (sha256 of the
 * model description and config), a class count or example size that differs from the data's.
 */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    description = {"Evaluate a checkpoint of an argus train run: accuracy, macro-F1, per-class precision/recall,"
        + " confusion matrix."},
    footer = {"", "Examples:",
        "  argus test runs/mlp                                   # newest checkpoint, Fashion-MNIST test split",
        "  argus test runs/mlp/checkpoints/epoch-0002.ckpt --images 10000",
        "  argus test runs/head/checkpoints/epoch-0003.ckpt --data parquet:features/test --out runs/head/test"})
final class TestCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CKPT|RUN_DIR", description = "a checkpoint file, or a train run directory (its newest checkpoint)")
  String target;

  @Option(names = "--run-dir", description = "the train run the checkpoint belongs to (default: the checkpoint's run directory)")
  String runDir;

  @Option(names = "--data", defaultValue = "fashion-mnist", description = "fashion-mnist (test split) | parquet:PATH (default ${DEFAULT-VALUE})")
  String data;

  @Option(names = "--images", defaultValue = "1000", description = "Fashion-MNIST test images to sample (default ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--seed", defaultValue = "42", description = "sample seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--batch", defaultValue = "256", description = "examples per prediction batch (default ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--features-col", defaultValue = "features", description = "parquet: features column (default ${DEFAULT-VALUE})")
  String featuresCol;

  @Option(names = "--label-col", defaultValue = "label", description = "parquet: label column (default ${DEFAULT-VALUE})")
  String labelCol;

  @Option(names = "--out", description = "where report.json/report.md go (default RUN_DIR/test)")
  String outDir;

  @Option(names = "--master", description = "Spark master (default: the spark-submit'ed application's, else local[*])")
  String master;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  @Override
  public Integer call() throws ArgusException, IOException {
    PrintStream out = System.out;
    Path t = Path.of(target);
    Path ckpt = Files.isDirectory(t) ? newest(t) : t;
    if (!Files.isRegularFile(ckpt)) {
      throw new IllegalArgumentException(target + " is neither a checkpoint file nor a train run directory");
    }
    String run = runDir != null ? runDir : t.equals(ckpt) ? ckpt.toAbsolutePath().getParent().getParent().toString() : target;
    Map<String, String> spec = new RunDirectory(run).readSpec();
    if (spec == null || !spec.containsKey("model.sha256")) {
      throw new IllegalArgumentException(run + " is not an argus train run directory (spec.properties with model.*"
          + " missing); give it with --run-dir");
    }
    TrainCheckpoint c = TrainCheckpoint.fromBytes(
        new CheckpointStore(ckpt.toAbsolutePath().getParent().toString()).read(ckpt.getFileName().toString()),
        ckpt.toString());
    String sha = TrainCommand.modelSha256(c.model(), c.config());
    if (!sha.equals(spec.get("model.sha256"))) {
      throw new IllegalArgumentException("checkpoint " + ckpt + " is from another model: its sha256 is " + sha
          + " (" + c.model() + ", config " + c.config() + ") but run " + run + " trains sha256 "
          + spec.get("model.sha256") + " (" + spec.get("model.describe") + ", config " + spec.get("model.config") + ")");
    }
    long[] shape = Arrays.stream(spec.get("model.input_shape").split(",")).mapToLong(Long::parseLong).toArray();
    int classes = Integer.parseInt(spec.get("model.classes"));
    String tuned = spec.get("cli.finetune");
    FineTuning ft = tuned == null || tuned.equals("null") ? null
        : FineTuning.resolve(tuned, spec.get("cli.from"), Integer.parseInt(spec.getOrDefault("cli.input-size", "0")));
    if (ft != null && !data.equals("fashion-mnist")) {
      throw new IllegalArgumentException("run " + run + " fine-tuned " + tuned + " and evaluates images; --data " + data
          + " holds features (valid: fashion-mnist)");
    }
    TrainerFactory factory = ft != null ? ft.factory(classes, 1)
        : DjlTrainerFactory.builtIn(spec.get("model.family"), shape, classes).withThreads(1);
    Hyperparameters config = config(spec.get("model.config"));
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(master, "argus-test", verbose);
    try {
      JavaRDD<Example> rows = (ft == null
          ? TrainCommand.load(spark, data, images, seed, FashionMnist.Split.TEST, featuresCol, labelCol)
          : ft.activations(FashionMnist.sample(spark, FashionMnist.Split.TEST, images, seed), "image", "label"))
          .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
      checkData(rows, c, shape, ckpt);
      Evaluation e = Evaluation.of(rows, factory, config, c.state(), classes, batch);
      rows.unpersist(false);
      List<String> names = data.equals("fashion-mnist") ? FashionMnist.CLASS_NAMES : List.of();
      TrainReport.TestDocument d = TrainReport.test(ckpt.toString(), c.model(), e, names);
      out.print(TrainReport.testMarkdown(d));
      String dir = outDir != null ? outDir : run + "/test";
      Map<String, String> prov = new LinkedHashMap<>();
      prov.put("checkpoint", ckpt.toString());
      prov.put("run_dir", run);
      prov.put("model.sha256", sha);
      prov.put("data", data);
      prov.put("images", Integer.toString(images));
      prov.put("batch", Integer.toString(batch));
      TrainReport.writeTest(dir, d, Provenance.of(TrainReport.TEST, seed, prov, List.of()));
      out.println("report: " + dir + "/report.md, " + dir + "/report.json");
      return 0;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** Refuses data whose class count or example size differs from the checkpoint's model. */
  private void checkData(JavaRDD<Example> rows, TrainCheckpoint c, long[] shape, Path ckpt) {
    int[] range = rows.map(x -> new int[] {x.label(), x.label(), x.x().length})
        .reduce((a, b) -> new int[] {Math.min(a[0], b[0]), Math.max(a[1], b[1]), a[2] == b[2] ? a[2] : -1});
    int dataClasses = range[1] + 1;
    if (dataClasses != c.classes() || range[0] < 0) {
      throw new IllegalArgumentException("class count mismatch: checkpoint " + ckpt + " was trained for "
          + c.classes() + " classes; the data " + data + " has labels " + range[0] + ".." + range[1] + " ("
          + dataClasses + " classes)");
    }
    long size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    if (range[2] != size) {
      throw new IllegalArgumentException("example size mismatch: checkpoint " + ckpt + " takes "
          + Arrays.toString(shape) + " = " + size + " values per example; the data " + data + " has "
          + (range[2] < 0 ? "examples of different sizes" : range[2] + " values per example"));
    }
  }

  /** @return the run's newest {@code checkpoints/epoch-NNNN.ckpt} */
  private static Path newest(Path run) {
    Path found = null;
    for (int e = 1; Files.exists(run.resolve(TrainCheckpoint.name(e))); e++) {
      found = run.resolve(TrainCheckpoint.name(e));
    }
    if (found == null) {
      throw new IllegalArgumentException("run directory " + run + " holds no checkpoint (checkpoints/epoch-0001.ckpt missing)");
    }
    return found;
  }

  /** Parses a config's canonical text ({@code k=v,…}): integers, decimals, else strings. */
  static Hyperparameters config(String text) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (!text.isEmpty()) {
      for (String kv : text.split(",")) {
        int eq = kv.indexOf('=');
        String k = kv.substring(0, eq);
        String v = kv.substring(eq + 1);
        Object value;
        if (v.matches("-?\\d+")) {
          value = Long.parseLong(v);
        } else if (v.matches("-?[0-9.]+([eE][-+]?\\d+)?")) {
          value = Double.parseDouble(v);
        } else {
          value = v;
        }
        m.put(k, value);
      }
    }
    return new Hyperparameters(m);
  }
}
