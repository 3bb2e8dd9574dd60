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
  void anUnfinishedTransferRunIsRefusedWithHowToFinishIt(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("checkpoints"));
    var e = assertThrows(IllegalArgumentException.class, () -> ReportPages.regenerate(dir.toString()));
    assertTrue(e.getMessage().contains("has not finished: checkpoints/ but no report.json")
        && e.getMessage().contains("argus transfer --resume --out " + dir), e.getMessage());
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
