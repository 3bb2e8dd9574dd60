package org.argus.surfaces.cli;

import java.util.concurrent.Callable;
import org.argus.ArgusException;
import org.argus.surfaces.report.ReportPages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code argus report RUN_DIR}: writes a run's {@code report.html} again from what the run left
 * (its {@code report.json}, or a selection run's spec and tables — also for a run that was killed
 * or is still going); prints the page's path.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Regenerate report.html of a run: a transfer/demo report folder or a select run directory",
      "(finished, killed or still running)."
    })
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "the run's report folder (transfer, demo) or run directory (select)")
  String runDir;

  @Override
  public Integer call() throws ArgusException {
    System.out.println("report page: " + ReportPages.regenerate(runDir));
    return 0;
  }
}
