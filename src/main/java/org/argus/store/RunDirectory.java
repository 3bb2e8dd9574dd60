package org.argus.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.TrialRecord;
import org.argus.plan.mop.UnitRecord;

/**
 * A model-selection run directory (local path or Hadoop URI):
 *
 * <pre>
 * spec.properties      the run's spec (data, family, space, procedure, execution, seed, …)
 * ckpt/trial-T/…       checkpoints ({@link CheckpointStore})
 * tables/units/        unit log ({@link UnitRecord}): trial, epoch, shard, attempt, executor, start/end
 *                      ms in the task, job ms on the driver, bytes read/written, examples, training
 *                      loss (mean and sum), correct, checkpoints, error
 * tables/epochs/       per-epoch per-config validation metrics and checkpoint ({@link EpochRecord})
 * tables/trials/       configs with seed, bracket and why they stopped ({@link TrialRecord})
 * best/model.ckpt, best/config.txt   the best model with its config
 * report.json, report.md             written by the surface that ran the selection
 * </pre>
 *
 * <p>Tables are append-only {@link ParquetTable}s (readable by Spark); {@link #appendUnits} and
 * friends convert the typed records. Columns added after a run directory was written read as null:
 * {@code job_ms} 0, {@code train_correct} 0, {@code train_loss_sum} {@code examples × train_loss}.
 */
public final class RunDirectory {
  /** Unit log columns. */
  public static final Map<String, String> UNITS = cols(
      "trial long", "epoch long", "shard long", "attempt long", "executor string", "start_ms long",
      "end_ms long", "job_ms long", "bytes_read long", "bytes_written long", "examples long",
      "train_loss double", "train_loss_sum double", "train_correct long", "in_ckpt string",
      "out_ckpt string", "error string");
  /** Per-epoch metrics columns. */
  public static final Map<String, String> EPOCHS = cols(
      "trial long", "epoch long", "config string", "train_loss double", "val_loss double",
      "val_accuracy double", "metric double", "failed string", "ckpt string", "round long",
      "round_ms long");
  /** Trials columns. */
  public static final Map<String, String> TRIALS = cols(
      "trial long", "config string", "seed long", "bracket long", "stopped string");

  private final String root;

  /** @param root directory URI or path */
  public RunDirectory(String root) {
    this.root = root;
  }

  private static Map<String, String> cols(String... specs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String s : specs) {
      String[] p = s.split(" ");
      m.put(p[0], p[1]);
    }
    return m;
  }

  /** @return the root */
  public String root() {
    return root;
  }

  /** @return the checkpoint store rooted here */
  public CheckpointStore checkpoints() {
    return new CheckpointStore(root);
  }

  /**
   * @param name {@code units}, {@code epochs} or {@code trials}
   * @return the table, rows as column → value maps
   * @throws IllegalArgumentException for another name
   */
  public ParquetTable table(String name) {
    Map<String, String> c =
        switch (name) {
          case "units" -> UNITS;
          case "epochs" -> EPOCHS;
          case "trials" -> TRIALS;
          default -> throw new IllegalArgumentException("unknown table " + name + "; valid: units, epochs, trials");
        };
    return new ParquetTable(new Path(root, "tables/" + name).toString(), c);
  }

  /**
   * Appends unit records as one part file.
   *
   * @param units the records
   * @throws IOException on a write failure
   */
  public void appendUnits(List<UnitRecord> units) throws IOException {
    table("units").append(units.stream().map(Rows::unit).toList());
  }

  /**
   * @return every unit record, parts in write order
   * @throws IOException on a read failure
   */
  public List<UnitRecord> readUnits() throws IOException {
    return table("units").readAll().stream().map(Rows::unit).toList();
  }

  /**
   * Appends epoch records as one part file.
   *
   * @param epochs the records
   * @throws IOException on a write failure
   */
  public void appendEpochs(List<EpochRecord> epochs) throws IOException {
    table("epochs").append(epochs.stream().map(Rows::epoch).toList());
  }

  /**
   * @return every epoch record, parts in write order
   * @throws IOException on a read failure
   */
  public List<EpochRecord> readEpochs() throws IOException {
    return table("epochs").readAll().stream().map(Rows::epoch).toList();
  }

  /**
   * Appends trial records as one part file.
   *
   * @param trials the records
   * @throws IOException on a write failure
   */
  public void appendTrials(List<TrialRecord> trials) throws IOException {
    table("trials").append(trials.stream().map(Rows::trial).toList());
  }

  /**
   * @return every trial record, parts in write order
   * @throws IOException on a read failure
   */
  public List<TrialRecord> readTrials() throws IOException {
    return table("trials").readAll().stream().map(Rows::trial).toList();
  }

  private FileSystem fs() throws IOException {
    return HadoopConf.fileSystem(new Path(root));
  }

  /**
   * @return the stored spec, or null if this is not (yet) a run directory
   * @throws IOException on a read error
   */
  public Map<String, String> readSpec() throws IOException {
    Path p = new Path(root, "spec.properties");
    FileSystem fs = fs();
    if (!fs.exists(p)) {
      return null;
    }
    java.util.Properties props = new java.util.Properties();
    try (InputStream in = fs.open(p)) {
      props.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    }
    Map<String, String> m = new LinkedHashMap<>();
    new TreeSet<>(props.stringPropertyNames()).forEach(k -> m.put(k, props.getProperty(k)));
    return m;
  }

  /**
   * Writes {@code spec.properties} atomically.
   *
   * @param spec the spec to store
   * @throws IOException on a write error, naming the file and the cause
   */
  public void writeSpec(Map<String, String> spec) throws IOException {
    java.util.Properties props = new java.util.Properties();
    props.putAll(spec);
    AtomicFiles.write(fs(), new Path(root, "spec.properties"), out -> {
      java.io.Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
      props.store(w, "argus run spec");
      w.flush();
    });
  }

  /**
   * @param stored the spec in the directory
   * @param requested the spec of the resuming command
   * @return one line per differing key ({@code key: stored 'a' vs requested 'b'}); empty if equal
   */
  public static List<String> differences(Map<String, String> stored, Map<String, String> requested) {
    List<String> out = new ArrayList<>();
    TreeSet<String> keys = new TreeSet<>(stored.keySet());
    keys.addAll(requested.keySet());
    for (String k : keys) {
      String a = stored.get(k);
      String b = requested.get(k);
      if (a == null ? b != null : !a.equals(b)) {
        out.add(k + ": run has '" + a + "', this command '" + b + "'");
      }
    }
    return out;
  }

  /**
   * Writes a text file atomically (temporary file + rename).
   *
   * @param name relative file name
   * @param text content (UTF-8), replacing any existing file
   * @throws IOException on a write error, naming the file and the cause (e.g. {@code No space left
   *     on device})
   */
  public void writeText(String name, String text) throws IOException {
    writeTexts(Map.of(name, text));
  }

  /**
   * Writes several text files so that none is replaced unless all were written whole (temporary
   * files first, then renames): a full disk leaves the earlier files, or none.
   *
   * @param texts relative file name → content (UTF-8), written in the map's order
   * @throws IOException on a write error, naming the file and the cause (e.g. {@code No space left
   *     on device})
   */
  public void writeTexts(Map<String, String> texts) throws IOException {
    Map<Path, AtomicFiles.Body> files = new LinkedHashMap<>();
    for (Map.Entry<String, String> t : texts.entrySet()) {
      files.put(new Path(root, t.getKey()), out -> out.write(t.getValue().getBytes(StandardCharsets.UTF_8)));
    }
    AtomicFiles.writeAll(fs(), files);
  }
}
