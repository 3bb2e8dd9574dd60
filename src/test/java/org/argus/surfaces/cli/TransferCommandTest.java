package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.argus.surfaces.report.ReportJson;
import org.argus.data.FashionMnist;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code argus transfer}: --explain, a small run joined with a CSV table, usage errors. */
class TransferCommandTest {
  private static String[] run(int expectedExit, String... args) {
    return CliRun.run(expectedExit, args);
  }

  @Test
  void explainPrintsTheChosenPlanAndTheRejectedOnes() {
    SparkTestSession.get();
    String[] o = run(0, "transfer", "--train", "20", "--test", "10", "--input-size", "64",
        "--layers", "block_6_expand_relu,block_3_expand_relu", "--explain");
    java.util.regex.Matcher chosen = java.util.regex.Pattern.compile("chosen: (lazy|eager|staged),").matcher(o[0]);
    assertTrue(chosen.find(), o[0]);
    for (String plan : List.of("lazy", "eager", "staged")) {
      if (!plan.equals(chosen.group(1))) {
        assertTrue(o[0].contains("rejected: " + plan + ","), plan + " not listed as rejected:\n" + o[0]);
      }
    }
    assertTrue(o[0].contains("est. peak heap/executor") && o[0].contains("relative cost"), o[0]);
    assertTrue(o[0].contains("layers sorted to topological order"), o[0]);
  }

  @Test
  void aRunJoinedWithACsvTableWritesTheReport(@TempDir Path dir) throws Exception {
    SparkTestSession.get();
    // a structured table for the first 40 test images: x1 = label parity, label from Fashion-MNIST
    List<Row> rows = FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TEST, 10, 42)
        .select("id", "label").collectAsList();
    List<Row> train = FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TRAIN, 30, 42)
        .select("id", "label").collectAsList();
    StringBuilder csv = new StringBuilder("id,label,x1\n");
    for (Row r : train) {
      csv.append(r.getLong(0)).append(',').append(r.getInt(1)).append(',').append(r.getInt(1) % 2).append('\n');
    }
    for (Row r : rows) {
      csv.append(r.getLong(0)).append(',').append(r.getInt(1)).append(',').append(r.getInt(1) % 2).append('\n');
    }
    csv.append("99999999,3,1\n"); // no image with this id
    Path table = dir.resolve("t.csv");
    Files.writeString(table, csv);
    Path out = dir.resolve("out");
    String[] o = run(0, "transfer", "--train", "30", "--test", "10", "--input-size", "64",
        "--layers", "block_3_expand_relu", "--pooling", "avg", "--table", table.toString(),
        "--features", "x1", "--plan", "staged", "--max-iter", "5", "--out", out.toString(),
        "--save-models", dir.resolve("models").toString());
    assertTrue(o[0].contains("block_3_expand_relu") && o[0].contains("plan: staged"), o[0]);
    assertTrue(o[1].contains("stage 1/1"), o[1]);
    JsonNode report = ReportJson.read(Files.readString(out.resolve("report.json")));
    JsonNode r = report.get("result");
    assertEquals(145, r.get("layers").get(0).get("feature_dim").asInt());
    assertEquals(40, r.get("counts").get("joined_rows").asInt());
    assertEquals(1, r.get("counts").get("table_rows_dropped_by_join").asInt());
    assertEquals("staged", r.get("plan").get("logical").asText());
    assertTrue(r.get("explain").asText().contains("chosen: staged"));
    assertTrue(Files.isDirectory(dir.resolve("models").resolve("block_3_expand_relu")));
    JsonNode prov = report.get("provenance");
    assertEquals("transfer", prov.get("kind").asText());
    assertEquals(table.toString(), prov.get("spec").get("table").asText());
    assertEquals("x1", prov.get("spec").get("feature_cols").asText());
    assertEquals(64, prov.get("models").get(0).get("sha256").asText().length());
    assertEquals("[\"block_3_expand_relu\"]", prov.get("models").get(0).get("layers").toString());
    assertTrue(prov.get("environment").get("spark").asText().startsWith("4."), prov.toString());
  }

  @Test
  void aCrossValidatedRunReportsTheChosenParamsAndTheMeasurements(@TempDir Path dir) throws Exception {
    SparkTestSession.get();
    Path out = dir.resolve("out");
    String[] o = run(0, "transfer", "--train", "40", "--test", "10", "--input-size", "64",
        "--layers", "block_3_expand_relu", "--pooling", "avg", "--max-iter", "5", "--cv-folds", "2",
        "--grid", "regParam=0.01,10", "--out", out.toString());
    assertTrue(o[0].contains("2-fold accuracy") && o[0].contains("chosen params"), o[0]);
    // regParam 10 is so strong that it predicts nearly one class: 0.01 must win
    assertTrue(o[0].contains("{regParam=0.01}"), o[0]);
    assertTrue(o[0].contains("ESTIMATED vs MEASURED") && o[0].contains("train block_3_expand_relu"), o[0]);
    JsonNode cv = ReportJson.read(Files.readString(out.resolve("report.json")))
        .get("result").get("layers").get(0).get("cross_validation");
    assertEquals(2, cv.get("folds").asInt());
    assertEquals("accuracy", cv.get("metric").asText());
    assertEquals("0.01", cv.get("chosen_params").get("regParam").asText(), cv.toString());
    assertEquals(2, cv.get("grid_metrics").size());
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("2-fold accuracy | chosen params |") && md.contains("`{regParam="), md);
    assertTrue(md.contains("## Estimated vs measured"), md);
  }

  @Test
  void anUnknownGridParamFailsListingTheLearnersParams() {
    SparkTestSession.get();
    String[] o = run(1, "transfer", "--grid", "regParm=0.1", "--explain");
    assertTrue(o[1].contains("LogisticRegression has no param 'regParm'") && o[1].contains("elasticNetParam"), o[1]);
  }

  @Test
  void aBadPlanNameFailsNamingTheValidOnes() {
    String[] o = run(1, "transfer", "--plan", "greedy", "--explain");
    assertTrue(o[1].contains("unknown plan 'greedy'") && o[1].contains("staged"), o[1]);
  }

  @Test
  void anUnknownLayerIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
    Path out = dir.resolve("out");
    String[] o = run(1, "transfer", "--layers", "block_6_expand_relu,mixed11", "--train", "20", "--test", "10",
        "--out", out.toString());
    assertTrue(o[1].contains("unknown layer 'mixed11' in mobilenet_v2") && o[1].contains("block_13_expand_relu"), o[1]);
    assertFalse(java.nio.file.Files.exists(out), "the refused run wrote " + out);
    assertFalse(o[1].contains("[1/3] preparing"), "refused before the run began: " + o[1]);
  }
}
