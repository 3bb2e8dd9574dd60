package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.argus.testing.SparkTestSession;
import org.argus.surfaces.report.ReportJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArgusCliTest {
  private static String[] run(int expectedExit, String... args) {
    return CliRun.run(expectedExit, args);
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd : new String[][] {
        {"--help"}, {"demo", "--help"}, {"datasets", "--help"}, {"datasets", "list", "--help"},
        {"datasets", "fetch", "--help"}, {"models", "--help"}, {"models", "list", "--help"},
        {"models", "inspect", "--help"}, {"models", "import", "--help"}}) {
      String[] o = run(0, cmd);
      assertTrue(o[0].contains("Usage:"), String.join(" ", cmd) + " printed:\n" + o[0]);
    }
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    String[] o = run(2, "demo", "--no-such-flag");
    assertTrue(o[1].contains("--no-such-flag"), o[1]);
  }

  @Test
  void anUnknownModelFailsListingTheRoster() {
    String[] o = run(1, "demo", "--model", "resnet9000");
    assertTrue(o[1].contains("unknown model 'resnet9000'") && o[1].contains("mobilenet_v2"), o[1]);
  }

  @Test
  void aBadPoolingFailsNamingTheValidForms() {
    String[] o = run(1, "demo", "--pooling", "median");
    assertTrue(o[1].contains("unknown pooling 'median'") && o[1].contains("max:K"), o[1]);
  }

  @Test
  void anUnknownLayerFailsNamingTheFeatureLayers() {
    String[] o = run(1, "demo", "--layers", "mixed11");
    assertTrue(o[1].contains("unknown layer 'mixed11' in mobilenet_v2")
        && o[1].contains("block_13_expand_relu"), o[1]);
  }

  @Test
  void datasetsListNamesFashionMnist() {
    assertTrue(run(0, "datasets", "list")[0].contains("fashion-mnist"));
  }

  @Test
  void modelsListShowsBothRosterModels() {
    String out = run(0, "models", "list")[0];
    assertTrue(out.contains("mobilenet_v2") && out.contains("inception_v3"), out);
  }

  @Test
  void demoOnASmallSliceWritesTheReportShape(@TempDir Path dir) throws Exception {
    SparkTestSession.get(); // the demo reuses the shared session instead of starting its own
    String[] o = run(0, "demo", "--train", "200", "--test", "100", "--input-size", "64",
        "--layers", "block_3_expand_relu,block_6_expand_relu,out_relu", "--max-iter", "30",
        "--out", dir.toString());
    assertTrue(o[0].contains("best layer"), o[0]);
    assertTrue(o[1].contains("stage 3/3 block_6_expand_relu → out_relu"), o[1]);
    JsonNode report = ReportJson.read(Files.readString(dir.resolve("report.json")));
    assertEquals("demo", report.get("kind").asText());
    JsonNode prov = report.get("provenance");
    assertEquals("mobilenet_v2", prov.get("models").get(0).get("name").asText());
    assertEquals("64x64:rgb:unit:nhwc", prov.get("models").get(0).get("preprocessing").asText());
    assertEquals("fashion-mnist train 200 / test 100", prov.get("spec").get("images").asText());
    assertEquals(42, prov.get("seed").asInt());
    JsonNode r = report.get("result");
    assertEquals("staged", r.get("plan").get("logical").asText(), "the demo shows staging");
    assertEquals(3, r.get("layers").size());
    for (JsonNode l : r.get("layers")) {
      for (String f : new String[] {"layer", "feature_dim", "accuracy", "macro_f1", "inference_seconds",
          "training_seconds"}) {
        assertTrue(l.has(f), f + " missing in " + l);
      }
      // 10 classes: far above chance even on 200 images
      assertTrue(l.get("accuracy").asDouble() > 0.3, l.toString());
    }
    assertEquals(192 * 4, r.get("layers").get(1).get("feature_dim").asInt());
    assertEquals(200, r.get("layers").get(1).get("train_rows").asInt());
    assertEquals(100, r.get("layers").get(1).get("test_rows").asInt());
    assertTrue(r.get("total_seconds").asDouble() > 0);
    assertTrue(Files.readString(dir.resolve("report.md")).contains("| `out_relu` |"));
  }
}
