package org.argus.surfaces.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReportPages#regenerate} (no browser): what it refuses and what it writes. */
class ReportPagesTest {
  @Test
  void aFolderThatIsNotARunIsRefusedNamingWhatIsMissing(@TempDir Path dir) {
    var e = assertThrows(IllegalArgumentException.class, () -> ReportPages.regenerate(dir.toString()));
    assertTrue(e.getMessage().contains("is not an Argus run: it has no report.json") && e.getMessage().contains(
        "no spec.properties"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("report.html")));
  }

  @Test
  void aMissingFolderIsRefused(@TempDir Path dir) {
    var e = assertThrows(IllegalArgumentException.class, () -> ReportPages.regenerate(dir.resolve("nope").toString()));
    assertEquals("run directory " + dir.resolve("nope") + " does not exist", e.getMessage());
  }

  @Test
  void anUnfinishedTransferRunGetsAStoppedPageWithItsCompletedLayersAndHowToFinishIt(@TempDir Path dir)
      throws Exception {
    layer(dir, "layer-000-block_6_expand_relu", "block_6_expand_relu", 0.855);
    layer(dir, "layer-001-block_13_expand_relu", "block_13_expand_relu", 0.865);
    Files.createDirectories(dir.resolve("checkpoints/layer-002-out_relu")); // started, not finished
    ReportPages.regenerate(dir.toString());
    String html = Files.readString(dir.resolve("report.html"));
    assertTrue(html.contains("\"status\":\"stopped\""), "no report.json: the run stopped");
    assertTrue(html.contains("\"best\":\"block_13_expand_relu\""), "the best completed layer is highlighted");
    assertTrue(html.contains("\"layer\":\"block_6_expand_relu\",\"feature_dim\":768,\"accuracy\":0.855"), html);
    assertFalse(html.contains("\"layer\":\"out_relu\""), "a layer without result.json has not finished");
    assertTrue(html.contains("2 layer(s) completed so far. Finish it with: argus transfer --resume " + dir), html);
  }

  private static void layer(Path run, String folder, String layer, double accuracy) throws Exception {
    Path d = Files.createDirectories(run.resolve("checkpoints").resolve(folder));
    Files.writeString(d.resolve("result.json"), "{\"layer\":\"" + layer + "\",\"featureDim\":768,\"accuracy\":"
        + accuracy + ",\"macroF1\":0.84,\"auc\":null,\"inferenceSeconds\":2.6,\"materializationSeconds\":0.0,"
        + "\"trainingSeconds\":29.1}");
  }

  @Test
  void aKilledSelectionRunGetsAStoppedPageFromItsTables(@TempDir Path dir) throws Exception {
    SyntheticRuns.write(dir, List.of("lr=0.1", "lr=0.01"), new int[] {2, 1}, List.of("", ""), 2, false);
    String page = ReportPages.regenerate(dir.toString());
    assertEquals(dir.resolve("report.html").toString(), page);
    String html = Files.readString(dir.resolve("report.html"));
    assertTrue(html.contains("\"status\":\"stopped\""), "no report.json: the run stopped");
    assertTrue(html.contains("\"units_done\":6"), "2 shards x (2 + 1) epochs");
    assertFalse(Files.exists(dir.resolve(".report.html.crc")), "a local page needs no Hadoop checksum");
  }
}
