package org.argus.surfaces.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.argus.ArgusException;
import org.argus.execution.train.EpochMetrics;
import org.argus.execution.train.Evaluation;
import org.argus.execution.train.StepLoss;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.html.HtmlPage;
import org.argus.surfaces.report.html.TrainPage;

/**
 * The reports of a data-parallel training run ({@code argus train}, kind {@value #TRAIN}) and of a
 * checkpoint's evaluation ({@code argus test}, kind {@value #TEST}): {@code report.json} ({@link
 * ReportJson}'s envelope) and {@code report.md} (tables and {@link Provenance}), written together
 * (both whole or neither); a training run also gets {@code report.html} ({@link TrainPage}: loss
 * and accuracy per epoch, loss per step, examples/s).
 */
public final class TrainReport {
  /** Provenance kind of a training run. */
  public static final String TRAIN = "train";

  /** Provenance kind of an evaluation. */
  public static final String TEST = "test";

  private TrainReport() {}

  /**
   * The {@code result} block of a training run's {@code report.json}.
   *
   * @param runDir the run directory
   * @param model the trainer's description
   * @param config the config's canonical text
   * @param workers partitions computing gradients
   * @param globalBatch examples per optimizer step
   * @param syncEvery local steps per synchronization
   * @param resumedFrom epochs done before this invocation (0: fresh)
   * @param steps optimizer steps of the final model
   * @param retries step jobs run a second time
   * @param lastCheckpoint the newest checkpoint, relative to the run directory
   * @param epochs one row per epoch trained by this invocation
   * @param stepLosses {@code [step, mean loss]} of every synchronization of this invocation (loss
   *     null when not finite)
   */
  public record TrainDocument(String runDir, String model, String config, int workers, int globalBatch,
      int syncEvery, int resumedFrom, long steps, int retries, String lastCheckpoint, List<EpochRow> epochs,
      List<Number[]> stepLosses) {}

  /**
   * @param steps the step losses of a run
   * @return them as {@code [step, loss]} pairs (loss null when not finite)
   */
  public static List<Number[]> stepLosses(List<StepLoss> steps) {
    return steps.stream().map(s -> new Number[] {s.step(), finite(s.loss())}).toList();
  }

  /**
   * @param epoch 1-based
   * @param steps optimizer steps in the epoch
   * @param examples examples trained on
   * @param loss mean training loss, nats (null if not finite)
   * @param accuracy training accuracy (null if not finite)
   * @param examplesPerSecond throughput of the epoch, checkpoint included
   * @param seconds wall-clock seconds
   */
  public record EpochRow(int epoch, int steps, long examples, Double loss, Double accuracy,
      double examplesPerSecond, double seconds) {}

  /**
   * The {@code result} block of an evaluation's {@code report.json}.
   *
   * @param checkpoint the evaluated checkpoint
   * @param model the trainer's description
   * @param examples examples evaluated
   * @param accuracy fraction correct
   * @param macroF1 unweighted mean F1 over the classes present
   * @param classes per-class precision, recall and support
   * @param confusion {@code confusion[label][predicted]}
   */
  public record TestDocument(String checkpoint, String model, long examples, Double accuracy, Double macroF1,
      List<ClassRow> classes, long[][] confusion) {}

  /**
   * @param label class index
   * @param name class name, or the index as text
   * @param precision null when never predicted
   * @param recall null when absent
   * @param support examples with that label
   */
  public record ClassRow(int label, String name, Double precision, Double recall, long support) {}

  /**
   * @param epochs the epochs
   * @return their rows
   */
  public static List<EpochRow> rows(List<EpochMetrics> epochs) {
    return epochs.stream().map(e -> new EpochRow(e.epoch(), e.steps(), e.examples(), finite(e.loss()),
        finite(e.accuracy()), e.examplesPerSecond(), e.seconds())).toList();
  }

  /**
   * @param epochs the rows
   * @return a Markdown table: epoch, steps, examples, loss, accuracy, examples/s, seconds
   */
  public static String epochTable(List<EpochRow> epochs) {
    StringBuilder sb = new StringBuilder("| epoch | steps | examples | loss | accuracy | examples/s | s |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (EpochRow e : epochs) {
      sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %s | %s | %.0f | %.1f |%n", e.epoch(), e.steps(),
          e.examples(), num(e.loss()), num(e.accuracy()), e.examplesPerSecond(), e.seconds()));
    }
    return sb.toString();
  }

  /**
   * Writes {@code report.json} and {@code report.md} of a training run into its run directory, then
   * {@code report.html} (a view: when it cannot be written, stderr says so).
   *
   * @param d the result
   * @param provenance how it was made (kind {@value #TRAIN})
   * @throws ArgusException if the files cannot be written
   * @throws IllegalArgumentException if the provenance is of another kind
   */
  public static void writeTrain(TrainDocument d, Provenance provenance) throws ArgusException {
    check(provenance, TRAIN);
    String md = String.format(Locale.ROOT, "# argus train: %s%n%nConfig `%s`; %d workers, global batch %d, "
            + "sync every %d step(s); %d optimizer steps%s; %d step job(s) retried. Last checkpoint: `%s`.%n%n",
        d.model(), d.config(), d.workers(), d.globalBatch(), d.syncEvery(), d.steps(),
        d.resumedFrom() > 0 ? " (resumed after epoch " + d.resumedFrom() + ")" : "", d.retries(),
        d.lastCheckpoint())
        + epochTable(d.epochs()) + "\n" + ProvenanceMarkdown.of(provenance);
    String json = ReportJson.write(provenance, d);
    synchronized (ReportPages.LOCK) {
      write(d.runDir(), json, md);
      ReportPages.writeFinished(d.runDir(), () -> HtmlPage.render(TrainPage.finished(ReportJson.read(json))));
    }
  }

  /**
   * @param checkpoint the evaluated checkpoint
   * @param model the trainer's description
   * @param e the evaluation
   * @param names class names by index (shorter lists: the index is the name)
   * @return the result block
   */
  public static TestDocument test(String checkpoint, String model, Evaluation e, List<String> names) {
    double[] p = e.precision();
    double[] r = e.recall();
    long[] s = e.support();
    List<ClassRow> rows = new ArrayList<>();
    for (int c = 0; c < p.length; c++) {
      rows.add(new ClassRow(c, c < names.size() ? names.get(c) : Integer.toString(c), finite(p[c]), finite(r[c]),
          s[c]));
    }
    return new TestDocument(checkpoint, model, e.examples(), finite(e.accuracy()), finite(e.macroF1()), rows,
        e.confusion());
  }

  /**
   * @param d an evaluation's result
   * @return Markdown: summary line, per-class table, confusion matrix
   */
  public static String testMarkdown(TestDocument d) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "Accuracy %s, macro-F1 %s on %d examples (checkpoint `%s`, %s).%n%n| class | name | precision | recall |"
            + " support |%n|---|---|---|---|---|%n", num(d.accuracy()), num(d.macroF1()), d.examples(),
        d.checkpoint(), d.model()));
    for (ClassRow c : d.classes()) {
      sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %d |%n", c.label(), c.name(), num(c.precision()),
          num(c.recall()), c.support()));
    }
    sb.append("\nConfusion matrix (rows: label, columns: predicted)\n\n| |");
    for (int c = 0; c < d.confusion().length; c++) {
      sb.append(' ').append(c).append(" |");
    }
    sb.append("\n|---|").append("---|".repeat(d.confusion().length)).append('\n');
    for (int r = 0; r < d.confusion().length; r++) {
      sb.append("| ").append(r).append(" |");
      for (long v : d.confusion()[r]) {
        sb.append(' ').append(v).append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * Writes {@code report.json} and {@code report.md} of an evaluation into {@code dir}.
   *
   * @param dir the output directory
   * @param d the result
   * @param provenance how it was made (kind {@value #TEST})
   * @throws ArgusException if the files cannot be written
   * @throws IllegalArgumentException if the provenance is of another kind
   */
  public static void writeTest(String dir, TestDocument d, Provenance provenance) throws ArgusException {
    check(provenance, TEST);
    write(dir, ReportJson.write(provenance, d),
        "# argus test\n\n" + testMarkdown(d) + "\n" + ProvenanceMarkdown.of(provenance));
  }

  private static void check(Provenance p, String kind) {
    if (!kind.equals(p.kind())) {
      throw new IllegalArgumentException("provenance kind is '" + p.kind() + "'; this report needs '" + kind + "'");
    }
  }

  private static void write(String dir, String json, String md) throws ArgusException {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("report.json", json);
    files.put("report.md", md);
    try {
      new RunDirectory(dir).writeTexts(files);
    } catch (IOException e) {
      throw new ArgusException("cannot write the reports in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static Double finite(double d) {
    return Double.isFinite(d) ? d : null;
  }

  private static String num(Double d) {
    return d == null ? "-" : String.format(Locale.ROOT, "%.4f", d);
  }
}
