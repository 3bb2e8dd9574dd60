package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.surfaces.report.ReportJson;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus train} and {@code argus test} end to end on local Spark: a small data-parallel mlp
 * run on Fashion-MNIST (progress, checkpoints, metrics table, report), its resume, its evaluation
 * (accuracy, per-class table, confusion matrix, report), and the refusals of {@code test}.
 */
class TrainCommandTest {
  @TempDir static Path dir;
  static Path run;
  static String[] trained;

  @BeforeAll
  static void train() {
    SparkTestSession.get();
    run = dir.resolve("mlp");
    trained = CliRun.run(0, "train", "--family", "mlp", "--width", "16", "--images", "200", "--workers", "2",
        "--epochs", "2", "--batch", "32", "--lr", "0.003", "--run-dir", run.toString());
  }

  static JsonNode report(Path d) throws Exception {
    return ReportJson.read(Files.readString(d.resolve("report.json")));
  }

  @Test
  void trainPrintsEpochsAndWritesCheckpointsMetricsAndAReport() throws Exception {
    String out = trained[0];
    assertTrue(out.contains("argus train: djl-pytorch mlp [1, 28, 28] -> 10"), out);
    assertTrue(out.contains("epoch 1: loss ") && out.contains("epoch 2: loss "), out);
    assertTrue(out.contains("| epoch | steps | examples | loss | accuracy | examples/s | s |"), out);
    assertTrue(Files.exists(run.resolve("checkpoints/epoch-0001.ckpt")));
    assertTrue(Files.exists(run.resolve("checkpoints/epoch-0002.ckpt")));
    List<String> csv = Files.readAllLines(run.resolve("metrics.csv"));
    assertEquals("epoch,steps,examples,loss,accuracy,examples_per_s,seconds", csv.get(0));
    assertEquals(3, csv.size());
    assertTrue(csv.get(2).startsWith("2,6,192,"), csv.get(2)); // 100 rows per worker, 16 per step
    JsonNode r = report(run);
    assertEquals("train", r.path("kind").asText());
    assertEquals(2, r.path("result").path("workers").asInt());
    assertEquals(12, r.path("result").path("steps").asInt());
    assertEquals(2, r.path("result").path("epochs").size());
    assertTrue(Files.readString(run.resolve("report.md")).contains("## Provenance"));
    JsonNode steps = r.path("result").path("step_losses");
    assertEquals(12, steps.size());
    assertEquals(12, steps.get(11).get(0).asInt());
    assertTrue(steps.get(11).get(1).asDouble() > 0, steps.toString());
    String html = Files.readString(run.resolve("report.html"));
    assertTrue(html.contains("<title>Argus training run</title>") && html.contains("\"global_batch\":32"),
        "report.html is the train page of this run");
  }

  @Test
  void resumeContinuesFromTheNewestCheckpointAndRefusesOtherFlags() throws Exception {
    Path copy = dir.resolve("resumed");
    copyTree(run, copy);
    String out = CliRun.run(0, "train", "--resume", copy.toString(), "--epochs", "3")[0];
    assertTrue(out.contains("epoch 3: loss ") && !out.contains("epoch 2: loss "), out);
    assertEquals(2, report(copy).path("result").path("resumed_from").asInt());
    assertEquals(18, report(copy).path("result").path("steps").asInt());
    List<String> csv = Files.readAllLines(copy.resolve("metrics.csv"));
    assertEquals(List.of("1", "2", "3"), csv.subList(1, 4).stream().map(l -> l.split(",")[0]).toList());

    String err = CliRun.run(1, "train", "--resume", copy.toString(), "--batch", "64")[1];
    assertTrue(err.contains("--batch: run has '32', this command '64'"), err);
  }

  @Test
  void testEvaluatesTheNewestCheckpointWithPerClassCountsAndConfusionMatrix() throws Exception {
    String out = CliRun.run(0, "test", run.toString(), "--images", "100")[0];
    assertTrue(out.contains("| class | name | precision | recall | support |"), out);
    assertTrue(out.contains("Confusion matrix"), out);
    JsonNode r = report(run.resolve("test"));
    assertEquals("test", r.path("kind").asText());
    assertEquals(100, r.path("result").path("examples").asInt());
    double acc = r.path("result").path("accuracy").asDouble();
    assertTrue(acc > 0.3 && acc <= 1, "accuracy " + acc); // chance is 0.1
    long sum = 0;
    long diagonal = 0;
    JsonNode m = r.path("result").path("confusion");
    for (int i = 0; i < 10; i++) {
      for (int j = 0; j < 10; j++) {
        sum += m.get(i).get(j).asLong();
        diagonal += i == j ? m.get(i).get(j).asLong() : 0;
      }
    }
    assertEquals(100, sum);
    assertEquals(acc, diagonal / 100.0, 1e-12);
    assertTrue(r.path("result").path("checkpoint").asText().endsWith("epoch-0002.ckpt"));
  }

  @Test
  void testRefusesAClassCountMismatchAndACheckpointOfAnotherModel() throws Exception {
    Path parquet = dir.resolve("three-classes.parquet");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(RowFactory.create(i % 3, new float[] {i % 3, 1, i / 40f, 0}));
    }
    StructType schema = new StructType().add("label", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    SparkTestSession.get().createDataFrame(rows, schema).write().parquet(parquet.toString());
    Path head = dir.resolve("head");
    CliRun.run(0, "train", "--data", "parquet:" + parquet, "--workers", "2", "--epochs", "1", "--batch", "8",
        "--run-dir", head.toString());

    String err = CliRun.run(1, "test", head.toString(), "--images", "50")[1];
    assertTrue(err.contains("class count mismatch: checkpoint " + head + "/checkpoints/epoch-0001.ckpt was trained"
        + " for 3 classes; the data fashion-mnist has labels 0..9 (10 classes)"), err);

    Path foreign = run.resolve("checkpoints/epoch-0009.ckpt");
    Files.copy(head.resolve("checkpoints/epoch-0001.ckpt"), foreign);
    try {
      err = CliRun.run(1, "test", foreign.toString(), "--images", "50")[1];
      assertTrue(err.contains("checkpoint " + foreign + " is from another model: its sha256 is ")
          && err.contains("(djl-pytorch head [4] -> 3, config batch=8,lr=0.001,optimizer=adam) but run ")
          && err.contains("(djl-pytorch mlp [1, 28, 28] -> 10, config batch=32,lr=0.003,optimizer=adam,width=16)"),
          err);
    } finally {
      Files.delete(foreign);
    }
  }

  @Test
  void fineTuningAPretrainedCnnTrainsDataParallelAndItsCheckpointIsTested() throws Exception {
    Path ft = dir.resolve("finetune");
    String out = CliRun.run(0, "train", "--finetune", "mobilenet_v2", "--from", "block_16_project_BN",
        "--input-size", "48", "--images", "200", "--workers", "2", "--epochs", "1", "--batch", "32",
        "--run-dir", ft.toString())[0];
    assertTrue(out.contains("argus train: djl-pytorch finetune mobilenet_v2 above block_16_project_BN to out_relu"),
        out);
    assertEquals("finetune", report(ft).path("provenance").path("spec").path("model.family").asText());
    String tested = CliRun.run(0, "test", ft.toString(), "--images", "50")[0];
    assertTrue(tested.contains("Accuracy ") && tested.contains("on 50 examples"), tested);
    assertEquals(50, report(ft.resolve("test")).path("result").path("examples").asInt());
  }

  @Test
  void helpShowsExamplesAndBadFineTuningFlagsAreRefused() {
    assertTrue(CliRun.run(0, "train", "--help")[0].contains("argus train --family cnn --images 4000"));
    assertTrue(CliRun.run(0, "test", "--help")[0].contains("argus test runs/mlp/checkpoints/epoch-0002.ckpt"));
    String err = CliRun.run(1, "train", "--finetune", "mobilenet_v2")[1];
    assertTrue(err.contains("--finetune MODEL and --from LAYER go together"), err);
    err = CliRun.run(1, "train", "--finetune", "mobilenet_v2", "--from", "block_99_expand_relu",
        "--run-dir", dir.resolve("bad").toString())[1];
    assertTrue(err.contains("unknown layer 'block_99_expand_relu' in mobilenet_v2; curated: "), err);
    err = CliRun.run(1, "train", "--workers", "4", "--batch", "3", "--images", "40", "--family", "mlp",
        "--run-dir", dir.resolve("small").toString())[1];
    assertTrue(err.contains("global batch 3 is smaller than the 4 partitions"), err);
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q);
        }
      }
    }
  }
}
