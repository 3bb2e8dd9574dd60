package org.argus.surfaces.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.argus.execution.train.EpochMetrics;
import org.argus.execution.train.TrainProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LiveTrainPage}: the page of a training run while it goes — written at the start, rewritten
 * after each epoch with that epoch's row, passing every event on, and left {@code stopped} when the
 * run ends without a report.
 */
class LiveTrainPageTest {
  private static String html(Path dir) throws Exception {
    return Files.readString(dir.resolve("report.html"));
  }

  @Test
  void thePageShowsEachEpochAfterItEndsAndStopsWithoutAReport(@TempDir Path dir) throws Exception {
    List<String> passedOn = new ArrayList<>();
    TrainProgress console = new TrainProgress() {
      @Override
      public void epoch(EpochMetrics m, String checkpoint) {
        passedOn.add("epoch " + m.epoch());
      }
    };
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (LiveTrainPage live = new LiveTrainPage(dir, console, new PrintStream(err, true, StandardCharsets.UTF_8))) {
      String page = live.start(Map.of("cli.family", "mlp"), new java.util.LinkedHashMap<>(Map.of("model", "mlp [784]",
          "workers", 2)));
      assertEquals(dir.resolve("report.html").toAbsolutePath().toString(), page);
      assertTrue(html(dir).contains("\"status\":\"running\"") && html(dir).contains("\"epochs\":[]"), html(dir));
      live.epoch(new EpochMetrics(1, 10, 320, 1.25, 0.5, 2.0), "checkpoints/epoch-0001.ckpt");
      long deadline = System.currentTimeMillis() + 20_000; // the rewrite is scheduled on the page's thread
      while (!html(dir).contains("\"epoch\":1,") && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      String h = html(dir);
      assertTrue(h.contains("\"epoch\":1,\"steps\":10,\"examples\":320,\"loss\":1.25,\"accuracy\":0.5"), h);
      assertTrue(h.contains("\"last_checkpoint\":\"checkpoints/epoch-0001.ckpt\""), h);
      assertTrue(h.contains("\"live\":true"), "a running page reloads itself");
    }
    assertEquals(List.of("epoch 1"), passedOn, "every event reaches the console");
    assertTrue(html(dir).contains("\"status\":\"stopped\""), "closed without report.json: the run stopped");
  }
}
