package org.argus.surfaces.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.argus.execution.fusion.FusedResult;
import org.argus.execution.fusion.FusedSelection;
import org.argus.execution.transfer.TransferSpec;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.surfaces.cli.ArgusCli;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reports of one small real fused selection (MobileNetV2 at 64², 160 training and 60 test
 * Fashion-MNIST images, two layers × two poolings × one learning rate, one epoch): {@code
 * report.json} carries the per-layer and per-pooling tables in a {@code fusion} block, {@code
 * report.md} prints them with EXPLAIN ANALYZE of both phases, and {@code report.html} — as written
 * and as {@code argus report} regenerates it — draws the per-layer section in a real browser.
 */
class FusionReportTest {
  static final List<String> LAYERS = List.of("block_3_expand_relu", "block_6_expand_relu");
  @TempDir static Path tmp;
  static FusedResult result;
  static Path runDir;
  static Browser browser;

  @BeforeAll
  static void runAFusedSelectionAndWriteItsReports() throws Exception {
    runDir = tmp.resolve("fused");
    result = FusedSelection.builder()
        .setTransfer(TransferSpec.builder().setFashionMnist(160, 60).setModel("mobilenet_v2").optInputSize(64)
            .optSeed(42).setLayers(LAYERS).build())
        .setSpace(SearchSpace.parse("layer=choice(block_6_expand_relu,block_3_expand_relu);pooling=choice(max:2,avg);"
            + "lr=choice(0.01)"))
        .setProcedure(s -> FixedEpochs.grid(s, 1, Goal.maximize("accuracy")))
        .setRunDir(runDir.toString())
        .optWorkers(2)
        .optThreads(1)
        .optSeed(42)
        .prepare(SparkTestSession.get())
        .run();
    FusionReport.write(result, FusionReport.provenance(result, 42, Map.of("threads", "1")));
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  private static Browser browser() {
    if (browser == null) {
      browser = new Browser();
    }
    return browser;
  }

  @Test
  void jsonHasAFusionBlockWithOneRowPerLayerBottomFirst() throws Exception {
    JsonNode res = ReportPageBrowserTest.report(runDir).path("result");
    JsonNode layers = res.path("fusion").path("by_layer");
    assertEquals(LAYERS.size(), layers.size(), layers.toString());
    for (int i = 0; i < LAYERS.size(); i++) {
      JsonNode row = layers.get(i);
      FusedResult.Best best = result.byLayer().get(i);
      assertEquals(LAYERS.get(i), row.path("value").asText());
      assertEquals(best.trial(), row.path("trial").asInt(), row.toString());
      assertEquals(result.selection().test().get(best.trial()).accuracy(), row.path("test_accuracy").asDouble(), 0);
      assertEquals(2, row.path("configs").asInt(), "two poolings per layer: " + row);
    }
    assertEquals(List.of("max:2", "avg"), res.path("fusion").path("by_pooling").findValuesAsText("value"));
    assertEquals(4, res.path("leaderboard").size(), "the selection's own block is unchanged");
  }

  @Test
  void jsonNamesTheCnnWithItsSha256AndMaterializedLayers() throws Exception {
    JsonNode p = ReportPageBrowserTest.report(runDir).path("provenance");
    assertEquals(SelectionReport.KIND, p.path("kind").asText());
    JsonNode model = p.path("models").get(0);
    assertEquals(result.model().sha256(), model.path("sha256").asText());
    assertEquals(64, model.path("sha256").asText().length(), model.toString());
    List<String> layers = new java.util.ArrayList<>();
    model.path("layers").forEach(l -> layers.add(l.asText()));
    assertEquals(LAYERS, layers, "bottom layer first");
  }

  @Test
  void markdownHasThePerLayerTableWithEachLayersBestConfig() throws Exception {
    String md = Files.readString(runDir.resolve("report.md"));
    assertTrue(md.contains("| layer | best config | val accuracy | val acc | test acc | test macro-F1 | configs |"), md);
    for (FusedResult.Best b : result.byLayer()) {
      assertTrue(md.contains("| " + b.value() + " | `" + b.config() + "` (trial " + b.trial() + ") |"), md);
    }
    assertTrue(md.contains("| pooling | best config |"), md);
    assertTrue(md.indexOf("## Leaderboard") < md.indexOf("## Per layer and per pooling"), md);
  }

  @Test
  void analyzeMeasuresTheMaterializationAgainstItsEstimatesAndEveryMopRound() {
    String a = FusionReport.analyze(result);
    assertTrue(a.contains("ESTIMATED vs MEASURED: "), a);
    assertTrue(a.indexOf("== materialization (measured) ==") < a.indexOf("== model selection (measured) =="), a);
    assertTrue(a.contains(result.selection().units().size() + " unit queries (0 failed)"), a);
    assertEquals(result.selection().rounds().size(), a.split("\n  round ", -1).length - 1, a);
    assertTrue(a.contains("computed: " + org.argus.plan.cost.ByteSize.format(result.featureBytes())), a);
  }

  @Test
  void theConsoleTableHasARowPerLayerAndPerPooling() {
    String t = FusionReport.table(result);
    long rows = t.lines().filter(l -> l.startsWith("| block_") || l.startsWith("| max:2 ") || l.startsWith("| avg "))
        .count();
    assertEquals(LAYERS.size() + 2, rows, t);
  }

  @Test
  void aProvenanceOfAnotherKindIsRefused() {
    Provenance other = Provenance.of("transfer", 42, Map.of(), List.of());
    var e = assertThrows(IllegalArgumentException.class, () -> FusionReport.json(result, other));
    assertTrue(e.getMessage().contains("'transfer'") && e.getMessage().contains("'select'"), e.getMessage());
  }

  @Test
  void thePageDrawsTheValidationAndTestAccuracyOfEachLayersBestConfig() throws Exception {
    assertPerLayerSection(runDir.resolve("report.html"));
    browser().fitHeight();
    browser().screenshot("select-fused");
    browser().resetSize();
  }

  @Test
  void argusReportRegeneratesThePerLayerSection() throws Exception {
    Path copy = tmp.resolve("copy");
    org.apache.commons.io.FileUtils.copyDirectory(runDir.toFile(), copy.toFile());
    Files.delete(copy.resolve("report.html"));
    assertEquals(0, ArgusCli.execute("report", copy.toString()));
    assertPerLayerSection(copy.resolve("report.html"));
  }

  private static void assertPerLayerSection(Path page) {
    Browser b = browser();
    List<String> errors = b.open(page).stream()
        .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()).map(e -> e.getMessage())
        .toList();
    assertTrue(errors.isEmpty(), "console errors on " + page + ": " + errors);
    assertEquals(LAYERS.size(), b.count("#by-layer tbody tr"));
    assertEquals(2, b.count("#by-pooling tbody tr"));
    String bars = "#chart-by-layer svg path:not([transform])";
    assertEquals(LAYERS.size(), b.count(bars + "[fill='#748ffc']"), "a validation-accuracy bar per layer");
    assertEquals(LAYERS.size(), b.count(bars + "[fill='#20c997']"), "a test-accuracy bar per layer");
    assertFalse(b.driver.findElements(org.openqa.selenium.By.cssSelector("#fusion-plan pre")).isEmpty());
  }
}
