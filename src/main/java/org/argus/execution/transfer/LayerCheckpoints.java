package org.argus.execution.transfer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.SparkSession;
import org.argus.provision.Sha256;
import org.argus.store.RunDirectory;

/**
 * The checkpoints of a feature-transfer run, one per completed layer, so that a run whose driver
 * died resumes without recomputing them ({@code argus transfer --resume RUN_DIR}).
 *
 * <p>Layout under the run directory:
 *
 * <pre>
 * checkpoints/spec.properties    what the results depend on ({@link #fingerprint}); a resume
 *                                must match it exactly
 * checkpoints/layer-I-NAME/      one completed layer (I: position bottom to top, NAME sanitized)
 *     model/                     the fitted downstream model (Spark ML writer)
 *     result.json                metrics, timings, cross-validation, model class, and the sha256
 *                                of every file under model/
 * </pre>
 *
 * <p>A layer's directory is written under a temporary name and renamed into place once complete
 * (an atomic rename on a local file system), so a driver killed while writing leaves no layer that
 * looks complete; temporary directories are deleted when the run directory is opened. On resume a
 * layer is reused only when its {@code result.json} parses and every listed file has the recorded
 * sha256; otherwise it is recomputed and the reason is reported in {@link #notes()}.
 *
 * <p>Per-layer results do not depend on the plan (lazy, eager, staged) nor on its tuning, so a
 * resumed run may execute the remaining layers with a different plan.
 */
public final class LayerCheckpoints {
  /** The checkpoint folder inside the run directory. */
  public static final String FOLDER = "checkpoints";
  private static final String SPEC_FILE = "spec.properties";
  private static final String RESULT = "result.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;
  private final List<String> notes = new ArrayList<>();

  private LayerCheckpoints(Path dir) {
    this.dir = dir;
  }

  /**
   * What one completed layer's {@code result.json} holds.
   *
   * @param layer the layer name
   * @param featureDim see {@link TransferResult.LayerResult}
   * @param activationShape per example
   * @param accuracy test accuracy
   * @param macroF1 test macro-F1
   * @param auc binary AUC, null when not binary
   * @param trainRows training rows
   * @param testRows test rows
   * @param inferenceSeconds seconds of the run that computed it
   * @param materializationSeconds seconds of the run that computed it
   * @param trainingSeconds seconds of the run that computed it
   * @param crossValidation what cross-validation chose, or null
   * @param modelClass the downstream model's class (read back with Spark ML's default reader)
   * @param files path relative to the layer's folder → hex sha256, for every file under {@code model/}
   */
  record Stored(String layer, int featureDim, long[] activationShape, double accuracy, double macroF1, Double auc,
      long trainRows, long testRows, double inferenceSeconds, double materializationSeconds, double trainingSeconds,
      TransferResult.CrossValidation crossValidation, String modelClass, Map<String, String> files) {}

  /**
   * Opens the checkpoints of the run in {@code runDir}.
   *
   * <p>A fresh run ({@code resume} false) deletes any checkpoints there and records {@code
   * fingerprint}. A resume requires the recorded fingerprint and refuses a different one, listing
   * every difference.
   *
   * @param runDir the run directory (the CLI's {@code --out})
   * @param fingerprint setting → value of everything the per-layer results depend on
   * @param resume whether to continue a run there
   * @return the checkpoints
   * @throws IllegalArgumentException on resume, when {@code runDir} holds no transfer checkpoints or
   *     they were made with other settings or inputs
   * @throws IOException when the directory cannot be read or written
   */
  public static LayerCheckpoints open(Path runDir, Map<String, String> fingerprint, boolean resume)
      throws IOException {
    Path dir = runDir.resolve(FOLDER);
    RunDirectory run = new RunDirectory(dir.toUri().toString());
    if (resume) {
      Map<String, String> stored = Files.isDirectory(dir) ? run.readSpec() : null;
      if (stored == null) {
        throw new IllegalArgumentException("--resume " + runDir + ": no transfer checkpoints there (" + dir.resolve(
            SPEC_FILE) + " missing); give the --out folder of an earlier argus transfer run");
      }
      List<String> diffs = RunDirectory.differences(stored, fingerprint);
      if (!diffs.isEmpty()) {
        throw new IllegalArgumentException("cannot resume the transfer run in " + runDir
            + " with other settings or inputs (give the same flags as the first run):\n  " + String.join("\n  ", diffs));
      }
    } else {
      deleteTree(dir);
      Files.createDirectories(dir);
      run.writeSpec(fingerprint);
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) {
        deleteTree(p); // a layer whose writing was interrupted
      }
    }
    return new LayerCheckpoints(dir);
  }

  /**
   * The settings and input sizes a transfer run's per-layer results depend on: the spec without
   * resources and plan overrides, the model's sha256, the resolved layers and the input row counts.
   *
   * @param spec the spec
   * @param modelSha256 hex sha256 of the model's ONNX bytes
   * @param layers the run's layers, bottom to top
   * @param counts the input counts (known after reading the inputs)
   * @return setting → value, in a stable order
   */
  public static Map<String, String> fingerprint(TransferSpec spec, String modelSha256, List<String> layers,
      TransferResult.Counts counts) {
    Map<String, String> m = new LinkedHashMap<>(spec.describe());
    m.remove("resources");
    m.remove("overrides");
    m.put("model_sha256", modelSha256);
    m.put("layers", String.join(",", layers));
    m.put("rows", counts.imageRows() + " images, " + counts.tableRows() + " table rows, " + counts.joinedRows()
        + " joined, " + counts.quarantined() + " quarantined");
    return m;
  }

  /** @return the checkpoint folder */
  public Path dir() {
    return dir;
  }

  /**
   * Reads every completed layer whose files match their recorded sha256.
   *
   * @param spark the session (to read the downstream models)
   * @return layer name → its result (timings are those of the run that computed it)
   * @throws IOException when the folder cannot be listed
   */
  public Map<String, TransferResult.LayerResult> completed(SparkSession spark) throws IOException {
    Map<String, TransferResult.LayerResult> out = new TreeMap<>();
    List<Path> layerDirs;
    try (Stream<Path> s = Files.list(dir)) {
      layerDirs = s.filter(p -> p.getFileName().toString().startsWith("layer-")).sorted().toList();
    }
    for (Path d : layerDirs) {
      String problem = verify(d);
      if (problem != null) {
        notes.add("checkpoint " + d.getFileName() + " not reused (" + problem + "); its layer is recomputed");
        continue;
      }
      Stored st = JSON.readValue(d.resolve(RESULT).toFile(), Stored.class);
      PredictionModel<?, ?> model =
          DefaultParamsReader$.MODULE$.loadParamsInstance(d.resolve("model").toUri().toString(), spark);
      out.put(st.layer(), new TransferResult.LayerResult(st.layer(), st.featureDim(), st.activationShape(),
          st.accuracy(), st.macroF1(), st.auc() == null ? Double.NaN : st.auc(), st.trainRows(), st.testRows(),
          st.inferenceSeconds(), st.materializationSeconds(), st.trainingSeconds(), model, st.crossValidation()));
    }
    return out;
  }

  /** @return null when the layer's checkpoint is whole, else why not */
  private static String verify(Path d) {
    try {
      Stored st = JSON.readValue(d.resolve(RESULT).toFile(), Stored.class);
      if (st.files() == null || st.files().isEmpty()) {
        return "no files recorded";
      }
      for (Map.Entry<String, String> f : st.files().entrySet()) {
        Path p = d.resolve(f.getKey()).normalize();
        if (!p.startsWith(d) || !Files.isRegularFile(p)) {
          return "file " + f.getKey() + " missing";
        }
        String got = Sha256.of(p);
        if (!got.equals(f.getValue())) {
          return "file " + f.getKey() + " has sha256 " + got + ", recorded " + f.getValue();
        }
      }
      return null;
    } catch (IOException e) {
      return RESULT + " unreadable: " + e.getMessage();
    }
  }

  /**
   * Writes one completed layer: the model and {@code result.json} into a temporary folder, renamed
   * into place when whole.
   *
   * @param index the layer's position among the run's layers, bottom to top
   * @param r the layer's result
   * @throws UncheckedIOException when a file cannot be written (e.g. no space left on the device),
   *     naming the folder; nothing half-written is left looking complete
   * @throws IllegalStateException when Spark's model writer fails, naming the folder
   * @throws IllegalArgumentException when the layer's model cannot be saved (not {@link MLWritable})
   */
  public void save(int index, TransferResult.LayerResult r) {
    if (!(r.model() instanceof MLWritable w)) {
      throw new IllegalArgumentException("layer '" + r.layer() + "': downstream model "
          + r.model().getClass().getName() + " cannot be checkpointed (not MLWritable)");
    }
    String name = String.format("layer-%03d-%s", index, r.layer().replaceAll("[^A-Za-z0-9_.-]", "_"));
    Path tmp = dir.resolve(".tmp-" + name + "-" + System.nanoTime());
    Path target = dir.resolve(name);
    boolean moved = false;
    try {
      Files.createDirectories(tmp);
      w.write().save(tmp.resolve("model").toUri().toString());
      Map<String, String> files = new TreeMap<>();
      try (Stream<Path> s = Files.walk(tmp.resolve("model"))) {
        for (Path f : s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList()) {
          files.put(tmp.relativize(f).toString(), Sha256.of(f));
        }
      }
      Stored st = new Stored(r.layer(), r.featureDim(), r.activationShape(), r.accuracy(), r.macroF1(),
          Double.isNaN(r.auc()) ? null : r.auc(), r.trainRows(), r.testRows(), r.inferenceSeconds(),
          r.materializationSeconds(), r.trainingSeconds(), r.crossValidation(), r.model().getClass().getName(), files);
      Files.writeString(tmp.resolve(RESULT), JSON.writeValueAsString(st), StandardCharsets.UTF_8);
      deleteTree(target);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the checkpoint of layer '" + r.layer() + "' to " + target + ": "
          + e.getMessage(), e);
    } catch (RuntimeException e) { // Spark's writer: SparkException and friends, undeclared
      throw new IllegalStateException("cannot write the checkpoint of layer '" + r.layer() + "' to " + target
          + ": " + e.getMessage(), e);
    } finally {
      if (!moved) {
        try {
          deleteTree(tmp);
        } catch (IOException cleanup) {
          notes.add("could not delete the partial checkpoint " + tmp + ": " + cleanup.getMessage());
        }
      }
    }
  }

  /** @return checkpoints found but not reused, and why */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
