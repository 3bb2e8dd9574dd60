package org.argus.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A model-selection run directory (local path or Hadoop URI):
 *
 * <pre>
 * spec.properties      the run's spec (data, family, space, procedure, execution, seed, …)
 * ckpt/trial-T/…       checkpoints ({@link CheckpointStore})
 * tables/units/        unit log: trial, epoch, shard, attempt, executor, start/end ms, bytes read/written, …
 * tables/epochs/       per-epoch per-config validation metrics and checkpoint
 * tables/trials/       configs with seed, bracket and why they stopped
 * best/model.ckpt, best/config.txt   the best model with its config
 * report.json, report.md
 * </pre>
 */
public final class RunDirectory {
  /** Unit log columns. */
  public static final Map<String, String> UNITS = cols(
      "trial long", "epoch long", "shard long", "attempt long", "executor string", "start_ms long",
      "end_ms long", "bytes_read long", "bytes_written long", "examples long", "train_loss double",
      "in_ckpt string", "out_ckpt string", "error string");
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
   * @return the table
   */
  public ParquetTable table(String name) {
    Map<String, String> c =
        switch (name) {
          case "units" -> UNITS;
          case "epochs" -> EPOCHS;
          case "trials" -> TRIALS;
          default -> throw new IllegalArgumentException("unknown table " + name);
        };
    return new ParquetTable(new Path(root, "tables/" + name).toString(), c);
  }

  private FileSystem fs() throws IOException {
    return new Path(root).getFileSystem(new Configuration());
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
   * @param spec the spec to store
   * @throws IOException on a write error
   */
  public void writeSpec(Map<String, String> spec) throws IOException {
    java.util.Properties props = new java.util.Properties();
    props.putAll(spec);
    writeText("spec.properties", "");
    try (OutputStream out = fs().create(new Path(root, "spec.properties"), true)) {
      props.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), "argus select run spec");
    }
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
   * @param name relative file name
   * @param text content (UTF-8), replacing any existing file
   * @throws IOException on a write error
   */
  public void writeText(String name, String text) throws IOException {
    try (OutputStream out = fs().create(new Path(root, name), true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
