package org.argus.surfaces.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.argus.execution.ProgressSink;
import org.argus.surfaces.report.html.HtmlPage;
import org.argus.surfaces.report.html.TransferPage;

/**
 * The live {@code report.html} of a feature-transfer run ({@code transfer}, {@code demo}): a
 * {@link ProgressSink} that passes every event on to another sink and rewrites the page (the stages
 * so far with their counts, and the layers completed so far, read from the run's layer checkpoints
 * in {@code dir}) after each stage begins or ends and every {@value LivePage#PERIOD_S} s.
 * Once the run's {@code report.json} exists the finished page ({@link TransferReport#write}) stays;
 * a run that ends without it leaves a page with status {@code stopped}.
 */
public final class LiveTransferPage extends LivePage implements ProgressSink {
  private final Path dir;
  private final String kind;
  private final ProgressSink delegate;
  private final List<Entry> stages = new ArrayList<>();
  private Map<String, String> spec = Map.of();

  private static final class Entry {
    final String stage;
    final String unit;
    final long total;
    final LongSupplier done;
    long finalDone = -1;
    String summary = "";

    Entry(String stage, String unit, long total, LongSupplier done) {
      this.stage = stage;
      this.unit = unit;
      this.total = total;
      this.done = done;
    }
  }

  /**
   * Writes nothing until {@link #start}.
   *
   * @param dir the report folder
   * @param kind {@code transfer} or {@code demo}
   * @param delegate the sink every event is passed on to (the console)
   */
  public LiveTransferPage(Path dir, String kind, ProgressSink delegate) {
    super(System.err);
    this.dir = dir;
    this.kind = kind;
    this.delegate = delegate;
  }

  /**
   * Writes the page and keeps it current until {@link #close}.
   *
   * @param settings the run's settings, shown until the run's provenance replaces them
   * @return the page's absolute path
   * @throws IOException when the report folder cannot be created
   */
  public String start(Map<String, String> settings) throws IOException {
    Files.createDirectories(dir);
    synchronized (this) {
      spec = new LinkedHashMap<>(settings);
    }
    startRewriting();
    return dir.resolve(ReportPages.FILE).toAbsolutePath().toString();
  }

  @Override
  public void begin(String stage, long total, String unit, LongSupplier done) {
    delegate.begin(stage, total, unit, done);
    synchronized (this) {
      stages.add(new Entry(stage, unit, total, done));
    }
    changed();
  }

  @Override
  public void end(String stage, String summary) {
    delegate.end(stage, summary);
    synchronized (this) {
      for (Entry e : stages) {
        if (e.stage.equals(stage) && e.finalDone < 0) {
          e.finalDone = e.done.getAsLong();
          e.summary = summary;
        }
      }
    }
    changed();
  }

  @Override
  boolean finished() {
    return Files.exists(dir.resolve("report.json"));
  }

  @Override
  void write(String status) throws IOException {
    List<TransferPage.Stage> now = new ArrayList<>();
    Map<String, String> settings;
    synchronized (this) {
      for (Entry e : stages) {
        now.add(new TransferPage.Stage(e.stage, e.unit, e.total, e.finalDone >= 0 ? e.finalDone : e.done.getAsLong(),
            e.summary));
      }
      settings = spec;
    }
    var model = TransferPage.running(kind, status, settings, now, TransferPage.completedLayers(dir));
    model.put("live", status.equals("running"));
    model.put("refresh_seconds", RELOAD_S);
    TransferReport.atomic(Map.of(dir.resolve(ReportPages.FILE), HtmlPage.render(model)));
  }
}
