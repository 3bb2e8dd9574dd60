package org.argus.model.resolve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.argus.ArgusException;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;

/**
 * A model ready to use: the full ONNX graph of a roster model or an ONNX file, its pixel input,
 * the preprocessing that feeds it (at the requested input size) and, for a roster model, its
 * curated feature layers and classifier head. This is the one place that turns "a model name and
 * some layer names" into graphs:
 *
 * <ul>
 *   <li>{@link #orderLayers} checks layer names (one message listing what is valid) and sorts them
 *       bottom to top (topological order of the graph);
 *   <li>{@link #separationProblem} answers "is {@code to} computable from {@code from} alone?"
 *       (does cutting at {@code from} separate {@code to} from the pixels — false when a residual
 *       connection crosses the cut) without exceptions;
 *   <li>{@link #cut} cuts and serializes a subgraph once per (inputs, outputs) and remembers it.
 * </ul>
 *
 * <p>Thread-safe. Not serializable: executors receive {@link GraphCut} bytes.
 */
public final class ResolvedModel {
  /** Reads the bytes of a model file (e.g. through the Hadoop FileSystem API). */
  @FunctionalInterface
  public interface FileReader {
    /**
     * @param path the path as the user gave it
     * @return the file's bytes
     * @throws IOException when it cannot be read
     */
    byte[] read(String path) throws IOException;
  }

  /**
   * {@code metadata_props} key of an ONNX file's preprocessing spec in compact form ({@link
   * PreprocessingSpec#compact()}), used when the reference names no spec (a spliced model records
   * it).
   */
  public static final String PREPROCESSING_METADATA = "argus.preprocessing";

  /** {@code metadata_props} key of an ONNX file's class labels, one per line in output order. */
  public static final String LABELS_METADATA = "argus.labels";

  /** Reads local files ({@link Files#readAllBytes}). */
  public static final FileReader LOCAL_FILES = p -> Files.readAllBytes(Path.of(p));

  private final ModelRef ref;
  private final OnnxModel graph;
  private final String pixelInput;
  private final PreprocessingSpec preprocessing;
  private final RosterModel roster;
  private final Map<String, Integer> position = new HashMap<>();
  private final Map<String, GraphCut> cuts = new ConcurrentHashMap<>();

  private ResolvedModel(ModelRef ref, OnnxModel graph, String pixelInput, PreprocessingSpec preprocessing,
      RosterModel roster) {
    this.ref = ref;
    this.graph = graph;
    this.pixelInput = pixelInput;
    this.preprocessing = preprocessing;
    this.roster = roster;
    List<String> names = graph.tensorNames();
    for (int i = 0; i < names.size(); i++) {
      position.put(names.get(i), i);
    }
  }

  /**
   * Resolves a reference: provisions a roster model (npm → TF.js → ONNX, sha256-checked, cached) or
   * reads and validates an ONNX file.
   *
   * @param ref what the user named
   * @param files how to read an ONNX file path ({@link #LOCAL_FILES} or a Hadoop-FS reader)
   * @return the resolved model
   * @throws IllegalArgumentException for an unknown roster name (listing the known ones), a file
   *     without a preprocessing spec (neither in {@code ref} nor in its {@link
   *     #PREPROCESSING_METADATA}), a file graph without exactly one input, or an input size
   *     below the roster model's minimum
   * @throws ArgusException when the model cannot be provisioned or read, or is not valid ONNX
   *     ({@link org.argus.provision.ProvisioningException}, {@link ModelFormatException})
   */
  public static ResolvedModel resolve(ModelRef ref, FileReader files) throws ArgusException {
    if (!ref.isFile()) {
      RosterModel rm = Roster.get(ref.name());
      PreprocessingSpec spec = ref.preprocessing() != null ? ref.preprocessing() : rm.preprocessing();
      if (ref.inputSize() > 0 && ref.inputSize() < rm.minInputSize()) {
        throw new IllegalArgumentException("input size " + ref.inputSize() + " is below " + rm.name()
            + "'s minimum input size " + rm.minInputSize() + " pixels");
      }
      if (ref.inputSize() > 0) {
        spec = spec.withSize(ref.inputSize(), ref.inputSize());
      }
      OnnxModel graph = OnnxModel.load(PretrainedModels.onnxFile(rm.name()));
      return new ResolvedModel(ref, graph, rm.inputTensor(), spec, rm);
    }
    byte[] bytes;
    try {
      bytes = files.read(ref.path());
    } catch (IOException e) {
      if (ref.preprocessing() == null) {
        throw new IllegalArgumentException(needsSpec(ref) + " (and it cannot be read: " + e.getMessage() + ")", e);
      }
      throw new ModelFormatException("cannot read ONNX file " + ref.path() + ": " + e.getMessage(), e);
    }
    OnnxModel graph = OnnxModel.fromBytes(bytes, ref.path());
    if (graph.inputNames().size() != 1) {
      throw new IllegalArgumentException("ONNX file " + ref.path()
          + " must have exactly one graph input (the pixels), found " + graph.inputNames());
    }
    PreprocessingSpec spec = ref.preprocessing();
    if (spec == null) {
      String recorded = metadata(graph, PREPROCESSING_METADATA);
      if (recorded == null) {
        throw new IllegalArgumentException(needsSpec(ref));
      }
      spec = PreprocessingSpec.parse(recorded);
    }
    if (ref.inputSize() > 0) {
      spec = spec.withSize(ref.inputSize(), ref.inputSize());
    }
    return new ResolvedModel(ref, graph, graph.inputNames().get(0), spec, null);
  }

  private static String needsSpec(ModelRef ref) {
    return "ONNX file model " + ref.path() + " needs a preprocessing spec SIZE:ORDER:SCALING:LAYOUT, e.g. "
        + "224:rgb:tf:nhwc (or " + PREPROCESSING_METADATA + " in its metadata_props, as a spliced model has)";
  }

  /** @return the value of a {@code metadata_props} key of {@code graph}, or null */
  private static String metadata(OnnxModel graph, String key) {
    for (var e : graph.proto().getMetadataPropsList()) {
      if (e.getKey().equals(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** @return what was resolved */
  public ModelRef ref() {
    return ref;
  }

  /** @return the roster name or the file path (for messages and provenance) */
  public String name() {
    return ref.display();
  }

  /** @return the full graph */
  public OnnxModel graph() {
    return graph;
  }

  /** @return hex sha256 of the full graph's ONNX bytes */
  public String sha256() {
    return graph.sha256();
  }

  /** @return the pixel input tensor, {@code [N, H, W, 3]} or {@code [N, 3, H, W]} float32 */
  public String pixelInput() {
    return pixelInput;
  }

  /** @return the preprocessing that feeds {@link #pixelInput} (at the requested input size) */
  public PreprocessingSpec preprocessing() {
    return preprocessing;
  }

  /** @return the roster entry, empty for an ONNX file */
  public Optional<RosterModel> roster() {
    return Optional.ofNullable(roster);
  }

  /**
   * @return the classifier head's output tensor ({@code [N, classes]} probabilities): the roster's,
   *     or a file's single graph output; empty when unknown
   */
  public Optional<String> outputTensor() {
    if (roster != null) {
      return Optional.of(roster.outputTensor());
    }
    List<String> outs = graph.outputNames();
    return outs.size() == 1 ? Optional.of(outs.get(0)) : Optional.empty();
  }

  /**
   * @return the head's class labels in output order: the roster's, or a file's {@link
   *     #LABELS_METADATA} (one per line); empty when unknown
   */
  public List<String> labels() {
    if (roster != null) {
      return roster.labels();
    }
    String recorded = metadata(graph, LABELS_METADATA);
    return recorded == null || recorded.isEmpty() ? List.of() : List.of(recorded.split("\n", -1));
  }

  /** @return the curated feature layers, bottom to top (empty for an ONNX file) */
  public List<String> featureLayers() {
    return roster == null ? List.of() : roster.featureLayers();
  }

  /**
   * @param layer a tensor name
   * @return whether {@code layer} is an activation of the graph that can be a feature layer (any
   *     tensor but the pixel input and the weights)
   */
  public boolean hasLayer(String layer) {
    return position.containsKey(layer) && !layer.equals(pixelInput);
  }

  /**
   * Checks layer names and sorts them bottom to top.
   *
   * @param requested layer names, any order
   * @return the same names in the graph's topological order
   * @throws IllegalArgumentException when the list is empty, has a duplicate, or names an unknown
   *     layer — one message naming it, the model and the valid names
   */
  public List<String> orderLayers(Collection<String> requested) {
    if (requested.isEmpty()) {
      throw new IllegalArgumentException("name at least one layer of " + name() + "; " + validLayers());
    }
    LinkedHashSet<String> unique = new LinkedHashSet<>(requested);
    if (unique.size() != requested.size()) {
      throw new IllegalArgumentException("layers must be distinct, found " + requested);
    }
    for (String l : unique) {
      if (!hasLayer(l)) {
        throw new IllegalArgumentException("unknown layer '" + l + "' in " + name() + "; " + validLayers());
      }
    }
    List<String> sorted = new ArrayList<>(unique);
    sorted.sort(Comparator.comparingInt(position::get));
    return List.copyOf(sorted);
  }

  /**
   * @param layer a tensor of the graph
   * @return its position in the graph's topological order
   * @throws IllegalArgumentException for an unknown tensor
   */
  public int position(String layer) {
    Integer p = position.get(layer);
    if (p == null) {
      throw new IllegalArgumentException("unknown layer '" + layer + "' in " + name() + "; " + validLayers());
    }
    return p;
  }

  /** @return what layer names are valid, for error messages */
  public String validLayers() {
    int n = graph.tensorNames().size();
    if (roster != null) {
      return "feature layers: " + String.join(", ", roster.featureLayers()) + " (any of the graph's " + n
          + " tensors works too: argus models inspect " + roster.name() + ")";
    }
    List<String> names = graph.tensorNames();
    return "the graph has " + n + " tensors, e.g. " + String.join(", ", names.subList(Math.max(0, n - 8), n))
        + " (argus models inspect " + ref.path() + " lists them)";
  }

  /**
   * Is {@code to} computable from {@code from} alone (does cutting the graph at {@code from}
   * separate {@code to} from the pixel input)?
   *
   * @param from a layer below {@code to}, or the pixel input
   * @param to a layer
   * @return empty when it is, else why not (e.g. a residual connection crosses the cut: the message
   *     names the tensor reached around {@code from})
   */
  public Optional<String> separationProblem(String from, String to) {
    return graph.cutProblem(List.of(from), List.of(to));
  }

  /**
   * The subgraph from {@code inputs} to {@code outputs}, cut and serialized once per model instance.
   *
   * @param inputs the cut's inputs (the pixel input or layers)
   * @param outputs the layers the cut computes
   * @return the cut
   * @throws IllegalArgumentException when the cut is impossible ({@link #separationProblem})
   */
  public GraphCut cut(List<String> inputs, List<String> outputs) {
    String key = String.join(",", inputs) + "→" + String.join(",", outputs);
    return cuts.computeIfAbsent(key, k -> {
      OnnxModel c = graph.cut(inputs, outputs);
      return new GraphCut(c.toBytes(), c.sha256(), inputs, outputs, c.nodeCount(), c);
    });
  }

  /**
   * @param outputs layers
   * @return the cut from the pixel input to {@code outputs} ({@link #cut})
   */
  public GraphCut cutFromPixels(List<String> outputs) {
    return cut(List.of(pixelInput), outputs);
  }

  /**
   * @param size square input side in pixels
   * @return the same model at another input size (sharing the graph and its cuts)
   * @throws IllegalArgumentException for a size below the roster model's minimum
   */
  public ResolvedModel withInputSize(int size) {
    if (roster != null && size < roster.minInputSize()) {
      throw new IllegalArgumentException("input size " + size + " is below " + roster.name()
          + "'s minimum input size " + roster.minInputSize() + " pixels");
    }
    ResolvedModel m = new ResolvedModel(ref.withInputSize(size), graph, pixelInput,
        preprocessing.withSize(size, size), roster);
    m.cuts.putAll(cuts);
    return m;
  }

  @Override
  public String toString() {
    return name() + " (sha256 " + sha256().substring(0, 12) + ", input " + preprocessing.compact() + ")";
  }
}
