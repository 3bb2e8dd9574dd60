package org.argus.model.keras;

import ai.onnx.proto.OnnxMl;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * The ONNX graph under construction while a Keras model is imported, and what the layer converters
 * need from it: the tensor (and its rank and channel count) each converted Keras layer produced,
 * the layer's weights, and methods that append nodes and initializers in call order (the order
 * decides the produced bytes, so converters must not reorder their calls).
 */
final class ImportGraph {
  /**
   * What a converted Keras layer produced inside the ONNX graph.
   *
   * @param tensor the ONNX tensor carrying the layer's output (the layer's name, except for an image
   *     {@code InputLayer}: {@code <input>/nchw})
   * @param rank 4 for {@code [N, C, H, W]} NCHW images, 2 for {@code [N, F]} vectors
   * @param channels {@code C} (rank 4) or {@code F} (rank 2); −1 when unknown
   */
  record Converted(String tensor, int rank, int channels) {}

  private final TfjsLayersModel model;
  private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
  private final Map<String, Converted> converted = new HashMap<>();
  private String nativeHw;

  /**
   * @param model the model being imported; only {@link #weight} reads it (unit tests of converters
   *     that need no weights pass null)
   */
  ImportGraph(TfjsLayersModel model) {
    this.model = model;
  }

  /** @return the model being imported */
  TfjsLayersModel model() {
    return model;
  }

  /** @return the graph built so far (nodes, initializers, inputs and outputs in call order) */
  OnnxMl.GraphProto.Builder graph() {
    return graph;
  }

  /** @return the native input size {@code "H,W"} of an image input, or null when unknown */
  String nativeHw() {
    return nativeHw;
  }

  void setNativeHw(String hw) {
    this.nativeHw = hw;
  }

  /** @return true when Keras layer {@code layer} has been converted already */
  boolean isConverted(String layer) {
    return converted.containsKey(layer);
  }

  /** @return what Keras layer {@code layer} produced, or null when it has not been converted */
  Converted converted(String layer) {
    return converted.get(layer);
  }

  /**
   * @return what the layer's input #{@code i} produced
   * @throws ModelFormatException when the layer has fewer inputs
   */
  Converted in(KerasLayer l, int i) throws ModelFormatException {
    if (i >= l.inbound().size()) {
      throw KerasConfig.unsupported(
          l, "expected an input #" + i + ", found " + l.inbound().size() + " inputs");
    }
    return converted.get(l.inbound().get(i));
  }

  /** @return the ONNX tensor carrying the layer's input #{@code i} */
  String x(KerasLayer l, int i) {
    return converted.get(l.inbound().get(i)).tensor();
  }

  /** Records that the layer's output is the ONNX tensor of the same name. */
  void define(String layer, int rank, int channels) {
    converted.put(layer, new Converted(layer, rank, channels));
  }

  /** Records that the layer's output is {@code tensor}. */
  void defineAt(String layer, String tensor, int rank, int channels) {
    converted.put(layer, new Converted(tensor, rank, channels));
  }

  /** Appends a node with one output. */
  void node(String op, String nodeName, List<String> inputs, String output,
      OnnxMl.AttributeProto... attrs) {
    graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType(op).setName(nodeName)
        .addAllInput(inputs).addOutput(output).addAllAttribute(Arrays.asList(attrs)));
  }

  /** Appends a float32 initializer. */
  void initFloats(String name, long[] dims, float[] data) {
    graph.addInitializer(OnnxProtos.floatTensor(name, dims, data));
  }

  /** Appends an int64 initializer. */
  void initLongs(String name, long[] dims, long[] data) {
    graph.addInitializer(OnnxProtos.int64Tensor(name, dims, data));
  }

  /**
   * Finds the layer's weight {@code <layer>/<w>}; when the manifest has no such name, the single
   * weight whose name ends with {@code /<layer>/<w>} (TF.js exports of nested models prefix names).
   *
   * @param rank the rank the weight must have
   * @throws ModelFormatException when it is missing, ambiguous or of another rank
   */
  TfjsLayersModel.Weight weight(KerasLayer l, String w, int rank) throws ModelFormatException {
    String key = l.name() + "/" + w;
    TfjsLayersModel.Weight found = model.weights().get(key);
    if (found == null) {
      for (Map.Entry<String, TfjsLayersModel.Weight> e : model.weights().entrySet()) {
        if (e.getKey().endsWith("/" + key)) {
          if (found != null) {
            throw new ModelFormatException("weight '" + key + "' of layer " + l + " is ambiguous: "
                + found.name() + " and " + e.getKey());
          }
          found = e.getValue();
        }
      }
    }
    if (found == null) {
      throw new ModelFormatException("missing weight '" + key + "' for layer " + l + " in "
          + model.source() + " (the weights manifest has " + model.weights().size() + " weights)");
    }
    if (found.shape().length != rank) {
      throw new ModelFormatException("weight '" + found.name() + "' of layer " + l + " has shape "
          + Arrays.toString(found.shape()) + ", expected rank " + rank);
    }
    return found;
  }
}
