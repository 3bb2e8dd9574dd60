package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus select --transfer}: a small fused run prints the leaderboard and the per-layer table
 * and deploys the winner as one graph; layer dimensions without a model and {@code --transfer}
 * without layers are usage errors; {@code argus transfer --learner head} trains a head per layer.
 */
class FusedSelectCommandTest {
  @TempDir Path tmp;

  @Test
  void aFusedRunPrintsTheLeaderboardAndTheLayerTableAndDeploysTheWinner() throws Exception {
    SparkTestSession.get();
    Path dir = tmp.resolve("fused");
    String[] o = CliRun.run(0, "select", "--transfer", "mobilenet_v2", "--images", "120", "--test-images", "40",
        "--input-size", "48", "--space", "layer=choice(block_3_expand_relu,block_6_expand_relu);lr=choice(0.01,0.001)",
        "--procedure", "grid", "--epochs", "1", "--workers", "2", "--run-dir", dir.toString());
    assertTrue(o[0].contains("leaderboard") && o[0].contains("Best config per layer (bottom first)"), o[0]);
    assertTrue(o[0].contains("block_3_expand_relu") && o[0].contains("block_6_expand_relu"), o[0]);
    assertTrue(Files.size(dir.resolve("best/model.onnx")) > 100_000, "the CNN cut is in the graph");
    String config = Files.readString(dir.resolve("best/config.txt"));
    assertTrue(config.contains("# deployed graph best/model.onnx") && config.contains("layer="), config);
    assertTrue(Files.readString(dir.resolve("explain.txt")).contains("== model selection"), "explain.txt");
  }

  @Test
  void aFusedRunReadsImagesFromParquetWithATestSplitColumn() throws Exception {
    var spark = SparkTestSession.get();
    // Fashion-MNIST images written as Parquet (id, image struct, label, split), read back by --data parquet:
    Path images = tmp.resolve("images.parquet");
    org.argus.data.FashionMnist.sample(spark, org.argus.data.FashionMnist.Split.TRAIN, 100, 3)
        .withColumn("split", org.apache.spark.sql.functions.lit("train"))
        .unionByName(org.argus.data.FashionMnist.sample(spark, org.argus.data.FashionMnist.Split.TEST, 30, 3)
            .withColumn("split", org.apache.spark.sql.functions.lit("test")))
        .write().parquet(images.toString());
    Path dir = tmp.resolve("parquet");
    String[] o = CliRun.run(0, "select", "--transfer", "mobilenet_v2", "--data", "parquet:" + images,
        "--input-size", "48", "--layers", "block_3_expand_relu", "--space", "lr=choice(0.01,0.001)",
        "--procedure", "grid", "--epochs", "1", "--workers", "2", "--run-dir", dir.toString());
    assertTrue(o[0].contains("leaderboard") && o[0].contains("block_3_expand_relu"), o[0]);
    assertTrue(o[1].contains("100 training") && o[1].contains("30 test"), o[1]);
    assertTrue(Files.size(dir.resolve("best/model.onnx")) > 100_000, "the CNN cut is in the graph");
  }

  @Test
  void aLayerDimensionWithoutAModelIsAUsageError() {
    String[] o = CliRun.run(1, "select", "--space", "layer=choice(out_relu);lr=choice(0.01)");
    assertTrue(o[1].contains("--transfer MODEL"), o[1]);
  }

  @Test
  void transferWithoutLayersIsAUsageError() {
    String[] o = CliRun.run(1, "select", "--transfer", "mobilenet_v2", "--space", "lr=choice(0.01)",
        "--run-dir", tmp.resolve("none").toString());
    assertTrue(o[1].contains("--layers a,b") && o[1].contains("layer=choice(a,b)"), o[1]);
  }

  @Test
  void transferWithTheHeadLearnerTrainsAHeadPerLayer() throws Exception {
    SparkTestSession.get();
    Path out = tmp.resolve("head");
    String[] o = CliRun.run(0, "transfer", "--learner", "head", "--head-epochs", "2", "--train", "60",
        "--test", "20", "--input-size", "48", "--layers", "block_3_expand_relu,block_6_expand_relu", "--out",
        out.toString(), "--save-models", tmp.resolve("heads").toString());
    assertTrue(o[0].contains("block_3_expand_relu") && o[0].contains("block_6_expand_relu"), o[0]);
    assertTrue(Files.exists(tmp.resolve("heads/block_6_expand_relu/head.onnx")));
    assertTrue(Files.readString(out.resolve("report.json")).contains("trained together by MOP"), "the learner note");
  }

  @Test
  void theHeadLearnerRefusesResume() {
    String[] o = CliRun.run(1, "transfer", "--learner", "head", "--resume", tmp.resolve("r").toString());
    assertTrue(o[1].contains("--learner head has none"), o[1]);
  }

  /** Runs a select the command refuses; asserts nothing was written; returns its stderr. */
  private String refused(String name, String space) {
    Path dir = tmp.resolve(name);
    String[] o = CliRun.run(1, "select", "--transfer", "mobilenet_v2", "--images", "40", "--test-images", "10",
        "--space", space, "--run-dir", dir.toString());
    assertFalse(Files.exists(dir), "the refused run wrote " + dir);
    return o[1];
  }

  @Test
  void anUnknownLayerIsRefusedBeforeTheRunDirectoryIsWritten() {
    String err = refused("refused", "layer=choice(block_6_expand_relu,mixed11);lr=choice(0.01)");
    assertTrue(err.contains("unknown layer 'mixed11' in mobilenet_v2") && err.contains("block_13_expand_relu"), err);
  }

  @Test
  void anUnknownModelInAModelDimensionIsRefusedBeforeTheRunDirectoryIsWritten() {
    String err = refused("refused-model", "model=choice(mobilenet_v2,resnet9000);lr=choice(0.01)");
    assertTrue(err.contains("resnet9000") && err.contains("inception_v3"), err);
  }
}
