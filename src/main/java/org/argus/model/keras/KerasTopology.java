package org.argus.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.argus.model.ModelFormatException;

/**
 * A Keras model topology ({@code modelTopology.model_config} of a TF.js layers {@code model.json},
 * i.e. Keras' {@code model.to_json()}) parsed into layers with their inbound layer names.
 *
 * <p>Functional models ({@code Model}/{@code Functional}): each layer's {@code inbound_nodes} must
 * hold at most one call whose inputs all use node and tensor index 0 (no shared or multi-output
 * layers). {@code Sequential}: each layer feeds the next; without an explicit {@code InputLayer}
 * one named {@code <first layer>_input} is added from the first layer's {@code batch_input_shape},
 * as Keras names it.
 *
 * @param name the model name
 * @param layers layers in file order (each layer's inputs are expected to precede it)
 * @param inputs names of the input layers
 * @param outputs names of the output layers
 */
record KerasTopology(String name, List<KerasLayer> layers, List<String> inputs,
    List<String> outputs) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Copies the lists. */
  KerasTopology {
    layers = List.copyOf(layers);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /**
   * @param modelConfig the {@code {class_name, config}} object of the model
   * @param file the {@code model.json}, for messages
   * @throws ModelFormatException for another model class, a shared layer, a malformed inbound node
   *     or reference, or a Sequential model without layers or input shape
   */
  static KerasTopology parse(JsonNode modelConfig, Path file) throws ModelFormatException {
    String cls = modelConfig.path("class_name").asText("");
    JsonNode config = modelConfig.path("config");
    if (cls.equals("Sequential")) {
      return sequential(config, file);
    }
    if (!cls.equals("Model") && !cls.equals("Functional")) {
      throw new ModelFormatException(
          file + ": unsupported model class '" + cls + "'; supported: Model, Functional, Sequential");
    }
    List<KerasLayer> layers = new ArrayList<>();
    for (JsonNode l : config.path("layers")) {
      String lname = l.path("name").asText(l.path("config").path("name").asText(""));
      String lcls = l.path("class_name").asText("");
      layers.add(new KerasLayer(lname, lcls, l.path("config"), inbound(l, lname, lcls, file)));
    }
    return new KerasTopology(
        config.path("name").asText("model"),
        layers,
        refNames(config.path("input_layers"), file),
        refNames(config.path("output_layers"), file));
  }

  private static KerasTopology sequential(JsonNode config, Path file) throws ModelFormatException {
    JsonNode layerArray = config.isArray() ? config : config.path("layers");
    String seqName = config.isObject() ? config.path("name").asText("sequential") : "sequential";
    List<KerasLayer> layers = new ArrayList<>();
    String prev = null;
    for (JsonNode l : layerArray) {
      String lname = l.path("config").path("name").asText(l.path("name").asText(""));
      String lcls = l.path("class_name").asText("");
      if (prev == null) {
        if (lcls.equals("InputLayer")) {
          layers.add(new KerasLayer(lname, lcls, l.path("config"), List.of()));
          prev = lname;
          continue;
        }
        JsonNode bis = l.path("config").path("batch_input_shape");
        if (!bis.isArray()) {
          throw new ModelFormatException(file + ": Sequential model's first layer '" + lname
              + "' has no batch_input_shape");
        }
        String inName = lname + "_input";
        layers.add(new KerasLayer(inName, "InputLayer",
            JSON.createObjectNode().put("name", inName).set("batch_input_shape", bis), List.of()));
        prev = inName;
      }
      layers.add(new KerasLayer(lname, lcls, l.path("config"), List.of(prev)));
      prev = lname;
    }
    if (layers.isEmpty()) {
      throw new ModelFormatException(file + ": Sequential model has no layers");
    }
    return new KerasTopology(seqName, layers, List.of(layers.get(0).name()), List.of(prev));
  }

  /** @return the names of the layers feeding functional layer {@code l} (its single call) */
  private static List<String> inbound(JsonNode l, String lname, String lcls, Path file)
      throws ModelFormatException {
    JsonNode nodes = l.path("inbound_nodes");
    if (nodes.size() > 1) {
      throw new ModelFormatException(
          "unsupported layer '" + lname + "' (" + lcls + "): called " + nodes.size()
              + " times (shared layers are not supported; each layer must be called once)");
    }
    List<String> inbound = new ArrayList<>();
    if (nodes.size() == 1) {
      for (JsonNode in : nodes.get(0)) {
        if (!in.isArray() || in.size() < 3) {
          throw new ModelFormatException(
              file + ": layer '" + lname + "' has a malformed inbound node " + in);
        }
        if (in.get(1).asInt() != 0 || in.get(2).asInt() != 0) {
          throw new ModelFormatException(
              "unsupported layer '" + lname + "' (" + lcls + "): input " + in
                  + " uses a node/tensor index other than 0 (shared layers / multi-output layers)");
        }
        inbound.add(in.get(0).asText());
      }
    }
    return inbound;
  }

  private static List<String> refNames(JsonNode refs, Path file) throws ModelFormatException {
    List<String> out = new ArrayList<>();
    for (JsonNode r : refs) {
      if (!r.isArray() || r.size() < 1) {
        throw new ModelFormatException(file + ": malformed input/output layer reference " + r);
      }
      out.add(r.get(0).asText());
    }
    if (out.isEmpty()) {
      throw new ModelFormatException(file + ": model has no input_layers/output_layers");
    }
    return out;
  }
}
