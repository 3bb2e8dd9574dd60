package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.argus.store.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code argus report RUN_DIR}. */
class ReportCommandTest {
  @Test
  void aDirectoryThatIsNotARunFailsNamingWhatIsMissing(@TempDir Path dir) {
    String err = CliRun.run(1, "report", dir.toString())[1];
    assertTrue(err.startsWith("argus: " + dir + " is not an Argus run: it has no report.json"), err);
  }

  @Test
  void aSelectionRunDirectoryGetsItsPageAndThePathIsPrinted(@TempDir Path dir) throws Exception {
    new RunDirectory(dir.toString()).writeSpec(Map.of("procedure", "grid", "execution", "mop", "goal", "max accuracy"));
    String out = CliRun.run(0, "report", dir.toString())[0];
    assertEquals("report page: " + dir.resolve("report.html") + "\n", out);
    assertTrue(Files.readString(dir.resolve("report.html")).contains("\"title\":\"Argus select: grid, mop\""));
  }

  @Test
  void runDirIsRequired() {
    String err = CliRun.run(2, "report")[1];
    assertTrue(err.contains("Missing required parameter: 'RUN_DIR'"), err);
  }
}
