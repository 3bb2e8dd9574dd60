package org.argus.surfaces.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.argus.ArgusException;
import org.argus.data.FashionMnist;
import org.argus.data.image.ImageFolder;
import org.argus.execution.SparkSessions;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Procedure;
import org.argus.select.procedure.Procedures;
import org.argus.select.space.SearchSpace;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.LiveSelectionPage;
import org.argus.surfaces.report.SelectionReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code argus select}: model selection with model hopper parallelism (Cerebro) on Spark. Prints a
 * line per finished unit query and a final leaderboard; the run directory holds the spec,
 * checkpoints, Parquet tables (units, epochs, trials), the best model and report.md/report.json.
 * {@code --resume RUN_DIR} continues a run with the spec stored in it (flags given again must
 * match).
 */
@Command(
    name = "select",
    mixinStandardHelpOptions = true,
    description = {
      "Model selection on Spark: grid/random/Hyperband/ASHA over a search space, trained with",
      "model hopper parallelism (MOP) or a baseline; checkpoints, retries, resume."
    })
final class SelectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--data", defaultValue = "fashion-mnist", description = "fashion-mnist | folder:PATH (subfolders = classes, one image size) | parquet:PATH (default ${DEFAULT-VALUE})")
  String data;

  @Option(names = "--images", defaultValue = "2000", description = "Fashion-MNIST training images to sample (default ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--features-col", defaultValue = "features", description = "Parquet: features column, vector or array (default ${DEFAULT-VALUE})")
  String featuresCol;

  @Option(names = "--label-col", defaultValue = "label", description = "Parquet: integer label column (default ${DEFAULT-VALUE})")
  String labelCol;

  @Option(names = "--family", description = "mlp | cnn | head (default: cnn for images, head for features)")
  String family;

  @Option(names = "--space", defaultValue = "lr=loguniform(1e-4,1e-2);batch=choice(32,128);width=choice(64,256)", description = "search space (default ${DEFAULT-VALUE}); with --transfer also layer=choice(…), "
      + "pooling=choice(max:2,avg), precision=choice(fp32,int8) and model=choice(…)")
  String space;

  @Option(names = "--procedure", defaultValue = "random:8", description = "grid | random:N | tpe:N[,STARTUP] | hyperband:R,ETA | asha:R,ETA,MAX_TRIALS (R = max epochs; ASHA's top rung is the largest power of ETA not above R; TPE: N trials of --epochs epochs, the first STARTUP (default 10) random; default ${DEFAULT-VALUE})")
  String procedure;

  @Option(names = "--epochs", defaultValue = "3", description = "epochs per config for grid/random (default ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--execution", defaultValue = "mop", description = "mop | task-parallel | bsp | sequential (default ${DEFAULT-VALUE})")
  String execution;

  @Option(names = "--workers", description = "worker slots = shards (default: Spark's default parallelism)")
  Integer workers;

  @Option(names = "--goal", defaultValue = "accuracy", description = "accuracy (maximized) | loss (minimized) (default ${DEFAULT-VALUE})")
  String goal;

  @Option(names = "--seed", defaultValue = "42", description = "run seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--threads", description = "PyTorch threads per unit query (default: cores / worker slots)")
  Integer threads;

  @Option(names = "--run-dir", description = "run directory (default argus-out/select/run-<time>)")
  String runDir;

  @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue the run in RUN_DIR from its last completed unit queries")
  String resume;

  @Option(names = "--master", description = "Spark master (default: the spark-submit'ed application's, else local[*])")
  String master;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  @Option(names = "--transfer", paramLabel = "MODEL", description = "fused selection: heads over a pretrained CNN's features (roster name or ONNX file); the space may hold layer=choice(...), pooling=choice(...) and model=choice(...) (several CNNs: layer values are then LAYER@MODEL; without 'layer', each model's top feature layer); every (model, layer, pooling) is materialized once")
  String transfer;

  @Option(names = "--layers", split = ",", description = "with --transfer: layers to choose among when the space has no 'layer' dimension")
  List<String> layers;

  @Option(names = "--input-size", description = "with --transfer: square input size (default: 96 for mobilenet_v2, 139 for inception_v3 on Fashion-MNIST, else native)")
  Integer inputSize;

  @Option(names = "--preprocessing", description = "with --transfer: SIZE:ORDER:SCALING:LAYOUT[:RESIZE] (required for an ONNX file; with several models in a 'model' dimension it is the ONNX files' and roster models keep their own)")
  String preprocessing;

  @Option(names = "--test-images", defaultValue = "1000", description = "with --transfer on Fashion-MNIST: test images scored after selection (default ${DEFAULT-VALUE})")
  int testImages;

  @Option(names = "--table", description = "with --transfer: structured table (.csv or .parquet) joined on --id-col")
  String table;

  @Option(names = "--features", split = ",", description = "with --transfer: structured columns concatenated to every head's input")
  List<String> features;

  @Option(names = "--id-col", defaultValue = "id", description = "with --transfer: join key (default ${DEFAULT-VALUE})")
  String idCol;

  @Option(names = "--plan", defaultValue = "auto", description = "with --transfer: materialization plan auto | lazy | eager | staged (default ${DEFAULT-VALUE})")
  String plan;

  @Option(names = "--refit", negatable = true, defaultValue = "true", fallbackValue = "true", description = "with --transfer: after selection, retrain the winner on every training row (its validation rows included) for the epochs it reached, score that on the test split and deploy it as best/model.onnx; --no-refit deploys the selected checkpoint as trained (default ${DEFAULT-VALUE})")
  boolean refit;

  @Option(names = "--explain", description = "with --transfer: print EXPLAIN of both phases (materialization and MOP) and stop")
  boolean explain;

  private static final List<String> SPEC_KEYS =
      List.of("data", "images", "features-col", "label-col", "family", "space", "procedure", "epochs", "execution", "workers", "goal", "seed",
          "transfer", "layers", "input-size", "test-images", "table", "features", "id-col");

  private Map<String, String> cliSpec() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("data", data);
    m.put("images", Integer.toString(images));
    m.put("features-col", featuresCol);
    m.put("label-col", labelCol);
    m.put("family", family);
    m.put("space", space);
    m.put("procedure", procedure);
    m.put("epochs", Integer.toString(epochs));
    m.put("execution", execution);
    m.put("workers", workers == null ? null : Integer.toString(workers));
    m.put("goal", goal);
    m.put("seed", Long.toString(seed));
    m.put("transfer", transfer);
    m.put("layers", layers == null ? null : String.join(",", layers));
    m.put("input-size", inputSize == null ? null : Integer.toString(inputSize));
    m.put("test-images", Integer.toString(testImages));
    m.put("table", table);
    m.put("features", features == null ? null : String.join(",", features));
    m.put("id-col", idCol);
    return m;
  }

  /**
   * @param fam the family the run trains
   * @param slots the worker slots it uses
   * @return the CLI settings stored with the run (a resume must match them)
   */
  Map<String, String> cliSpecForRun(String fam, int slots) {
    Map<String, String> m = cliSpec();
    m.put("family", fam);
    m.put("workers", Integer.toString(slots));
    return m;
  }

  /** On resume, adopt the stored values of flags not given again; refuse given flags that differ. */
  private void adoptStored(Map<String, String> stored) {
    List<String> diffs = new java.util.ArrayList<>();
    for (String k : SPEC_KEYS) {
      String v = stored.get("cli." + k);
      boolean given = spec.commandLine().getParseResult().hasMatchedOption("--" + k);
      String mine = cliSpec().get(k);
      if (given && !java.util.Objects.equals(v, mine)) {
        diffs.add("--" + k + ": run has '" + v + "', this command '" + mine + "'");
      }
      if (!given && v != null) {
        switch (k) {
          case "data" -> data = v;
          case "images" -> images = Integer.parseInt(v);
          case "features-col" -> featuresCol = v;
          case "label-col" -> labelCol = v;
          case "family" -> family = v;
          case "space" -> space = v;
          case "procedure" -> procedure = v;
          case "epochs" -> epochs = Integer.parseInt(v);
          case "execution" -> execution = v;
          case "workers" -> workers = Integer.parseInt(v);
          case "goal" -> goal = v;
          case "seed" -> seed = Long.parseLong(v);
          case "transfer" -> transfer = v.equals("null") ? null : v;
          case "layers" -> layers = v.equals("null") ? null : List.of(v.split(","));
          case "input-size" -> inputSize = v.equals("null") ? null : Integer.parseInt(v);
          case "test-images" -> testImages = Integer.parseInt(v);
          case "table" -> table = v.equals("null") ? null : v;
          case "features" -> features = v.equals("null") ? null : List.of(v.split(","));
          case "id-col" -> idCol = v;
          default -> { }
        }
      }
    }
    if (!diffs.isEmpty()) {
      throw new IllegalArgumentException(
          "cannot resume " + resume + " with a different spec:\n  " + String.join("\n  ", diffs));
    }
  }

  @Override
  public Integer call() throws ArgusException, java.io.IOException {
    PrintStream out = System.out;
    if (resume != null) {
      Map<String, String> stored = new RunDirectory(resume).readSpec();
      if (stored == null) {
        throw new IllegalArgumentException("--resume " + resume + ": not a run directory (spec.properties missing)");
      }
      adoptStored(stored);
      runDir = resume;
    }
    if (transfer == null && (layers != null || table != null || features != null || explain)) {
      throw new IllegalArgumentException("--layers, --table, --features and --explain choose CNN features: give "
          + "--transfer MODEL too (e.g. --transfer mobilenet_v2)");
    }
    List<String> spaceModels = org.argus.execution.fusion.FusedSpace.models(SearchSpace.parse(space));
    if (transfer == null && !spaceModels.isEmpty()) {
      transfer = spaceModels.get(0); // a 'model' dimension names the CNNs itself
    }
    if (transfer == null && SearchSpace.parse(space).domains().keySet().stream()
        .anyMatch(k -> k.equals("layer") || k.equals("pooling") || k.equals("precision"))) {
      throw new IllegalArgumentException("the space has 'layer'/'pooling'/'precision' but no model to take them from: "
          + "give --transfer MODEL (e.g. --transfer mobilenet_v2)");
    }
    if (transfer != null) {
      return new FusedSelectRun(this).call();
    }
    // validate cheap things before Spark starts
    SearchSpace s = SearchSpace.parse(space);
    Execution ex = Execution.parse(execution);
    if (!goal.equals("accuracy") && !goal.equals("loss")) {
      throw new IllegalArgumentException("--goal " + goal + "; valid: accuracy, loss");
    }
    Goal g = goal.equals("accuracy") ? Goal.maximize("accuracy") : Goal.minimize("loss");
    boolean imageData = !data.startsWith("parquet:");
    String fam = family != null ? family : imageData ? "cnn" : "head";
    org.argus.runtime.train.Families.get(fam); // unknown family fails here
    Procedures.parse(procedure, s, epochs, workers != null ? workers : 1, seed, g); // and a malformed procedure
    if (runDir == null) {
      runDir = "argus-out/select/run-" + java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(master, "argus-select", verbose);
    try (LiveSelectionPage live = LiveSelectionPage.open(runDir, out)) {
      int slots = workers != null ? workers : spark.sparkContext().defaultParallelism();
      int th = threads != null ? threads : org.argus.execution.mop.UnitThreads.perTask(spark.sparkContext(), slots);
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(th)); // read if the engine starts now
      Procedure proc = Procedures.parse(procedure, s, epochs, slots, seed, g);
      JavaRDD<Example> rows = load(spark, out);
      Example first = rows.first();
      long[] shape = imageData ? imageShape(first, rows) : new long[] {first.x().length};
      int classes = rows.map(Example::label).reduce(Math::max) + 1;
      DjlTrainerFactory factory = DjlTrainerFactory.builtIn(fam, shape, Math.max(2, classes)).withThreads(th);
      Map<String, String> specMap = new LinkedHashMap<>();
      cliSpec().forEach((k, v) -> specMap.put("cli." + k, String.valueOf(v)));
      specMap.put("cli.family", fam);
      specMap.put("cli.workers", Integer.toString(slots));
      if (resume == null) {
        family = fam;
        workers = slots;
      }
      out.printf("argus select: %s, %s, %s, %d worker slots x %d threads, run dir %s%n",
          proc.name(), ex.cli(), factory.describe(), slots, th, runDir);
      long t0 = System.nanoTime();
      SelectionResult r = ModelSelection.builder()
          .setData(rows)
          .setTrainerFactory(factory)
          .setProcedure(proc)
          .setRunDir(runDir)
          .optSpec(specMap)
          .optExecution(ex)
          .optWorkers(slots)
          .optSeed(seed)
          .optResume(resume != null)
          .optListener(unitPrinter(out).andThen(live))
          .build()
          .run();
      out.printf(Locale.ROOT, "%nleaderboard (%s, %d unit queries, %.1f s):%n", g, r.units().size(), (System.nanoTime() - t0) / 1e9);
      out.print(SelectionReport.leaderboard(r));
      out.println(r.best() == null ? "no config finished" : "best: config " + r.best().trial() + " " + r.best().config()
          + " -> " + runDir + "/best/model.ckpt");
      SelectionReport.write(r, SelectionReport.provenance(r, seed, Map.of("threads", Integer.toString(th))));
      out.println("report: " + runDir + "/report.md, " + runDir + "/report.json, " + runDir + "/report.html");
      return 0;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** One line per finished unit query (failed attempts included). */
  static Consumer<UnitRecord> unitPrinter(PrintStream out) {
    AtomicInteger n = new AtomicInteger();
    return u -> out.printf(Locale.ROOT,
        "unit %4d  config %-3d epoch %d shard %d  exec %s  %5d ex  loss %s  %.1f s  ckpt %d KB%s%n",
        n.incrementAndGet(), u.trial(), u.epoch(), u.shard(), u.executor(), u.metrics().examples(),
        Double.isNaN(u.metrics().loss()) ? "  -   " : String.format(Locale.ROOT, "%.4f", u.metrics().loss()),
        u.taskMs() / 1000.0, u.bytesWritten() / 1024,
        u.error() == null ? "" : "  FAILED (attempt " + (u.attempt() + 1) + "): " + u.error());
  }

  private long[] imageShape(Example first, JavaRDD<Example> rows) {
    int side = (int) Math.round(Math.sqrt(first.x().length));
    if (data.equals("fashion-mnist")) {
      return new long[] {1, FashionMnist.SIDE, FashionMnist.SIDE};
    }
    if (side * side == first.x().length) {
      return new long[] {1, side, side};
    }
    int s3 = (int) Math.round(Math.sqrt(first.x().length / 3.0));
    if (3 * s3 * s3 == first.x().length) {
      return new long[] {3, s3, s3};
    }
    throw new IllegalArgumentException("--data " + data + ": images must be square (found " + first.x().length + " values)");
  }

  private JavaRDD<Example> load(SparkSession spark, PrintStream out) throws ArgusException {
    if (data.equals("fashion-mnist")) {
      return Examples.fromImages(FashionMnist.sample(spark, FashionMnist.Split.TRAIN, images, seed), "image", "label");
    }
    if (data.startsWith("parquet:")) {
      return Examples.fromFeatures(spark.read().parquet(data.substring(8)), featuresCol, labelCol);
    }
    if (data.startsWith("folder:")) {
      Dataset<Row> dec = ImageFolder.read(spark, data.substring(7)).decoded();
      List<String> labels = dec.select("label").distinct().orderBy("label").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
      Row firstImg = dec.select("image.height", "image.width", "image.nChannels").first();
      Dataset<Row> same = dec.filter(functions.col("image.height").equalTo(firstImg.getInt(0))
          .and(functions.col("image.width").equalTo(firstImg.getInt(1)))
          .and(functions.col("image.nChannels").equalTo(firstImg.getInt(2))));
      long skipped = dec.count() - same.count();
      if (skipped > 0) {
        out.println("note: " + skipped + " images skipped: size differs from " + firstImg.getInt(0) + "x" + firstImg.getInt(1) + "x" + firstImg.getInt(2));
      }
      org.apache.spark.sql.Column idx = functions.array_position(functions.lit(labels.toArray()), functions.col("label")).minus(1).cast("int");
      return Examples.fromImages(same.withColumn("label", idx), "image", "label");
    }
    throw new IllegalArgumentException("--data " + data + "; valid: fashion-mnist, folder:PATH, parquet:PATH");
  }

}
