package org.argus.surfaces.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.argus.ArgusException;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.html.HtmlPage;
import org.argus.surfaces.report.html.SelectionPage;
import org.argus.surfaces.report.html.TransferPage;

/**
 * {@code report.html}, the self-contained page next to {@code report.json}: written whole with the
 * other reports when a run finishes ({@link TransferReport#write}, {@link SelectionReport#write}),
 * rewritten while it goes ({@link LiveTransferPage}, {@link LiveSelectionPage}), and regenerated
 * from a run directory at any time ({@link #regenerate}, {@code argus report RUN_DIR}).
 */
public final class ReportPages {
  /** The page's file name in a report folder or run directory. */
  public static final String FILE = "report.html";

  /** Orders page writes in this JVM, so a live rewrite never replaces the finished page. */
  static final Object LOCK = new Object();

  private ReportPages() {}

  /**
   * @param reportJson a finished transfer or demo run's {@code report.json} text
   * @return its page
   * @throws IllegalArgumentException if the text is not an Argus report
   */
  static String transferHtml(String reportJson) {
    return HtmlPage.render(TransferPage.finished(ReportJson.read(reportJson)));
  }

  /**
   * @param runDir a selection run directory
   * @param reportJson its {@code report.json} text, or null if the run has not finished
   * @param status {@code running}, {@code finished} or {@code stopped}
   * @return its page, from the run's tables
   * @throws IOException when a table cannot be read
   */
  static String selectionHtml(String runDir, String reportJson, String status) throws IOException {
    RunDirectory dir = new RunDirectory(runDir);
    return selectionHtml(tables(dir, dir.readUnits()), reportJson, status);
  }

  static String selectionHtml(SelectionPage.Tables t, String reportJson, String status) {
    return HtmlPage.render(SelectionPage.of(t, reportJson == null ? null : ReportJson.read(reportJson), status));
  }

  /** @return the spec, trials and epochs tables of {@code dir} with the given unit attempts */
  static SelectionPage.Tables tables(RunDirectory dir, java.util.List<org.argus.plan.mop.UnitRecord> units)
      throws IOException {
    Map<String, String> spec = dir.readSpec();
    return new SelectionPage.Tables(spec == null ? Map.of() : spec, dir.readTrials(), dir.readEpochs(), units);
  }

  /**
   * Writes {@code report.html} again from what a run left: a finished run's {@code report.json}
   * (transfer, demo, select), or for a run that has not finished (killed, or still going in another
   * process) what it recorded so far: a selection run's spec and tables, a transfer run's settings
   * and completed layers (its layer checkpoints).
   *
   * @param runDir a transfer/demo report folder or a selection run directory (path or Hadoop URI)
   * @return the page written
   * @throws IllegalArgumentException when {@code runDir} does not exist or is not a run (the
   *     message names what is missing), or its {@code report.json} is not a readable Argus report
   * @throws ArgusException when the files cannot be read or the page cannot be written
   */
  public static String regenerate(String runDir) throws ArgusException {
    try {
      Path root = new Path(runDir);
      FileSystem fs = org.argus.store.HadoopConf.fileSystem(root);
      if (!fs.exists(root)) {
        throw new IllegalArgumentException("run directory " + runDir + " does not exist");
      }
      Path json = new Path(root, "report.json");
      String report = fs.exists(json) ? read(fs, json) : null;
      boolean select = fs.exists(new Path(root, "spec.properties"));
      if (select && report != null && !readable(report)) {
        System.err.println("argus: " + json + " is not a report.json this Argus reads; the page shows the tables");
        report = null;
      }
      String html;
      if (report != null && TrainReport.TRAIN.equals(ReportJson.read(report).path("kind").asText())) {
        html = HtmlPage.render(org.argus.surfaces.report.html.TrainPage.finished(ReportJson.read(report)));
      } else if (report != null && !SelectionReport.KIND.equals(ReportJson.read(report).path("kind").asText())) {
        html = transferHtml(report);
      } else if (select) {
        html = selectionHtml(runDir, report, report == null ? "stopped" : "finished");
        if (report == null) {
          System.err.println("argus: " + runDir + " has no report.json: the page shows the run's tables so far");
        }
      } else if (fs.exists(new Path(root, "checkpoints"))) {
        html = unfinishedTransferHtml(runDir);
      } else {
        throw new IllegalArgumentException(runDir + " is not an Argus run: it has no report.json (written when a "
            + "transfer, demo or select run finishes) and no spec.properties (written when a select run starts)");
      }
      synchronized (LOCK) {
        write(runDir, html);
      }
      return new Path(root, FILE).toString();
    } catch (IOException e) {
      throw new ArgusException("cannot regenerate the report page of " + runDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The stopped page of a transfer run that has layer checkpoints but no {@code report.json}
   * (killed, or still going in another process): its recorded settings and completed layers, with
   * how to finish it.
   */
  private static String unfinishedTransferHtml(String runDir) throws IOException {
    java.nio.file.Path local = java.nio.file.Path.of(new Path(runDir).toUri().getPath());
    Map<String, String> spec = new RunDirectory(new Path(runDir, "checkpoints").toString()).readSpec();
    java.util.List<com.fasterxml.jackson.databind.node.ObjectNode> layers = TransferPage.completedLayers(local);
    String resume = "argus transfer --resume " + runDir;
    System.err.println("argus: " + runDir + " holds a transfer run that has not finished (" + layers.size()
        + " layer(s) completed, no report.json): the page shows them; finish it with `" + resume + "` (same flags)");
    var model = TransferPage.running("transfer", "stopped", spec == null ? Map.of() : spec, java.util.List.of(),
        layers);
    model.putArray("notes").add("This run has not finished: " + layers.size() + " layer(s) completed so far. "
        + "Finish it with: " + resume + " (same flags).");
    return HtmlPage.render(model);
  }

  /**
   * Writes {@code report.html} atomically: with java.nio for a local folder (no Hadoop checksum
   * file), else through the Hadoop FileSystem API.
   */
  static void write(String dir, String html) throws IOException {
    java.net.URI uri = new Path(dir).toUri();
    if (uri.getScheme() == null || uri.getScheme().equals("file")) {
      java.nio.file.Path local = java.nio.file.Path.of(uri.getPath());
      java.nio.file.Files.createDirectories(local);
      TransferReport.atomic(Map.of(local.resolve(FILE), html));
    } else {
      new RunDirectory(dir).writeText(FILE, html);
    }
  }

  /** Builds a page (may read the run's tables). */
  @FunctionalInterface
  interface PageSource {
    String html() throws IOException;
  }

  /**
   * Writes a finished run's page after its {@code report.json}; a failure (a full disk, an
   * unreadable table) is reported on stderr with the command that regenerates the page, never thrown:
   * the page is a view of what the reports and tables already hold.
   */
  static void writeFinished(String dir, PageSource page) {
    try {
      write(dir, page.html());
    } catch (IOException | RuntimeException e) {
      System.err.println("argus: " + new Path(dir, FILE) + " not written (" + e.getMessage()
          + "); regenerate it with `argus report " + dir + "`");
    }
  }

  private static boolean readable(String report) {
    try {
      ReportJson.read(report);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String read(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** @return whether {@code runDir/report.json} was written at or after {@code sinceMs} (epoch ms) */
  static boolean finishedSince(String runDir, long sinceMs) {
    try {
      Path json = new Path(runDir, "report.json");
      FileSystem fs = org.argus.store.HadoopConf.fileSystem(json);
      return fs.exists(json) && fs.getFileStatus(json).getModificationTime() >= sinceMs - 2000; // coarse mtimes
    } catch (IOException e) {
      return false;
    }
  }
}
