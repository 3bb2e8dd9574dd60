package org.argus.surfaces.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.data.FashionMnist;
import org.argus.execution.SparkSessions;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.train.DataParallelResult;
import org.argus.execution.train.DataParallelTraining;
import org.argus.execution.train.EpochMetrics;
import org.argus.execution.train.TrainProgress;
import org.argus.provision.Sha256;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.TrainerFactory;
import org.argus.surfaces.ml.FineTuning;
import org.argus.runtime.train.Families;
import org.argus.runtime.train.Hyperparameters;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.Provenance;
import org.argus.surfaces.report.LiveTrainPage;
import org.argus.surfaces.report.TrainReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code argus train}: data-parallel training of one model on Spark ({@link DataParallelTraining}:
 * broadcast weights, gradients summed with {@code treeAggregate}, the optimizer step on the driver;
 * {@code --sync-every K} for local SGD). Prints a progress line every few seconds (epoch, step,
 * examples/s, ETA) and one per epoch; the run directory holds {@code spec.properties} (what {@code
 * argus test} rebuilds the model from), {@code checkpoints/epoch-NNNN.ckpt}, {@code metrics.csv}
 * (per epoch) and {@code report.json}/{@code report.md}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {"Train one model data-parallel on Spark (synchronous SGD or local SGD), with per-epoch"
        + " checkpoints and resume."},
    footer = {"", "Examples:",
        "  argus train --family cnn --images 4000 --workers 2 --epochs 3 --batch 256 --lr 0.003",
        "  argus train --family mlp --workers 2 --sync-every 4 --run-dir runs/mlp",
        "  argus train --finetune mobilenet_v2 --from block_10_expand_relu --input-size 96 --workers 2",
        "  argus train --resume runs/mlp --epochs 5        # continue to 5 epochs",
        "  argus test runs/mlp --images 1000               # evaluate its newest checkpoint"})
final class TrainCommand implements Callable<Integer> {
  /** Keys of {@code spec.properties} a resumed run must agree on (the command's own flags). */
  static final List<String> SPEC_KEYS =
      List.of("data", "images", "family", "workers", "batch", "lr", "optimizer", "width", "sync-every", "seed",
          "finetune", "from", "input-size");

  private static final String CSV_HEADER = "epoch,steps,examples,loss,accuracy,examples_per_s,seconds\n";

  @Spec CommandSpec spec;

  @Option(names = "--data", defaultValue = "fashion-mnist", description = "fashion-mnist | parquet:PATH (features column + integer label) (default ${DEFAULT-VALUE})")
  String data;

  @Option(names = "--images", defaultValue = "4000", description = "Fashion-MNIST training images to sample (default ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--family", description = "mlp | cnn | head (default: cnn for images, head for features)")
  String family;

  @Option(names = "--finetune", paramLabel = "MODEL", description = "fine-tune a pretrained roster CNN (e.g. mobilenet_v2) above --from: its activations there are computed once (ONNX Runtime), the layers above train data-parallel")
  String finetune;

  @Option(names = "--from", paramLabel = "LAYER", description = "with --finetune: the layer to fine-tune above")
  String from;

  @Option(names = "--input-size", defaultValue = "0", description = "with --finetune: square image size in pixels (0: the model's native size)")
  int inputSize;

  @Option(names = "--workers", description = "partitions computing gradients (default: Spark's default parallelism)")
  Integer workers;

  @Option(names = "--epochs", defaultValue = "3", description = "epochs in total (default ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--batch", defaultValue = "256", description = "global batch: examples per optimizer step over all workers (default ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--lr", defaultValue = "0.001", description = "learning rate (default ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--optimizer", defaultValue = "adam", description = "adam | sgd (momentum 0.9) (default ${DEFAULT-VALUE})")
  String optimizer;

  @Option(names = "--width", description = "hidden width (mlp default 128, cnn 64, head 0 = linear)")
  Integer width;

  @Option(names = "--sync-every", defaultValue = "1", description = "local steps per synchronization; 1 = synchronous SGD (default ${DEFAULT-VALUE})")
  int syncEvery;

  @Option(names = "--seed", defaultValue = "42", description = "weight init, sampling and shuffles (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--threads", defaultValue = "1", description = "PyTorch threads per worker task (default ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--run-dir", description = "run directory (default argus-out/train/run-<time>)")
  String runDir;

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue RUN_DIR from its newest checkpoint (its stored flags apply; --epochs may grow)")
  String resume;

  @Option(names = "--features-col", defaultValue = "features", description = "parquet: features column (default ${DEFAULT-VALUE})")
  String featuresCol;

  @Option(names = "--label-col", defaultValue = "label", description = "parquet: label column (default ${DEFAULT-VALUE})")
  String labelCol;

  @Option(names = "--master", description = "Spark master (default: the spark-submit'ed application's, else local[*])")
  String master;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  private Map<String, String> flags() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("data", data);
    m.put("images", Integer.toString(images));
    m.put("family", family);
    m.put("workers", workers == null ? null : workers.toString());
    m.put("batch", Integer.toString(batch));
    m.put("lr", Double.toString(lr));
    m.put("optimizer", optimizer);
    m.put("width", width == null ? null : width.toString());
    m.put("sync-every", Integer.toString(syncEvery));
    m.put("seed", Long.toString(seed));
    m.put("finetune", finetune);
    m.put("from", from);
    m.put("input-size", Integer.toString(inputSize));
    return m;
  }

  /** On resume: stored flags apply; a flag given again with another value is refused. */
  private void adopt(Map<String, String> stored) {
    List<String> diffs = new java.util.ArrayList<>();
    Map<String, String> mine = flags();
    for (String k : SPEC_KEYS) {
      String v = stored.get("cli." + k);
      if (spec.commandLine().getParseResult().hasMatchedOption("--" + k) && !Objects.equals(v, mine.get(k))) {
        diffs.add("--" + k + ": run has '" + v + "', this command '" + mine.get(k) + "'");
      }
    }
    if (!diffs.isEmpty()) {
      throw new IllegalArgumentException("cannot resume " + resume + " with different flags:\n  "
          + String.join("\n  ", diffs));
    }
    data = stored.get("cli.data");
    images = Integer.parseInt(stored.get("cli.images"));
    family = stored.get("cli.family");
    workers = Integer.valueOf(stored.get("cli.workers"));
    batch = Integer.parseInt(stored.get("cli.batch"));
    lr = Double.parseDouble(stored.get("cli.lr"));
    optimizer = stored.get("cli.optimizer");
    String w = stored.get("cli.width");
    width = w == null || w.equals("null") ? null : Integer.valueOf(w);
    syncEvery = Integer.parseInt(stored.get("cli.sync-every"));
    seed = Long.parseLong(stored.get("cli.seed"));
    finetune = nullable(stored.get("cli.finetune"));
    from = nullable(stored.get("cli.from"));
    inputSize = Integer.parseInt(stored.getOrDefault("cli.input-size", "0"));
  }

  private static String nullable(String v) {
    return v == null || v.equals("null") ? null : v;
  }

  @Override
  public Integer call() throws ArgusException, IOException {
    PrintStream out = System.out;
    if ((finetune == null) != (from == null)) {
      throw new IllegalArgumentException("--finetune MODEL and --from LAYER go together; given: --finetune " + finetune
          + " --from " + from);
    }
    if (resume != null) {
      Map<String, String> stored = new RunDirectory(resume).readSpec();
      if (stored == null || !stored.containsKey("model.describe")) {
        throw new IllegalArgumentException("--resume " + resume + ": not a train run directory (spec.properties missing)");
      }
      adopt(stored);
      runDir = resume;
    }
    boolean images = !data.startsWith("parquet:");
    String fam = family != null ? family : images ? "cnn" : "head";
    Families.get(fam); // an unknown family fails here, before Spark starts
    if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
      throw new IllegalArgumentException("--optimizer " + optimizer + "; valid: adam, sgd");
    }
    if (runDir == null) {
      runDir = "argus-out/train/run-" + java.time.LocalDateTime.now()
          .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }
    Hyperparameters config = config();
    FineTuning ft = fineTuning(); // an unknown model or layer fails here, before Spark starts
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(master, "argus-train", verbose);
    try {
      int slots = workers != null ? workers : spark.sparkContext().defaultParallelism();
      JavaRDD<Example> rows = ft == null
          ? load(spark, data, this.images, seed, FashionMnist.Split.TRAIN, featuresCol, labelCol)
          : ft.activations(FashionMnist.sample(spark, FashionMnist.Split.TRAIN, this.images, seed), "image", "label")
              .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
      long[] shape = ft == null ? shape(rows.first(), images) : ft.activationShape();
      int classes = Math.max(2, rows.map(Example::label).reduce(Math::max) + 1);
      TrainerFactory factory = ft == null ? DjlTrainerFactory.builtIn(fam, shape, classes).withThreads(threads)
          : ft.factory(classes, threads);
      if (ft != null) {
        fam = "finetune";
      }
      family = fam;
      workers = slots;
      Map<String, String> stored = new LinkedHashMap<>();
      flags().forEach((k, v) -> stored.put("cli." + k, String.valueOf(v)));
      stored.put("model.family", fam);
      stored.put("model.input_shape", join(shape));
      stored.put("model.classes", Integer.toString(classes));
      stored.put("model.config", config.toString());
      stored.put("model.describe", factory.describe());
      stored.put("model.sha256", modelSha256(factory.describe(), config.toString()));
      RunDirectory dir = new RunDirectory(runDir);
      if (resume == null) {
        if (dir.readSpec() != null) {
          throw new IllegalArgumentException("--run-dir " + runDir + " already holds a run; use --resume " + runDir
              + " or another directory");
        }
        dir.writeSpec(stored);
      }
      out.printf("argus train: %s, config %s, %d workers x %d threads, global batch %d, sync every %d, run dir %s%n",
          factory.describe(), config, slots, threads, batch, syncEvery, runDir);
      DataParallelResult r;
      try (LiveTrainPage live = new LiveTrainPage(localDir(runDir), progress(out, 2000), System.err)) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("model", factory.describe());
        run.put("config", config.toString());
        run.put("workers", slots);
        run.put("global_batch", batch);
        run.put("sync_every", syncEvery);
        out.println("report page (live): " + live.start(stored, run));
        r = train(rows, factory, config, slots, classes, live);
        report(out, dir, r, stored, factory, config, slots); // report.json first: the live page then stays
      }
      out.println("checkpoint: " + runDir + "/" + r.lastCheckpoint());
      out.println("report: " + runDir + "/report.md, " + runDir + "/report.json");
      return 0;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  private DataParallelResult train(JavaRDD<Example> rows, TrainerFactory factory, Hyperparameters config,
      int slots, int classes, TrainProgress progress) throws ArgusException {
    return DataParallelTraining.builder()
        .setData(rows)
        .setTrainerFactory(factory)
        .optConfig(config)
        .setEpochs(epochs)
        .setBatch(batch)
        .setRunDir(runDir)
        .optPartitions(slots)
        .optSyncEvery(syncEvery)
        .optSeed(seed)
        .optClasses(classes)
        .optResume(resume != null)
        .optProgress(progress)
        .build()
        .run();
  }

  /** @return the local folder of a run directory given as a path or {@code file:} URI */
  private static java.nio.file.Path localDir(String runDir) {
    java.net.URI u = new org.apache.hadoop.fs.Path(runDir).toUri();
    return java.nio.file.Path.of(u.getScheme() == null ? runDir : u.getPath());
  }

  /**
   * @return the fine-tuning request of {@code --finetune MODEL --from LAYER} (checked before any
   *     job), or null when training a family
   * @throws IllegalArgumentException for data other than Fashion-MNIST images, or a model, layer or
   *     size that cannot be fine-tuned ({@link FineTuning#resolve})
   */
  private FineTuning fineTuning() {
    if (finetune == null) {
      return null;
    }
    if (!data.equals("fashion-mnist")) {
      throw new IllegalArgumentException("--finetune reads images; --data " + data + " holds features (valid with"
          + " --finetune: fashion-mnist)");
    }
    return FineTuning.resolve(finetune, from, inputSize);
  }

  /** @return the config the flags describe */
  private Hyperparameters config() {
    Map<String, Object> hp = new LinkedHashMap<>();
    hp.put("optimizer", optimizer);
    hp.put("lr", lr);
    hp.put("batch", (long) batch);
    if (width != null) {
      hp.put("width", (long) width);
    }
    return new Hyperparameters(hp);
  }

  /** Prints the epoch table; writes metrics.csv, report.json and report.md. */
  private void report(PrintStream out, RunDirectory dir, DataParallelResult r, Map<String, String> stored,
      TrainerFactory factory, Hyperparameters config, int slots) throws IOException, ArgusException {
    List<TrainReport.EpochRow> table = TrainReport.rows(r.epochs());
    dir.writeText("metrics.csv", CSV_HEADER + earlierRows(r.resumedFrom()) + csv(r.epochs()));
    out.print(TrainReport.epochTable(table));
    Map<String, String> prov = new LinkedHashMap<>(stored);
    prov.put("epochs", Integer.toString(epochs));
    prov.put("threads", Integer.toString(threads));
    prov.put("master", org.apache.spark.sql.SparkSession.active().sparkContext().master());
    TrainReport.writeTrain(new TrainReport.TrainDocument(runDir, factory.describe(), config.toString(), slots,
        batch, syncEvery, r.resumedFrom(), r.steps(), r.retries(), r.lastCheckpoint(), table,
        TrainReport.stepLosses(r.stepLosses())),
        Provenance.of(TrainReport.TRAIN, seed, prov, List.of()));
  }

  /**
   * @param describe the trainer factory's description
   * @param config the config's canonical text
   * @return the sha256 (hex) identifying the model a checkpoint belongs to
   */
  static String modelSha256(String describe, String config) {
    return Sha256.of((describe + "\n" + config).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Progress lines: at most one per {@code periodMillis} (epoch, step, examples/s since the epoch
   * began, ETA of the run from the epoch's time per step), and one per epoch.
   */
  static TrainProgress progress(PrintStream out, long periodMillis) {
    return new TrainProgress() {
      private long lastPrint = System.nanoTime();
      private long epochStart = System.nanoTime();
      private int currentEpoch = -1;

      @Override
      public void step(int epoch, int epochs, int step, int steps, double rate) {
        long now = System.nanoTime();
        if (epoch != currentEpoch) {
          currentEpoch = epoch;
          epochStart = lastPrint;
        }
        if ((now - lastPrint) / 1_000_000 >= periodMillis && step < steps) {
          lastPrint = now;
          double perStep = (now - epochStart) / 1e9 / step;
          double eta = perStep * ((steps - step) + (long) (epochs - epoch) * steps);
          out.printf(Locale.ROOT, "epoch %d/%d step %d/%d, %.0f examples/s, ETA %.0f s%n", epoch, epochs, step,
              steps, rate, eta);
        }
      }

      @Override
      public void epoch(EpochMetrics m, String checkpoint) {
        lastPrint = System.nanoTime();
        out.printf(Locale.ROOT, "epoch %d: loss %.4f, accuracy %.4f, %d examples in %.1f s (%.0f examples/s), %s%n",
            m.epoch(), m.loss(), m.accuracy(), m.examples(), m.seconds(), m.examplesPerSecond(), checkpoint);
      }
    };
  }

  /** @return on resume, the rows of epochs up to {@code resumedFrom} of a local metrics.csv */
  private String earlierRows(int resumedFrom) throws IOException {
    java.nio.file.Path p = java.nio.file.Path.of(runDir, "metrics.csv");
    if (resumedFrom == 0 || !java.nio.file.Files.exists(p)) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String line : java.nio.file.Files.readAllLines(p)) {
      String first = line.split(",", 2)[0];
      if (first.matches("\\d+") && Integer.parseInt(first) <= resumedFrom) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  private static String csv(List<EpochMetrics> epochs) {
    StringBuilder sb = new StringBuilder();
    for (EpochMetrics e : epochs) {
      sb.append(String.format(Locale.ROOT, "%d,%d,%d,%.6f,%.6f,%.1f,%.3f%n", e.epoch(), e.steps(), e.examples(),
          e.loss(), e.accuracy(), e.examplesPerSecond(), e.seconds()));
    }
    return sb.toString();
  }

  static String join(long[] shape) {
    StringBuilder sb = new StringBuilder();
    for (long d : shape) {
      sb.append(sb.length() == 0 ? "" : ",").append(d);
    }
    return sb.toString();
  }

  static long[] shape(Example first, boolean images) {
    int n = first.x().length;
    if (!images) {
      return new long[] {n};
    }
    int side = (int) Math.round(Math.sqrt(n));
    if (side * side == n) {
      return new long[] {1, side, side};
    }
    int s3 = (int) Math.round(Math.sqrt(n / 3.0));
    if (3 * s3 * s3 == n) {
      return new long[] {3, s3, s3};
    }
    throw new IllegalArgumentException("images must be square, 1 or 3 channels; found " + n + " values");
  }

  /**
   * @return the examples of {@code fashion-mnist} ({@code n} sampled from {@code split} with {@code
   *     seed}) or {@code parquet:PATH}
   */
  static JavaRDD<Example> load(SparkSession spark, String data, int n, long seed, FashionMnist.Split split,
      String featuresCol, String labelCol) throws ArgusException {
    if (data.equals("fashion-mnist")) {
      return Examples.fromImages(FashionMnist.sample(spark, split, n, seed), "image", "label");
    }
    if (data.startsWith("parquet:")) {
      return Examples.fromFeatures(spark.read().parquet(data.substring(8)), featuresCol, labelCol);
    }
    throw new IllegalArgumentException("--data " + data + "; valid: fashion-mnist, parquet:PATH");
  }
}
