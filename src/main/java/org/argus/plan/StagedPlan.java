package org.argus.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.roster.PreprocessingSpec;

/**
 * A staged feature-transfer plan (Vista, SIGMOD 2020, §4.1 "staged" logical plan): the CNN is cut
 * at the requested layers {@code l₁ < l₂ < … < lₖ} (topological order), stage 1 computes {@code
 * l₁} from the pixels and stage {@code i+1} computes {@code lᵢ₊₁} from {@code lᵢ}'s materialized
 * activation, so no stage reruns the layers below it and at most two stages' outputs need to be
 * held at once.
 *
 * <p>Each stage carries its own cut graph (serialized ONNX bytes + sha256), so executors can
 * build one session per stage and per JVM.
 *
 * @param modelName roster name or file name of the full model
 * @param modelSha256 sha256 of the full model's bytes (provenance)
 * @param preprocessing pixels → input tensor of stage 1
 * @param pooling reduction of each layer's activation to features
 * @param stages the stages, bottom to top
 */
public record StagedPlan(
    String modelName,
    String modelSha256,
    PreprocessingSpec preprocessing,
    Pooling pooling,
    List<Stage> stages) {

  /**
   * One stage: the cut graph from {@code input} to {@code layer}.
   *
   * @param index 0-based position
   * @param input the stage's input tensor (the model's pixel input for stage 0, else the previous
   *     layer), {@code [N, H, W, 3]} for pixels, {@code [N, C, H, W] float32} for activations
   * @param layer the layer this stage outputs
   * @param graph serialized ONNX bytes of the cut
   * @param sha256 sha256 of {@code graph}
   * @param nodes number of nodes in the cut
   */
  public record Stage(int index, String input, String layer, byte[] graph, String sha256, int nodes) {
    /** Validates non-null fields. */
    public Stage {
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(layer, "layer");
      Objects.requireNonNull(graph, "graph");
    }

    @Override
    public String toString() {
      return "stage " + (index + 1) + ": " + input + " → " + layer + " (" + nodes + " nodes, "
          + graph.length + " bytes)";
    }
  }

  /** Copies the stage list. */
  public StagedPlan {
    stages = List.copyOf(stages);
  }

  /**
   * Builds the staged plan: orders {@code layers} by their position in the graph and cuts one
   * graph per stage.
   *
   * @param model the full model
   * @param modelName a name for messages and provenance
   * @param pixelInput the model's image input tensor
   * @param layers the requested layers, any order, no duplicates
   * @param preprocessing pixels → tensor
   * @param pooling feature reduction
   * @return the plan
   * @throws IllegalArgumentException for an unknown or duplicated layer (message lists valid
   *     names) or when a layer does not separate the next one from the layers below (a residual
   *     connection crosses the cut), naming both layers
   */
  public static StagedPlan build(
      OnnxModel model,
      String modelName,
      String pixelInput,
      List<String> layers,
      PreprocessingSpec preprocessing,
      Pooling pooling) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a staged plan needs at least one layer, found none");
    }
    List<String> order = model.tensorNames();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      position.put(order.get(i), i);
    }
    LinkedHashSet<String> unique = new LinkedHashSet<>(layers);
    if (unique.size() != layers.size()) {
      throw new IllegalArgumentException("layers must be distinct, found " + layers);
    }
    for (String l : unique) {
      if (!position.containsKey(l) || l.equals(pixelInput)) {
        throw new IllegalArgumentException(
            "unknown layer '" + l + "' in " + modelName + "; known: " + abbreviate(order));
      }
    }
    List<String> sorted = new ArrayList<>(unique);
    sorted.sort(Comparator.comparingInt(position::get));
    List<Stage> stages = new ArrayList<>();
    String input = pixelInput;
    for (int i = 0; i < sorted.size(); i++) {
      String layer = sorted.get(i);
      OnnxModel cut;
      try {
        cut = model.cut(List.of(input), List.of(layer));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "staged plan for "
                + modelName
                + ": layer '"
                + layer
                + "' cannot be computed from '"
                + input
                + "' alone ("
                + e.getMessage()
                + "); pick layers that each separate the graph, e.g. block outputs",
            e);
      }
      byte[] bytes = cut.toBytes();
      stages.add(new Stage(i, input, layer, bytes, cut.sha256(), cut.nodeCount()));
      input = layer;
    }
    return new StagedPlan(modelName, model.sha256(), preprocessing, pooling, stages);
  }

  /** @return the layers, bottom to top */
  public List<String> layers() {
    return stages.stream().map(Stage::layer).toList();
  }

  /** @return a readable multi-line description (one line per stage) */
  public String explain() {
    StringBuilder sb = new StringBuilder();
    sb.append("staged plan: ")
        .append(modelName)
        .append(" (sha256 ")
        .append(modelSha256, 0, 12)
        .append("), input ")
        .append(preprocessing.compact())
        .append(", pooling ")
        .append(pooling)
        .append('\n');
    for (Stage s : stages) {
      sb.append("  ").append(s).append('\n');
    }
    return sb.toString();
  }

  private static String abbreviate(List<String> names) {
    int shown = Math.min(names.size(), 40);
    String head = String.join(", ", names.subList(0, shown));
    return shown == names.size() ? head : head + ", … (" + names.size() + " tensors)";
  }
}
