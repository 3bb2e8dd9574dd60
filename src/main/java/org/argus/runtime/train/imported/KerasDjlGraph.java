package org.argus.runtime.train.imported;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.KerasLayer;
import org.argus.model.keras.TfjsLayersModel;

/**
 * Rebuilds a Keras model read from TF.js ({@link TfjsLayersModel}) as a trainable DJL block DAG
 * ({@link LayerGraphBlock}, PyTorch engine) initialized with the pretrained weights: the same
 * function as the ONNX graph {@code model.keras.KerasOnnxImporter} produces from the same model
 * (layer for layer, with the importer's semantics; see {@link LayerBlocks}), but differentiable.
 *
 * <p><b>Layout.</b> Built from the {@code InputLayer}, the block takes {@code [N, H, W, C] float32
 * NHWC} (as the imported ONNX graph) and transposes it to NCHW; built {@link #above above} a layer
 * L, it takes L's output as the ONNX graph's tensor L has it ({@code [N, C, H, W]} NCHW or {@code
 * [N, F]}). It returns the requested layers' outputs in order, 4-D ones {@code [N, C, H, W]} NCHW,
 * 2-D ones {@code [N, F]} — the ONNX graph's tensors of the same names.
 *
 * <p>Supported layer classes: those of the ONNX importer ({@link #SUPPORTED_LAYERS}); any other is
 * refused with its name and class.
 */
public final class KerasDjlGraph {
  /** The Keras layer classes with a DJL equivalent, comma-separated. */
  public static final String SUPPORTED_LAYERS = String.join(", ", LayerBlocks.SUPPORTED);

  private KerasDjlGraph() {}

  /**
   * The graph from the model's input to {@code outputs}.
   *
   * @param model a loaded TF.js layers model with one input
   * @param outputs Keras layer names to return, at least one
   * @return the block; input {@code [N, H, W, C]} NHWC (or {@code [N, F]} for a vector input)
   * @throws ModelFormatException when an output does not exist or is the input, the model has
   *     several inputs, or a needed layer has no DJL equivalent or misses weights
   * @throws IllegalArgumentException when {@code outputs} is empty
   */
  public static LayerGraphBlock build(TfjsLayersModel model, List<String> outputs)
      throws ModelFormatException {
    return above(model, null, outputs);
  }

  /**
   * The sub-graph strictly above layer {@code from}: every layer on a path from {@code from} to
   * {@code outputs}, reading {@code from}'s output as its input. Valid when every such path
   * passes through {@code from}, i.e. no residual join or concatenation above it also reads a
   * layer below it.
   *
   * @param model a loaded TF.js layers model
   * @param from the layer to start above; null for the model's input (then as {@link #build})
   * @param outputs Keras layer names to return, at least one, each depending on {@code from}
   * @return the block; input {@code from}'s output ({@code [N, C, H, W]} NCHW or {@code [N, F]})
   * @throws ModelFormatException when {@code from} or an output does not exist, an output does not
   *     depend on {@code from}, a join above {@code from} reads a layer below it (the message
   *     names the join and the layer), or a needed layer has no DJL equivalent or misses weights
   * @throws IllegalArgumentException when {@code outputs} is empty
   */
  public static LayerGraphBlock above(TfjsLayersModel model, String from, List<String> outputs)
      throws ModelFormatException {
    Objects.requireNonNull(model, "model");
    if (outputs.isEmpty()) {
      throw new IllegalArgumentException("outputs is empty");
    }
    Map<String, KerasLayer> byName = new HashMap<>();
    for (KerasLayer l : model.layers()) {
      byName.put(l.name(), l);
    }
    String entry = from;
    if (entry == null) {
      if (model.inputLayers().size() != 1) {
        throw new ModelFormatException("model '" + model.name() + "' has "
            + model.inputLayers().size() + " inputs " + model.inputLayers() + "; supported: 1");
      }
      entry = model.inputLayers().get(0);
    } else if (!byName.containsKey(entry)) {
      throw new ModelFormatException("no layer '" + entry + "' in model '" + model.name() + "' ("
          + model.source() + ")");
    }
    for (String o : outputs) {
      KerasLayer l = byName.get(o);
      if (l == null) {
        throw new ModelFormatException("no layer '" + o + "' in model '" + model.name() + "'");
      }
      if (o.equals(entry) || l.className().equals("InputLayer")) {
        throw new ModelFormatException("output '" + o + "' is the graph's input; choose a layer"
            + " above " + (from == null ? "the input" : "'" + from + "'"));
      }
    }
    Set<String> needed = closure(byName, outputs, entry);
    checkCut(model, byName, entry, outputs, needed);
    Map<String, Integer> ranks = ranks(model);
    LayerBlocks blocks = new LayerBlocks(model, ranks);
    List<LayerGraphBlock.Node> nodes = new ArrayList<>();
    for (KerasLayer l : model.layers()) {
      if (needed.contains(l.name()) && !l.name().equals(entry)) {
        nodes.add(new LayerGraphBlock.Node(l.name(), l.inbound(), blocks.block(l)));
      }
    }
    boolean nhwc = from == null && ranks.get(entry) == 4;
    return new LayerGraphBlock(entry, nodes, new ArrayList<>(new LinkedHashSet<>(outputs)), nhwc);
  }

  /**
   * @return {@code outputs} and every layer they read, transitively, not expanding past {@code
   *     stop}
   * @throws ModelFormatException when an inbound layer does not exist
   */
  private static Set<String> closure(Map<String, KerasLayer> byName, List<String> outputs,
      String stop) throws ModelFormatException {
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(outputs);
    while (!todo.isEmpty()) {
      String n = todo.pop();
      if (!seen.add(n) || n.equals(stop)) {
        continue;
      }
      KerasLayer l = byName.get(n);
      if (l == null) {
        throw new ModelFormatException("layer input '" + n + "' does not exist");
      }
      todo.addAll(l.inbound());
    }
    return seen;
  }

  /**
   * Checks that every path from the input to {@code outputs} passes through {@code entry}.
   *
   * @throws ModelFormatException naming an output that does not depend on {@code entry}, or the
   *     first layer above {@code entry} (in topological order) that reads a layer below it
   */
  private static void checkCut(TfjsLayersModel model, Map<String, KerasLayer> byName,
      String entry, List<String> outputs, Set<String> needed) throws ModelFormatException {
    for (String o : outputs) {
      if (!closure(byName, List.of(o), entry).contains(entry)) {
        throw new ModelFormatException("output '" + o + "' does not depend on layer '" + entry
            + "'; choose outputs above it");
      }
    }
    Set<String> below = closure(byName, List.of(entry), null);
    below.remove(entry);
    for (KerasLayer l : model.layers()) {
      if (!needed.contains(l.name()) || below.contains(l.name()) || l.name().equals(entry)) {
        continue;
      }
      for (String in : l.inbound()) {
        if (below.contains(in)) {
          throw new ModelFormatException("cannot cut model '" + model.name() + "' at '" + entry
              + "': layer " + l + " above it also reads '" + in + "', which is below it (a"
              + " residual join or concatenation spans the cut); choose a layer every path"
              + " passes through, e.g. a block's output or the layer after the join");
        }
      }
    }
  }

  /** @return each layer's output rank (4 for images, 2 for vectors), in topological order */
  private static Map<String, Integer> ranks(TfjsLayersModel model) throws ModelFormatException {
    Map<String, Integer> ranks = new HashMap<>();
    for (KerasLayer l : model.layers()) {
      int r;
      switch (l.className()) {
        case "InputLayer" -> {
          int n = l.config().path("batch_input_shape").size();
          if (n != 4 && n != 2) {
            throw LayerBlocks.unsupported(l, "batch_input_shape "
                + l.config().path("batch_input_shape")
                + "; supported: [null, H, W, C] images or [null, F] vectors");
          }
          r = n;
        }
        case "Dense", "Flatten" -> r = 2;
        case "GlobalAveragePooling2D", "GlobalMaxPooling2D" ->
            r = l.config().path("keepdims").asBoolean(false) ? 4 : 2;
        default -> {
          Integer in = l.inbound().isEmpty() ? null : ranks.get(l.inbound().get(0));
          r = in == null ? 4 : in;
        }
      }
      ranks.put(l.name(), r);
    }
    return ranks;
  }
}
