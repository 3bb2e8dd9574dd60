package org.argus.surfaces.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.plan.cost.ByteSize;
import org.argus.plan.cost.PhysicalPlan;
import org.argus.plan.cost.StageEstimate;

/**
 * The report of a feature-transfer run ({@code argus transfer}, and {@code argus demo}, its
 * preset): the console table, {@code report.json} (the {@link ReportJson} envelope with {@link
 * Provenance} and the {@link Document} below) and {@code report.md}.
 */
public final class TransferReport {
  private TransferReport() {}

  /**
   * The {@code result} of a transfer {@code report.json}.
   *
   * @param layers per layer, bottom to top
   * @param best the layer with the highest test accuracy (first of equals)
   * @param plan the plan that ran
   * @param estimated the cost model's estimates for it
   * @param measured what the run measured
   * @param counts rows read, joined, dropped by the join and quarantined (by reason)
   * @param notes how the inputs and layers were handled
   * @param explain EXPLAIN text (chosen and rejected plans)
   * @param estimatedVsMeasured EXPLAIN ANALYZE text
   * @param totalSeconds wall seconds of the run
   * @param rejected the plans the optimizer rejected, with their estimates (added in schema version
   *     1 after its first release; absent in older files)
   */
  public record Document(List<Layer> layers, String best, Plan plan, Estimated estimated,
      TransferResult.Measured measured, TransferResult.Counts counts, List<String> notes, String explain,
      String estimatedVsMeasured, double totalSeconds, List<Rejected> rejected) {}

  /**
   * A plan the optimizer rejected.
   *
   * @param logical lazy, eager or staged
   * @param summary its physical choices in one line
   * @param relativeCost its estimated cost over the chosen plan's (≥ 1 unless it did not fit)
   * @param peakHeapBytesPerExecutor estimated peak JVM heap per executor
   * @param peakNativeBytesPerExecutor estimated peak ONNX Runtime memory per executor
   * @param materializedBytes estimated bytes written to storage over the run
   * @param fits whether its estimates fit the resources
   * @param reason why it was rejected
   */
  public record Rejected(String logical, String summary, double relativeCost, long peakHeapBytesPerExecutor,
      long peakNativeBytesPerExecutor, long materializedBytes, boolean fits, String reason) {}

  /**
   * One layer's row.
   *
   * @param layer the layer
   * @param featureDim features the downstream model saw (CNN + structured)
   * @param activationShape the activation per image before pooling
   * @param accuracy test accuracy
   * @param macroF1 test macro-F1
   * @param auc area under ROC (binary labels), else null
   * @param trainRows training rows
   * @param testRows test rows
   * @param inferenceSeconds seconds of the query that computed the layer
   * @param materializationSeconds seconds to build its training table (join after inference)
   * @param trainingSeconds seconds to fit and score
   * @param crossValidation what cross-validation chose, or null
   */
  public record Layer(String layer, int featureDim, long[] activationShape, double accuracy, double macroF1,
      Double auc, long trainRows, long testRows, double inferenceSeconds, double materializationSeconds,
      double trainingSeconds, TransferResult.CrossValidation crossValidation) {}

  /**
   * The physical plan that ran.
   *
   * @param logical lazy, eager or staged
   * @param persistence storage level
   * @param format how activations were materialized between stages
   * @param partitions partitions during inference
   * @param tasksPerExecutor concurrent inference tasks per executor
   * @param ortThreads ORT threads per task
   * @param batchSize images per ORT call
   * @param columnBatchRows rows per cached column batch
   * @param joinPlacement before/after inference or none
   * @param joinStrategy broadcast/shuffle or none
   */
  public record Plan(String logical, String persistence, String format, int partitions, int tasksPerExecutor,
      int ortThreads, int batchSize, int columnBatchRows, String joinPlacement, String joinStrategy) {}

  /**
   * The cost model's estimates for the plan that ran.
   *
   * @param peakHeapBytesPerExecutor estimated peak JVM heap per executor
   * @param peakNativeBytesPerExecutor estimated peak ONNX Runtime memory per executor
   * @param materializedBytes bytes written to storage over the run
   * @param stages per query, its estimate
   */
  public record Estimated(long peakHeapBytesPerExecutor, long peakNativeBytesPerExecutor, long materializedBytes,
      List<StageEstimate> stages) {}

  /**
   * @param kind {@code transfer} or {@code demo}
   * @param spec the run's spec
   * @param r its result
   * @return provenance: the spec's settings, the model's sha256, layers and preprocessing, the environment
   */
  public static Provenance provenance(String kind, TransferSpec spec, TransferResult r) {
    Map<String, String> settings = spec.describe();
    List<String> layers = r.layers().stream().map(TransferResult.LayerResult::layer).toList();
    return Provenance.of(kind, spec.seed(), settings, List.of(
        new Provenance.ModelUse(r.model().name(), r.model().sha256(), layers, r.model().preprocessing())));
  }

  /**
   * @param r the result
   * @param explain EXPLAIN text
   * @return the JSON document of the result
   */
  public static Document document(TransferResult r, String explain) {
    List<Layer> layers = new ArrayList<>();
    for (TransferResult.LayerResult l : r.layers()) {
      layers.add(new Layer(l.layer(), l.featureDim(), l.activationShape(), l.accuracy(), l.macroF1(),
          Double.isNaN(l.auc()) ? null : l.auc(), l.trainRows(), l.testRows(), l.inferenceSeconds(),
          l.materializationSeconds(), l.trainingSeconds(), l.crossValidation()));
    }
    PhysicalPlan p = r.decision().chosen();
    Plan plan = new Plan(p.logical().cliName(), p.persistence().name(), p.format().cliName(), p.partitions(),
        p.tasksPerExecutor(), p.ortThreads(), p.batchSize(), p.columnBatchRows(), p.joinPlacement().name(),
        p.joinStrategy().name());
    Estimated est = new Estimated(p.peakHeapBytesPerExecutor(), p.peakNativeBytesPerExecutor(),
        p.materializedBytes(), p.stages());
    double chosenCost = Math.max(p.cost(), 1);
    List<Rejected> rejected = r.decision().alternatives().stream().map(a -> new Rejected(a.logical().cliName(),
        a.summary(), a.cost() / chosenCost, a.peakHeapBytesPerExecutor(), a.peakNativeBytesPerExecutor(),
        a.materializedBytes(), a.fits(), a.reason())).toList();
    return new Document(layers, best(r), plan, est, r.measured(), r.counts(), r.notes(), explain,
        r.estimatedVsMeasured(), r.totalSeconds(), rejected);
  }

  /** @return the layer with the highest test accuracy (the first of equals) */
  static String best(TransferResult r) {
    TransferResult.LayerResult b = null;
    for (TransferResult.LayerResult l : r.layers()) {
      if (b == null || l.accuracy() > b.accuracy()) {
        b = l;
      }
    }
    return b == null ? null : b.layer();
  }

  /**
   * Writes {@code report.json} and {@code report.md} into {@code dir}: both to temporary files
   * first, then both renamed into place, so a reader never sees half a report and a failed write (a
   * full disk) leaves neither report — nor its temporary file — behind. Then {@code report.html}
   * (its own temporary file and rename): a view of {@code report.json}, so a page that cannot be
   * written is reported on stderr with the command that regenerates it, and does not fail the run.
   *
   * @param dir the report folder (created if missing)
   * @param provenance how the result was made
   * @param r the result
   * @param explain EXPLAIN text
   * @throws IOException when the folder or a file cannot be written; the message names the file
   *     and the cause (e.g. {@code No space left on device})
   */
  public static void write(Path dir, Provenance provenance, TransferResult r, String explain) throws IOException {
    Files.createDirectories(dir);
    Map<Path, String> files = new java.util.LinkedHashMap<>();
    files.put(dir.resolve("report.json"), ReportJson.write(provenance, document(r, explain)));
    files.put(dir.resolve("report.md"), markdown(provenance, r, explain));
    synchronized (ReportPages.LOCK) { // after a live rewrite, never before one
      atomic(files);
      ReportPages.writeFinished(dir.toString(), () -> ReportPages.transferHtml(files.get(dir.resolve("report.json"))));
    }
  }

  /** Writes every file to a temporary name, then renames them all; on a failure deletes the temporaries. */
  static void atomic(Map<Path, String> files) throws IOException {
    Map<Path, Path> written = new java.util.LinkedHashMap<>();
    try {
      for (Map.Entry<Path, String> f : files.entrySet()) {
        Path tmp = f.getKey().resolveSibling("." + f.getKey().getFileName() + ".tmp");
        written.put(tmp, f.getKey());
        try {
          Files.writeString(tmp, f.getValue());
        } catch (IOException e) { // the JDK's message names no file (e.g. "No space left on device")
          throw new IOException("cannot write " + f.getKey() + ": " + e.getMessage(), e);
        }
      }
      for (Map.Entry<Path, Path> w : written.entrySet()) {
        Files.move(w.getKey(), w.getValue(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      written.clear();
    } finally {
      for (Path tmp : written.keySet()) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the write's own failure is what the caller reports
        }
      }
    }
  }

  /**
   * @param r the result
   * @return the console table: per layer dimension, accuracy, macro-F1, AUC, seconds (and the
   *     cross-validation columns), then the plan, memory and row counts
   */
  public static String table(TransferResult r) {
    StringBuilder sb = new StringBuilder();
    TransferResult.CrossValidation cv0 = r.layers().isEmpty() ? null : r.layers().get(0).crossValidation();
    String cvName = cv0 == null ? "" : cv0.folds() + "-fold " + cv0.metric();
    String cvHead = cv0 == null ? "" : " | " + cvName + " | chosen params";
    sb.append(String.format("%n%-24s | %11s | %8s | %8s | %6s | %9s | %8s%s%n", "layer", "feature dim", "accuracy",
        "macro-F1", "AUC", "infer s", "train s", cvHead));
    sb.append("-".repeat(92 + (cv0 == null ? 0 : 40))).append('\n');
    for (TransferResult.LayerResult l : r.layers()) {
      TransferResult.CrossValidation cv = l.crossValidation();
      sb.append(String.format("%-24s | %11d | %8.4f | %8.4f | %6s | %9.1f | %8.1f%s%n", l.layer(), l.featureDim(),
          l.accuracy(), l.macroF1(), Double.isNaN(l.auc()) ? "-" : String.format("%.4f", l.auc()),
          l.inferenceSeconds() + l.materializationSeconds(), l.trainingSeconds(),
          cv == null ? "" : String.format(" | %" + cvName.length() + ".4f | %s", cv.meanMetric(), cv.chosenParams())));
    }
    if (cv0 != null) {
      sb.append(String.format("(accuracy, macro-F1 and AUC: the chosen params refitted on the whole training split, "
          + "scored on the test split; %d-fold %s: mean over the held-out folds)%n", cv0.folds(), cv0.metric()));
    }
    String best = best(r);
    if (best != null) {
      TransferResult.LayerResult b = r.layers().stream().filter(l -> l.layer().equals(best)).findFirst().orElseThrow();
      sb.append(String.format("%nbest layer: %s (accuracy %.4f) — %s, input %s, pooling %s%n", b.layer(),
          b.accuracy(), r.model().name(), r.model().preprocessing(), r.model().pooling()));
    }
    PhysicalPlan p = r.decision().chosen();
    TransferResult.Measured m = r.measured();
    sb.append(String.format("plan: %s%n", p.summary()));
    sb.append(String.format("estimated peak heap %s, measured live %s; estimated materialized %s (held ≤ %s), "
            + "measured held %s; spilled %s memory / %s disk; %.1f s total%n",
        ByteSize.format(p.peakHeapBytesPerExecutor()),
        m.peakLiveHeapBytes() < 0 ? "?" : ByteSize.format(m.peakLiveHeapBytes()),
        ByteSize.format(p.materializedBytes()),
        ByteSize.format(p.stages().stream().mapToLong(StageEstimate::heldBytes).max().orElse(0)),
        ByteSize.format(m.materializedBytes()), ByteSize.format(m.memoryBytesSpilled()),
        ByteSize.format(m.diskBytesSpilled()), r.totalSeconds()));
    TransferResult.Counts c = r.counts();
    sb.append(String.format("rows: %d images, %d table rows, %d joined, %d/%d dropped by the join (images/table), "
            + "quarantined %d unusable images, %d duplicate ids, %d null/NaN%n",
        c.imageRows(), c.tableRows(), c.joinedRows(), c.imagesDroppedByJoin(), c.tableRowsDroppedByJoin(),
        c.quarantinedUndecodable(), c.quarantinedDuplicateIds(), c.quarantinedNullValues()));
    return sb.toString();
  }

  /** @return {@code report.md}: the per-layer table, the run, EXPLAIN, EXPLAIN ANALYZE, provenance */
  static String markdown(Provenance provenance, TransferResult r, String explain) {
    StringBuilder md = new StringBuilder("# Argus feature transfer").append(
        provenance.kind().equals("demo") ? " (demo)" : "").append("\n\n");
    TransferResult.CrossValidation cv0 = r.layers().isEmpty() ? null : r.layers().get(0).crossValidation();
    md.append("| layer | feature dim | accuracy | macro-F1 | AUC | inference s | training s |")
        .append(cv0 == null ? "" : " " + cv0.folds() + "-fold " + cv0.metric() + " | chosen params |")
        .append("\n|---|---:|---:|---:|---:|---:|---:|").append(cv0 == null ? "" : "---:|---|").append('\n');
    for (TransferResult.LayerResult l : r.layers()) {
      TransferResult.CrossValidation cv = l.crossValidation();
      md.append(String.format("| `%s` | %d | %.4f | %.4f | %s | %.1f | %.1f |%s%n", l.layer(), l.featureDim(),
          l.accuracy(), l.macroF1(), Double.isNaN(l.auc()) ? "–" : String.format("%.4f", l.auc()),
          l.inferenceSeconds() + l.materializationSeconds(), l.trainingSeconds(),
          cv == null ? "" : String.format(" %.4f | `%s` |", cv.meanMetric(), cv.chosenParams())));
    }
    md.append("\n```\n").append(table(r).strip()).append("\n```\n\n## EXPLAIN\n\n```\n").append(explain)
        .append("```\n\n## Estimated vs measured\n\n```\n").append(r.estimatedVsMeasured()).append("```\n\n");
    md.append(ProvenanceMarkdown.of(provenance));
    return md.toString();
  }
}
