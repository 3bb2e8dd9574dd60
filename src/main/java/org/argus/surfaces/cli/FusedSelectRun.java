package org.argus.surfaces.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.execution.SparkSessions;
import org.argus.execution.fusion.FusedResult;
import org.argus.execution.fusion.FusedSelection;
import org.argus.execution.fusion.HeadExport;
import org.argus.runtime.train.HeadDeployment;
import org.argus.execution.mop.Execution;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Procedures;
import org.argus.select.space.SearchSpace;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.LiveSelectionPage;
import org.argus.surfaces.report.FusionReport;
import org.argus.surfaces.report.SelectionReport;

/**
 * {@code argus select --transfer MODEL}: fused selection of the layer, pooling and head
 * ({@link FusedSelection}). Progress of the materialization on stderr, a line per unit query, then
 * the leaderboard, the per-layer and per-pooling tables and the run's files: the selection's tables
 * and reports, {@code explain.txt}, and {@code best/model.onnx} — the winner as one graph (CNN cut
 * at its layer, its pooling, the training split's z-scoring, its head, softmax) with {@code
 * best/config.txt} (the chosen config, then the provenance of both parts).
 */
final class FusedSelectRun {
  private final SelectCommand c;

  FusedSelectRun(SelectCommand c) {
    this.c = c;
  }

  TransferSpec spec() {
    TransferSpec.Builder b = TransferSpec.builder().setModel(c.transfer);
    if (c.data.equals("fashion-mnist")) {
      b.setFashionMnist(c.images, c.testImages);
    } else if (c.data.startsWith("folder:")) {
      b.setImageFolder(c.data.substring(7));
    } else if (c.data.startsWith("parquet:")) {
      b.setImages(SparkSession.active().read().parquet(c.data.substring(8)));
    } else {
      throw new IllegalArgumentException("--data " + c.data + "; valid with --transfer: fashion-mnist, folder:PATH, "
          + "parquet:PATH (id, image struct, label columns)");
    }
    if (c.layers != null && !c.layers.isEmpty()) {
      b.setLayers(c.layers);
    } else {
      b.setTopLayers(1); // replaced by the space's layer dimension; refused below when it has none
    }
    if (c.preprocessing != null) {
      b.optPreprocessing(PreprocessingSpec.parse(c.preprocessing));
    }
    b.optInputSize(sizeFor(c.transfer)).optIdCol(c.idCol).optLabelCol(c.labelCol).optSeed(c.seed);
    if (c.table != null) {
      b.optTablePath(c.table);
    }
    if (c.features != null) {
      b.optFeatureCols(c.features);
    }
    if (!c.plan.equalsIgnoreCase("auto")) {
      b.optOverrides(Overrides.NONE.withPlan(LogicalPlan.parse(c.plan)));
    }
    return b.build();
  }

  /**
   * @param model a CNN of the run
   * @return its square input size: {@code --input-size}, else 96 for mobilenet_v2 and 139 for
   *     inception_v3 on Fashion-MNIST, else 0 (native)
   */
  int sizeFor(String model) {
    return c.inputSize != null ? c.inputSize
        : !c.data.equals("fashion-mnist") ? 0 : model.equals("inception_v3") ? 139
            : model.equals("mobilenet_v2") ? 96 : 0;
  }

  Integer call() throws ArgusException, IOException {
    PrintStream out = System.out;
    SearchSpace space = SearchSpace.parse(c.space);
    if (!space.domains().containsKey("layer") && !space.domains().containsKey("model")
        && (c.layers == null || c.layers.isEmpty())) {
      throw new IllegalArgumentException("--transfer " + c.transfer + ": name the layers to choose among, as "
          + "--layers a,b or a 'layer=choice(a,b)' dimension of --space");
    }
    Execution ex = Execution.parse(c.execution);
    if (!c.goal.equals("accuracy") && !c.goal.equals("loss")) {
      throw new IllegalArgumentException("--goal " + c.goal + "; valid: accuracy, loss");
    }
    Goal g = c.goal.equals("accuracy") ? Goal.maximize("accuracy") : Goal.minimize("loss");
    String fam = c.family != null ? c.family : "head";
    if (c.runDir == null) {
      c.runDir = "argus-out/select/run-" + java.time.LocalDateTime.now()
          .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }
    // a misspelt model or layer is refused before Spark starts and before the run directory is written
    FusedSelection.builder().setTransfer(spec()).setSpace(space).optFamily(fam).optInputSize(this::sizeFor).check();
    Procedures.parse(c.procedure, space, c.epochs, c.workers != null ? c.workers : 1, c.seed, g); // its form
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = SparkSessions.create(c.master, "argus-select", c.verbose);
    try (ConsoleProgress progress = new ConsoleProgress(System.err, 3000);
        LiveSelectionPage live = c.explain ? null : LiveSelectionPage.open(c.runDir, out)) {
      int slots = c.workers != null ? c.workers : spark.sparkContext().defaultParallelism();
      int th = c.threads != null ? c.threads : org.argus.execution.mop.UnitThreads.perTask(spark.sparkContext(), slots);
      Map<String, String> specMap = new LinkedHashMap<>();
      c.cliSpecForRun(fam, slots).forEach((k, v) -> specMap.put("cli." + k, String.valueOf(v)));
      progress.step("[1/3] preparing: model " + c.transfer + ", inputs, layers, optimizer");
      FusedSelection fs = FusedSelection.builder()
          .setTransfer(spec())
          .setSpace(space)
          .setProcedure(s -> Procedures.parse(c.procedure, s, c.epochs, slots, c.seed, g))
          .setRunDir(c.runDir)
          .optFamily(fam)
          .optWorkers(slots)
          .optThreads(th)
          .optSeed(c.seed)
          .optExecution(ex)
          .optResume(c.resume != null)
          .optRefit(c.refit)
          .optInputSize(this::sizeFor)
          .optSpec(specMap)
          .optProgress(progress)
          .optListener(live == null ? u -> { } : SelectCommand.unitPrinter(out).andThen(live))
          .prepare(spark);
      if (c.explain) {
        out.print(fs.explain());
        return 0;
      }
      progress.step("[2/3] materializing once, then selecting\n" + fs.explain().stripTrailing());
      long t0 = System.nanoTime();
      FusedResult r = fs.run();
      progress.step("[3/3] report → " + c.runDir);
      out.printf(Locale.ROOT, "%nleaderboard (%s, %d unit queries, %.1f s: materialization %.1f s, selection %.1f s):%n",
          g, r.selection().units().size(), (System.nanoTime() - t0) / 1e9, r.materializationSeconds(),
          r.selectionSeconds());
      out.print(SelectionReport.leaderboard(r.selection()));
      out.print("\n" + FusionReport.table(r));
      write(fs, r, th);
      fs.release();
      return 0;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  private void write(FusedSelection fs, FusedResult r, int threads) throws ArgusException, IOException {
    PrintStream out = System.out;
    RunDirectory dir = new RunDirectory(r.selection().runDir());
    dir.writeText("explain.txt", r.explain());
    if (r.selection().best() != null) {
      int trial = r.selection().best().trial();
      java.nio.file.Path best = java.nio.file.Path.of(java.net.URI.create(r.selection().runDir())).resolve("best");
      String selected = java.nio.file.Files.readString(best.resolve("config.txt"));
      FusedResult.Refit rf = r.refit();
      boolean refit = rf != null && rf.selection().best() != null;
      HeadDeployment.Deployed d = refit
          ? HeadExport.deploy(fs, r, rf, labels(r.factory().classes()), best)
          : HeadExport.deploy(fs, r, trial, labels(r.factory().classes()), best);
      // one config.txt: what selection chose, then the provenance of both parts of the graph
      java.nio.file.Files.writeString(d.config(), selected + (refit ? String.format(Locale.ROOT,
          "# deployed: trial %d refit on every training row for %d epochs (checkpoints in %s)%n", trial, rf.epochs(),
          rf.selection().runDir()) : "# deployed: trial " + trial + " as trained\n")
          + "# deployed graph best/model.onnx\n" + java.nio.file.Files.readString(d.config()));
      out.println("best: config " + trial + " " + r.selection().best().config() + " -> " + d.model()
          + " (CNN cut + pooling + head, one ONNX graph" + (refit ? ", refit on every training row)" : ")"));
    } else {
      out.println("no config finished");
    }
    dir.writeText("explain-analyze.txt", FusionReport.analyze(r));
    FusionReport.write(r, FusionReport.provenance(r, c.seed, Map.of("threads", Integer.toString(threads))));
    out.println("report: " + c.runDir + "/report.md, report.json, report.html, explain.txt, explain-analyze.txt");
  }

  /** @return class names in label order: Fashion-MNIST's, an image folder's sorted sub-folders, else none */
  private java.util.List<String> labels(int classes) throws IOException {
    if (c.data.equals("fashion-mnist")) {
      return org.argus.data.FashionMnist.CLASS_NAMES;
    }
    if (c.data.startsWith("folder:")) {
      try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(java.nio.file.Path.of(c.data.substring(7)))) {
        java.util.List<String> names = s.filter(java.nio.file.Files::isDirectory)
            .map(p -> p.getFileName().toString()).sorted().toList();
        return names.size() == classes ? names : java.util.List.of();
      }
    }
    return java.util.List.of();
  }

}
