package org.argus.surfaces.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Metrics;
import org.argus.store.RunDirectory;
import org.argus.surfaces.cli.ArgusCli;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code report.html} in a real browser (headless Debian Chromium through Selenium, one session for
 * the class): pages of a small real transfer run and a small real selection run, and of selection
 * run directories written record by record (hostile config values, no completed unit, a live run, a
 * 200-config run). Every page must load without console errors or network requests, and each
 * chart's rendered SVG must hold as many bars, lines, points and rectangles as {@code report.json}
 * and the run's tables imply.
 */
class ReportPageBrowserTest {
  private static final String ACCURACY_BARS = "#chart-accuracy path:not([transform])";
  @TempDir static Path tmp;
  static Browser browser;
  static Path transfer;
  static Path select;
  static Path train;

  @BeforeAll
  static void realRunsAndABrowser() {
    SparkTestSession.get();
    transfer = tmp.resolve("transfer");
    assertEquals(0, ArgusCli.execute("transfer", "--learner", "spark-lr", "--train", "20", "--test", "10", "--input-size", "48",
        "--layers", "block_3_expand_relu,block_6_expand_relu", "--pooling", "avg", "--max-iter", "5",
        "--out", transfer.toString()));
    select = tmp.resolve("select");
    assertEquals(0, ArgusCli.execute("select", "--images", "200", "--family", "mlp", "--space",
        "lr=choice(0.01,0.003);width=choice(16,32);depth=choice(1)", "--procedure", "asha:2,2,4", "--workers", "2",
        "--threads", "1", "--run-dir", select.toString()));
    train = tmp.resolve("train");
    assertEquals(0, ArgusCli.execute("train", "--family", "mlp", "--width", "16", "--images", "300", "--workers", "2",
        "--epochs", "3", "--batch", "32", "--run-dir", train.toString()));
    browser = new Browser();
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  /** @return a run's {@code report.json}, read and checked */
  static JsonNode report(Path dir) throws Exception {
    return ReportJson.read(Files.readString(dir.resolve("report.json")));
  }

  /** Opens a page and checks it logged no error and loaded nothing. */
  private static void openCleanly(Path page) {
    List<LogEntry> console = browser.open(page);
    List<String> errors = console.stream().filter(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
        .map(LogEntry::getMessage).toList();
    assertTrue(errors.isEmpty(), "console errors on " + page + ": " + errors);
    assertEquals(0, browser.requests(), "network requests from " + page);
  }

  /** A learning curve of a page with more than 40 configs (one polyline of the 'lines' series). */
  private static final String CURVE_POLYLINE = "path[fill='none'][stroke-opacity='0.85']";

  private static int count(String chart, String css) {
    return browser.count("#" + chart + " svg " + css);
  }

  @Test
  void transferPageDrawsTwoBarsPerLayerWithTheBestLayerHighlighted() throws Exception {
    JsonNode r = report(transfer).path("result");
    openCleanly(transfer.resolve("report.html"));
    int layers = r.path("layers").size();
    assertEquals(2, layers);
    assertEquals(2 * layers, browser.count(ACCURACY_BARS + "[fill='#748ffc']") + browser.count(ACCURACY_BARS
        + "[fill='#20c997']") + browser.count(ACCURACY_BARS + "[fill='#d9480f']"));
    assertEquals(2, browser.count(ACCURACY_BARS + "[fill='#d9480f']"), "accuracy and macro-F1 of the best layer");
    assertEquals(3 * layers, count("chart-seconds", "path:not([transform])[fill='#4263eb']")
        + count("chart-seconds", "path:not([transform])[fill='#fab005']")
        + count("chart-seconds", "path:not([transform])[fill='#2b8a3e']"), "inference, materialization, training");
    browser.fitHeight();
    browser.screenshot("transfer");
    browser.resetSize();
  }

  @Test
  void transferPlanTreeHasTheChosenPlanItsStagesAndEveryRejectedPlan() throws Exception {
    JsonNode r = report(transfer).path("result");
    openCleanly(transfer.resolve("report.html"));
    int nodes = 1 + 1 + r.path("estimated").path("stages").size() + r.path("rejected").size();
    assertTrue(r.path("rejected").size() >= 1, r.path("rejected").toString());
    assertEquals(nodes, count("chart-plan", "path[transform^='matrix'][fill='#fff']"));
    String text = browser.driver.findElement(By.id("chart-plan")).getText()
        + String.join(" ", browser.driver.findElements(By.cssSelector("#chart-plan svg text")).stream()
            .map(e -> e.getAttribute("textContent")).toList());
    assertTrue(text.contains("rejected: " + r.path("rejected").get(0).path("logical").asText()), text);
    assertTrue(text.contains("chosen: " + r.path("plan").path("logical").asText()), text);
  }

  @Test
  void selectPageDrawsALinePerConfigAndAPointPerEpoch() throws Exception {
    List<EpochRecord> epochs = new RunDirectory(select.toString()).readEpochs();
    long configs = epochs.stream().mapToInt(EpochRecord::trial).distinct().count();
    openCleanly(select.resolve("report.html"));
    for (String chart : List.of("chart-curve-metric", "chart-curve-loss")) {
      assertEquals(configs, count(chart, "path[stroke-linejoin='bevel'][fill='none']"), chart);
      assertEquals(epochs.size(), count(chart, "path[transform^='matrix'][fill='#fff']"), chart);
    }
    JsonNode board = report(select).path("result").path("leaderboard");
    assertEquals(board.size(), browser.count("#leaderboard tbody tr"));
    long withMetric = 0;
    for (JsonNode e : board) {
      withMetric += e.path("metric").isNull() ? 0 : 1;
    }
    assertEquals(withMetric, count("chart-parallel", "path[stroke-width='1.5']"));
  }

  @Test
  void selectGanttHasOneRectanglePerUnitQueryOnItsWorkerSlot() throws Exception {
    JsonNode r = report(select).path("result");
    openCleanly(select.resolve("report.html"));
    assertEquals(r.path("units").asInt(), count("chart-gantt", "path[stroke='#ffffff']")
        + count("chart-gantt", "path[stroke='#c92a2a']"));
    assertEquals(new RunDirectory(select.toString()).readUnits().stream().mapToInt(UnitRecord::epoch).distinct().count(),
        count("chart-bytes", "path:not([transform])[fill='#748ffc']"), "one bar per epoch");
    browser.fitHeight();
    browser.screenshot("select");
    browser.resetSize();
  }

  @Test
  void trainPageDrawsAPointPerEpochAStepCurveAndAThroughputBarPerEpoch() throws Exception {
    JsonNode r = report(train).path("result");
    int epochs = r.path("epochs").size();
    assertEquals(3, epochs);
    openCleanly(train.resolve("report.html"));
    for (String chart : List.of("chart-train-loss", "chart-train-accuracy")) {
      assertEquals(1, count(chart, "path[stroke-linejoin='bevel'][fill='none']"), chart);
      assertEquals(epochs, count(chart, "path[transform^='matrix'][fill='#fff']"), chart);
    }
    assertTrue(r.path("step_losses").size() > epochs, "one loss per step: " + r.path("step_losses").size());
    assertEquals(1, count("chart-train-steps", "path[stroke-linejoin='bevel'][fill='none']"));
    assertEquals(epochs, count("chart-train-speed", "path:not([transform])[fill='#748ffc']"), "one bar per epoch");
    assertEquals(epochs, browser.count("#speed tbody tr"));
    browser.fitHeight();
    browser.screenshot("train");
    browser.resetSize();
  }

  @Test
  void leaderboardSortsByAColumnWhenItsHeaderIsClicked() {
    openCleanly(select.resolve("report.html"));
    List<org.openqa.selenium.WebElement> heads = browser.driver.findElements(By.cssSelector("#leaderboard th"));
    heads.get(1).click(); // trial, ascending
    List<Integer> asc = column(1);
    List<Integer> sorted = new ArrayList<>(asc);
    Collections.sort(sorted);
    assertEquals(sorted, asc);
    heads.get(1).click(); // descending
    Collections.reverse(sorted);
    assertEquals(sorted, column(1));
  }

  @Test
  void leaderboardStartsWithTheBestConfig() {
    openCleanly(select.resolve("report.html"));
    List<String> ranks = browser.driver.findElements(By.cssSelector("#leaderboard tbody tr td:nth-child(1)")).stream()
        .map(org.openqa.selenium.WebElement::getText).toList();
    assertEquals("1", ranks.get(0), "ranks in page order: " + ranks);
    List<Integer> ranked = ranks.stream().filter(r -> r.matches("\\d+")).map(Integer::parseInt).toList();
    List<Integer> sorted = new ArrayList<>(ranked);
    Collections.sort(sorted);
    assertEquals(sorted, ranked, "ranked configs first, best to worst: " + ranks);
  }

  private static List<Integer> column(int c) {
    return browser.driver.findElements(By.cssSelector("#leaderboard tbody tr td:nth-child(" + (c + 1) + ")")).stream()
        .map(e -> Integer.parseInt(e.getText())).toList();
  }

  @Test
  void aScriptInAConfigValueIsShownAsTextAndNeverRuns() throws Exception {
    String hostile = "act=<script>window.__argusInjected=1</script>,größe=ü<img src=x onerror=window.__argusInjected=2>";
    Path dir = tmp.resolve("hostile");
    SyntheticRuns.write(dir, List.of(hostile, "act=relu,größe=ü", "act=tanh,größe=ß"), new int[] {2, 2, 1},
        List.of("finished", "finished", "failed: diverged: training loss is NaN"), 2, true);
    ReportPages.regenerate(dir.toString());
    openCleanly(dir.resolve("report.html"));
    assertNull(browser.js("return window.__argusInjected === undefined ? null : window.__argusInjected"));
    assertEquals(0, browser.count("img"));
    assertEquals(3, browser.count("script"), "ECharts, the data block and the renderer only");
    List<String> configs = browser.driver.findElements(By.cssSelector("#leaderboard tbody td:nth-child(3)")).stream()
        .map(e -> e.getText()).toList();
    assertTrue(configs.contains(hostile), configs.toString());
    String failedRow = browser.driver.findElement(By.cssSelector("#leaderboard tr.failed")).getText();
    assertTrue(failedRow.contains("failed: diverged: training loss is NaN"), failedRow);
  }

  @Test
  void aRunWithNoCompletedUnitShowsItsSettingsAndNoCurve() throws Exception {
    Path dir = tmp.resolve("empty");
    new RunDirectory(dir.toString()).writeSpec(SyntheticRuns.spec(2));
    ReportPages.regenerate(dir.toString());
    openCleanly(dir.resolve("report.html"));
    assertTrue(browser.driver.findElement(By.id("leaderboard")).getText().contains("no unit query completed yet"));
    assertEquals(0, count("chart-curve-metric", "path[stroke-linejoin='bevel']"));
    assertEquals(0, count("chart-gantt", "path[stroke='#ffffff']"));
    assertTrue(browser.driver.findElement(By.id("provenance")).getText().contains("max accuracy"));
  }

  @Test
  void aLivePageReloadsItselfAndShowsTheNextEpoch() throws Exception {
    Path dir = tmp.resolve("live");
    RunDirectory run = SyntheticRuns.write(dir, List.of("lr=0.1", "lr=0.01"), new int[] {1, 1},
        List.of("", ""), 2, false);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (LiveSelectionPage live = LiveSelectionPage.open(dir.toString(), new PrintStream(out, true, StandardCharsets.UTF_8))) {
      assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("report page (live): file:"), out.toString());
      openCleanly(dir.resolve("report.html"));
      assertEquals("running", browser.driver.findElement(By.cssSelector("header .badge")).getText());
      assertEquals(1, count("chart-curve-metric", "path[transform^='matrix'][fill='#fff']") / 2, "one point each");
      run.appendEpochs(List.of(new EpochRecord(0, 2, "lr=0.1", 0.5, 0.6, 0.8, 0.8, null, "c", 1, 900)));
      live.accept(new UnitRecord(0, 2, 0, 0, "driver", System.currentTimeMillis() - 500, System.currentTimeMillis(), 510,
          1000, 1000, new Metrics(10, 5, 8, false), "a", "b", null));
      new WebDriverWait(browser.driver, Duration.ofSeconds(30)).until(d ->
          browser.count("#chart-curve-metric svg path[transform^='matrix'][fill='#fff']") == 3);
    }
    browser.open(dir.resolve("report.html"));
    assertEquals("stopped", browser.driver.findElement(By.cssSelector("header .badge")).getText(),
        "closed without report.json: the run stopped");
  }

  @Test
  void aPageFor200ConfigsOf20EpochsStaysUnder5MB() throws Exception {
    Path dir = tmp.resolve("large");
    List<String> configs = new ArrayList<>();
    List<String> stopped = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      configs.add(String.format(Locale.ROOT, "lr=%.6g,batch=%d,width=%d,dropout=%.2f", 1e-4 * Math.pow(100, i / 199.0),
          i % 2 == 0 ? 32 : 128, i % 3 == 0 ? 64 : 256, (i % 5) / 10.0));
      stopped.add("finished");
    }
    int[] epochs = new int[200];
    java.util.Arrays.fill(epochs, 20);
    SyntheticRuns.write(dir, configs, epochs, stopped, 4, true);
    ReportPages.regenerate(dir.toString());
    long size = Files.size(dir.resolve("report.html"));
    assertTrue(size < 5L << 20, "page of 200 configs x 20 epochs: " + size + " bytes");
    long t0 = System.nanoTime();
    openCleanly(dir.resolve("report.html"));
    double s = (System.nanoTime() - t0) / 1e9;
    assertEquals(200, count("chart-curve-metric", CURVE_POLYLINE), "one polyline per config");
    assertEquals(200, count("chart-gantt", "path[stroke='#ffffff']"), "one compound path per config");
    Object rects = browser.js("return Array.prototype.reduce.call(document.querySelectorAll("
        + "\"#chart-gantt path[stroke='#ffffff']\"), function (n, p) {"
        + " return n + (p.getAttribute('d').match(/M/g) || []).length; }, 0)");
    assertEquals(200L * 20 * 4, ((Number) rects).longValue(), "one rectangle per unit query");
    System.out.printf(Locale.ROOT, "report.html for 200 configs x 20 epochs x 4 shards (16000 unit queries): %.2f MB, "
        + "opened and drawn in Chromium in %.2f s; drawing per chart (ms): %s%n", size / 1e6, s,
        browser.js("return document.body.dataset.renderMs"));
    assertFalse(browser.driver.getTitle().isEmpty());
  }
}
