package org.argus.runtime.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.splice.HeadSplice;
import org.argus.plan.Pooling;

/**
 * Deploys the winner of a fused selection as one graph: exports the trained {@code head} (or
 * {@code mlp}) to ONNX ({@link OnnxExport}) at the input dim the layer and pooling give ({@link
 * HeadSplice#featureDim} + structured columns), splices it onto the CNN cut at the layer ({@link
 * HeadSplice#splice}) and writes the result, so serving needs ONNX Runtime only.
 *
 * <p>Files written into the target directory, each atomically (temp + rename):
 *
 * <ul>
 *   <li>{@value #MODEL_FILE}: the spliced graph, pixels ({@code [N, H, W, 3]} or {@code [N, 3, H,
 *       W]} float32, preprocessed as the CNN's spec, recorded in its metadata) plus {@code
 *       structured [N, X]} when X > 0 → {@code probability [N, classes]} float32;
 *   <li>{@value #CONFIG_FILE}: the provenance of both parts, one {@code key=value} line per
 *       metadata entry of the graph (CNN name and sha256, layer, pooling, head family, config,
 *       classes, head sha256, preprocessing, labels — line breaks in a value written as {@code
 *       \n}), then {@code model_sha256=} the file's sha256.
 * </ul>
 */
public final class HeadDeployment {
  /** The spliced graph's file name. */
  public static final String MODEL_FILE = "model.onnx";
  /** The provenance file's name. */
  public static final String CONFIG_FILE = "config.txt";

  private HeadDeployment() {}

  /**
   * What was written.
   *
   * @param model path of {@value #MODEL_FILE}
   * @param config path of {@value #CONFIG_FILE}
   * @param graph the spliced graph
   */
  public record Deployed(Path model, Path config, OnnxModel graph) {}

  /**
   * Exports, splices and writes the selected model.
   *
   * @param model the CNN at the input size the head was trained at
   * @param layer the layer the head was trained on
   * @param pooling the pooling its features were reduced by
   * @param structuredDim structured columns concatenated after the pooled features (0: none)
   * @param headFamily {@code head} or {@code mlp}
   * @param headConfig the trained config
   * @param classes output classes
   * @param headState the trainer's exported state ({@link Trainer#exportState()})
   * @param labels class names in output order, or empty
   * @param dir the directory to write into (created when missing), e.g. a run's {@code best/}
   * @return the written files
   * @throws IllegalArgumentException for an unknown layer, a family that cannot be exported, a
   *     state whose Linear shapes do not fit the layer's pooled dim (the first weight is {@code
   *     [out, F + X]}), or labels whose count is not {@code classes}
   * @throws TrainingException when the state bytes are malformed or the files cannot be written
   */
  public static Deployed write(ResolvedModel model, String layer, Pooling pooling, int structuredDim,
      String headFamily, Hyperparameters headConfig, int classes, byte[] headState, List<String> labels, Path dir)
      throws TrainingException {
    return write(model, layer, pooling, structuredDim, headFamily, headConfig, classes, headState, null, null, labels,
        dir);
  }

  /**
   * As {@link #write(ResolvedModel, String, Pooling, int, String, Hyperparameters, int, byte[], List,
   * Path)}, for a head trained on standardized features: the spliced graph computes {@code (x −
   * mean) · invStd} on the pooled features (and structured columns) before the head ({@link
   * OnnxExport#export(String, Hyperparameters, long[], int, byte[], float[], float[])}).
   *
   * @param mean per-input mean ({@code F + X} floats), or null for none
   * @param invStd per-input 1 / standard deviation, or null for none
   * @return the written files
   * @throws IllegalArgumentException as the other overload, or for a mean/invStd of another length
   * @throws TrainingException as the other overload
   */
  public static Deployed write(ResolvedModel model, String layer, Pooling pooling, int structuredDim,
      String headFamily, Hyperparameters headConfig, int classes, byte[] headState, float[] mean, float[] invStd,
      List<String> labels, Path dir) throws TrainingException {
    return write(model, null, layer, pooling, structuredDim, headFamily, headConfig, classes, headState, mean, invStd,
        labels, dir);
  }

  /**
   * As {@link #write(ResolvedModel, String, Pooling, int, String, Hyperparameters, int, byte[],
   * float[], float[], List, Path)}, spliced onto a given cut of the CNN ({@link
   * HeadSplice#splice(ResolvedModel, GraphCut, String, Pooling, int, byte[], Map, List)}): the int8
   * cut a head was trained on, so it serves on the same quantized graph.
   *
   * @param cut the cut from the pixel input to {@code layer}, or null for the CNN's fp32 cut
   * @return the written files
   * @throws IllegalArgumentException as the other overloads, or for a cut that does not end at
   *     {@code layer}
   * @throws TrainingException as the other overloads
   */
  public static Deployed write(ResolvedModel model, GraphCut cut, String layer, Pooling pooling, int structuredDim,
      String headFamily, Hyperparameters headConfig, int classes, byte[] headState, float[] mean, float[] invStd,
      List<String> labels, Path dir) throws TrainingException {
    long dim = HeadSplice.featureDim(model, layer, pooling) + structuredDim;
    byte[] head = OnnxExport.export(headFamily, headConfig, new long[] {dim}, classes, headState, mean, invStd);
    OnnxModel graph;
    try {
      graph = HeadSplice.splice(model, cut, layer, pooling, structuredDim, head,
          Map.of("family", headFamily, "config", headConfig.toString(),
              "standardization", mean == null ? "none" : "z-score of the head's inputs, fitted on the training split"),
          labels);
    } catch (ModelFormatException e) {
      throw new IllegalStateException("the exported head of family " + headFamily + " is not valid ONNX: "
          + e.getMessage(), e);
    }
    StringBuilder config = new StringBuilder();
    graph.proto().getMetadataPropsList().forEach(e ->
        config.append(e.getKey()).append('=').append(e.getValue().replace("\n", "\\n")).append('\n'));
    config.append("model_sha256=").append(graph.sha256()).append('\n');
    Path modelFile = dir.resolve(MODEL_FILE);
    Path configFile = dir.resolve(CONFIG_FILE);
    try {
      Files.createDirectories(dir);
      writeAtomically(modelFile, graph.toBytes());
      writeAtomically(configFile, config.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new TrainingException("cannot write the spliced model to " + dir + ": " + e, e);
    }
    return new Deployed(modelFile, configFile, graph);
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + "-", ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
