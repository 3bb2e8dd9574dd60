package org.argus.surfaces.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The report of a feature-extraction run ({@code argus features}): {@code report.json} (the {@link
 * ReportJson} envelope, kind {@value #KIND}, with {@link Provenance} and the {@link Document}
 * below), {@code report.md} and the console summary. Written through the Hadoop FileSystem API, so
 * the run folder may be local or on HDFS/S3A, each file to a temporary name and renamed.
 */
public final class FeaturesReport {
  /** The run kind in {@code report.json}. */
  public static final String KIND = "features";

  private FeaturesReport() {}

  /**
   * The {@code result} of a features {@code report.json}.
   *
   * @param source what was read (data set, folder or table)
   * @param model roster name or ONNX path
   * @param precision {@code fp32} or {@code int8}
   * @param pooling the pooling of 4-D activations, e.g. {@code max:2}
   * @param layers one entry per layer, in the order given
   * @param featuresPath the features Parquet folder
   * @param quarantinePath the quarantine Parquet folder ({@code id, reason})
   * @param rowsRead image rows read (written + quarantined)
   * @param rowsWritten rows in the features Parquet
   * @param quarantined rows in the quarantine Parquet
   * @param quarantineReasons quarantined rows by reason, most frequent first
   * @param seconds wall seconds of the extraction (inference and both writes)
   * @param imagesPerSecond rows read ÷ seconds
   * @param notes how the run was done, one line each (int8 calibration, partitions)
   */
  public record Document(String source, String model, String precision, String pooling, List<Layer> layers,
      String featuresPath, String quarantinePath, long rowsRead, long rowsWritten, long quarantined,
      Map<String, Long> quarantineReasons, double seconds, double imagesPerSecond, List<String> notes) {
    /** Copies the collections. */
    public Document {
      layers = List.copyOf(layers);
      quarantineReasons = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(quarantineReasons));
      notes = List.copyOf(notes);
    }
  }

  /**
   * One layer's column.
   *
   * @param layer the model's layer (tensor) name
   * @param column the Parquet column holding it
   * @param dim floats per row after pooling (0 when no row was written)
   */
  public record Layer(String layer, String column, int dim) {}

  /**
   * Writes {@code report.json} and {@code report.md} into {@code out}.
   *
   * @param out the run folder (local path or Hadoop URI)
   * @param provenance how the features were made
   * @param doc the result
   * @param conf Hadoop configuration of the file system
   * @throws IOException when a file cannot be written (the message names it)
   */
  public static void write(String out, Provenance provenance, Document doc, Configuration conf) throws IOException {
    Path dir = new Path(out);
    FileSystem fs = dir.getFileSystem(conf);
    Map<String, String> files = new LinkedHashMap<>();
    files.put("report.json", ReportJson.write(provenance, doc));
    files.put("report.md", markdown(provenance, doc));
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path target = new Path(dir, f.getKey());
      Path tmp = new Path(dir, "." + f.getKey() + ".tmp");
      try (OutputStream o = fs.create(tmp, true)) {
        o.write(f.getValue().getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IOException("cannot write " + target + ": " + e.getMessage(), e);
      }
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("cannot rename " + tmp + " to " + target);
      }
    }
  }

  /**
   * @param doc the result
   * @return the console summary: one line per layer (column and dimension), then rows, quarantine and speed
   */
  public static String summary(Document doc) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%n%-28s | %-28s | %8s%n", "layer", "column",
        "dim"));
    sb.append("-".repeat(70)).append('\n');
    for (Layer l : doc.layers()) {
      sb.append(String.format(Locale.ROOT, "%-28s | %-28s | %8d%n", l.layer(), l.column(), l.dim()));
    }
    sb.append(String.format(Locale.ROOT, "%d rows read: %d written to %s, %d quarantined to %s%s%n", doc.rowsRead(),
        doc.rowsWritten(), doc.featuresPath(), doc.quarantined(), doc.quarantinePath(),
        doc.quarantineReasons().isEmpty() ? "" : " " + doc.quarantineReasons()));
    sb.append(String.format(Locale.ROOT, "%s, %s, pooling %s: %.1f s, %.1f images/s%n", doc.model(), doc.precision(),
        doc.pooling(), doc.seconds(), doc.imagesPerSecond()));
    return sb.toString();
  }

  /** @return {@code report.md}: the summary, the quarantine by reason, notes, provenance */
  static String markdown(Provenance provenance, Document doc) {
    StringBuilder md = new StringBuilder("# Argus features\n\n");
    md.append("Source: ").append(doc.source()).append("\n\n| layer | column | dim |\n|---|---|---:|\n");
    for (Layer l : doc.layers()) {
      md.append(String.format(Locale.ROOT, "| `%s` | `%s` | %d |%n", l.layer(), l.column(), l.dim()));
    }
    md.append(String.format(Locale.ROOT, "%n- rows read %d, written %d (`%s`), quarantined %d (`%s`)%n",
        doc.rowsRead(), doc.rowsWritten(), doc.featuresPath(), doc.quarantined(), doc.quarantinePath()));
    doc.quarantineReasons().forEach((r, n) -> md.append("  - ").append(n).append(" × ").append(r).append('\n'));
    md.append(String.format(Locale.ROOT, "- %s, precision %s, pooling %s: %.1f s, %.1f images/s%n", doc.model(),
        doc.precision(), doc.pooling(), doc.seconds(), doc.imagesPerSecond()));
    doc.notes().forEach(n -> md.append("- ").append(n).append('\n'));
    md.append('\n').append(ProvenanceMarkdown.of(provenance));
    return md.toString();
  }
}
