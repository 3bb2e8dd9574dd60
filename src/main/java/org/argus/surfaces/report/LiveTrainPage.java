package org.argus.surfaces.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.execution.train.EpochMetrics;
import org.argus.execution.train.TrainProgress;
import org.argus.surfaces.report.html.HtmlPage;
import org.argus.surfaces.report.html.TrainPage;

/**
 * The live {@code report.html} of a training run ({@code argus train}): a {@link TrainProgress}
 * that passes every event on to another one (the console) and rewrites the page — the run's
 * settings, the epochs so far (loss, accuracy, examples/s) and the current step — after every epoch
 * and at least every {@value LivePage#PERIOD_S} s during one. Once the run's {@code report.json}
 * exists the finished page ({@link TrainReport#writeTrain}) stays; a run that ends without it
 * leaves a page with status {@code stopped}.
 */
public final class LiveTrainPage extends LivePage implements TrainProgress {
  private final Path dir;
  private final TrainProgress delegate;
  private final List<Map<String, Object>> epochs = new ArrayList<>();
  private Map<String, String> spec = Map.of();
  private Map<String, Object> summary = Map.of();
  private String position = "";

  /**
   * Writes nothing until {@link #start}.
   *
   * @param dir the run directory (local)
   * @param delegate the progress every event is passed on to
   * @param err where a failed rewrite is reported (once)
   */
  public LiveTrainPage(Path dir, TrainProgress delegate, PrintStream err) {
    super(err);
    this.dir = dir;
    this.delegate = delegate;
  }

  /**
   * Writes the page and keeps it current until {@link #close}.
   *
   * @param settings the run's settings (shown in the provenance block)
   * @param run what the page says of the run: {@code model}, {@code config}, {@code workers},
   *     {@code global_batch}, {@code sync_every}, {@code resumed_from}
   * @return the page's absolute path
   * @throws IOException when the run directory cannot be created
   */
  public String start(Map<String, String> settings, Map<String, Object> run) throws IOException {
    Files.createDirectories(dir);
    synchronized (this) {
      spec = new LinkedHashMap<>(settings);
      summary = new LinkedHashMap<>(run);
    }
    startRewriting();
    return dir.resolve(ReportPages.FILE).toAbsolutePath().toString();
  }

  @Override
  public void step(int epoch, int epochCount, int step, int stepsPerEpoch, double examplesPerSecond) {
    delegate.step(epoch, epochCount, step, stepsPerEpoch, examplesPerSecond);
    synchronized (this) {
      position = String.format(java.util.Locale.ROOT, "epoch %d/%d, step %d/%d, %.0f examples/s", epoch, epochCount,
          step, stepsPerEpoch, examplesPerSecond);
    }
  }

  @Override
  public void epoch(EpochMetrics m, String checkpoint) {
    delegate.epoch(m, checkpoint);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("epoch", m.epoch());
    row.put("steps", m.steps());
    row.put("examples", m.examples());
    row.put("loss", Double.isFinite(m.loss()) ? m.loss() : null);
    row.put("accuracy", Double.isFinite(m.accuracy()) ? m.accuracy() : null);
    row.put("examples_per_second", m.examplesPerSecond());
    row.put("seconds", m.seconds());
    synchronized (this) {
      epochs.add(row);
      summary.put("last_checkpoint", checkpoint);
    }
    changed();
  }

  @Override
  boolean finished() {
    return Files.exists(dir.resolve("report.json"));
  }

  @Override
  void write(String status) throws IOException {
    Map<String, Object> run;
    List<Map<String, Object>> rows;
    Map<String, String> settings;
    synchronized (this) {
      run = new LinkedHashMap<>(summary);
      if (!position.isEmpty()) {
        run.put("position", position);
      }
      rows = new ArrayList<>(epochs);
      settings = spec;
    }
    var model = TrainPage.running(status, settings, run, rows, List.of());
    model.put("live", status.equals("running"));
    model.put("refresh_seconds", RELOAD_S);
    TransferReport.atomic(Map.of(dir.resolve(ReportPages.FILE), HtmlPage.render(model)));
  }
}
