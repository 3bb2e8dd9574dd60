package org.argus.surfaces.report;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.TrialRecord;
import java.util.function.Consumer;
import org.argus.plan.mop.UnitRecord;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.html.HtmlPage;
import org.argus.surfaces.report.html.SelectionPage;

/**
 * The live {@code report.html} of a model-selection run: a unit-query listener (pass it to {@code
 * ModelSelection.Builder.optListener}) that keeps the attempts in memory (the {@code units} table
 * holds one part file per unit; re-reading it would grow with the run) and rewrites the page from
 * them and the run's spec, epochs and trials tables (each re-read only when a part was added) after batches of unit queries and every
 * {@value LivePage#PERIOD_S} s. A resumed run starts from the units its table already holds. Once
 * this run's {@code report.json} exists the finished page ({@link SelectionReport#write}) stays.
 */
public final class LiveSelectionPage extends LivePage implements Consumer<UnitRecord> {
  private final String runDir;
  private final long startedMs = System.currentTimeMillis();
  private final List<UnitRecord> units = new ArrayList<>();
  private final Configuration conf = org.argus.store.HadoopConf.copy();
  // the tables as last read, touched by the page's writer thread only
  private Map<String, String> spec;
  private List<EpochRecord> epochs = List.of();
  private int epochParts = -1;
  private List<TrialRecord> trials = List.of();

  private LiveSelectionPage(String runDir) {
    super(System.err);
    this.runDir = runDir;
  }

  /**
   * Writes the page now (with the units a resumed run already holds) and keeps it current until
   * {@link #close}; prints its path.
   *
   * @param runDir the run directory (path or Hadoop URI)
   * @param out where to print {@code report page (live): PATH}
   * @return the live page
   */
  public static LiveSelectionPage open(String runDir, PrintStream out) {
    LiveSelectionPage p = new LiveSelectionPage(runDir);
    try {
      if (new RunDirectory(runDir).readSpec() != null) {
        p.units.addAll(new RunDirectory(runDir).readUnits());
      }
    } catch (IOException e) {
      System.err.println("argus: the live report page starts without the run's earlier units: " + e.getMessage());
    }
    p.startRewriting();
    Path page = new Path(runDir, ReportPages.FILE);
    try {
      page = page.getFileSystem(p.conf).makeQualified(page);
    } catch (IOException e) {
      // print it as given
    }
    out.println("report page (live): " + page);
    return p;
  }

  @Override
  public void accept(UnitRecord u) {
    synchronized (units) {
      units.add(u);
    }
    changed();
  }

  @Override
  boolean finished() {
    return ReportPages.finishedSince(runDir, startedMs);
  }

  @Override
  void write(String status) throws IOException {
    List<UnitRecord> now;
    synchronized (units) {
      now = List.copyOf(units);
    }
    RunDirectory dir = new RunDirectory(runDir);
    if (spec == null) {
      spec = dir.readSpec();
    }
    int parts = parts("epochs");
    if (parts != epochParts) { // one part per round: re-read only when a round ended
      epochs = dir.readEpochs();
      epochParts = parts;
    }
    if (trials.isEmpty() && parts("trials") > 0) {
      trials = dir.readTrials();
    }
    SelectionPage.Tables t = new SelectionPage.Tables(spec == null ? Map.of() : spec, trials, epochs, now);
    var model = SelectionPage.of(t, null, status);
    model.put("live", status.equals("running"));
    model.put("refresh_seconds", RELOAD_S);
    ReportPages.write(runDir, HtmlPage.render(model));
  }

  /** @return the number of part files of a table (0 when it does not exist yet) */
  private int parts(String table) throws IOException {
    Path p = new Path(runDir, "tables/" + table);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      return 0;
    }
    int n = 0;
    for (FileStatus st : fs.listStatus(p)) {
      n += st.getPath().getName().startsWith("part-") ? 1 : 0;
    }
    return n;
  }
}
