package org.argus.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * One layer of a Keras functional (or sequential) model topology, as stored in a TF.js layers
 * {@code model.json} ({@code modelTopology.model_config.config.layers[i]}).
 *
 * @param name the Keras layer name (unique in the model); the importer names the layer's ONNX output
 *     tensor exactly so
 * @param className the Keras class, e.g. {@code Conv2D}
 * @param config the layer's {@code config} object, unmodified
 * @param inbound names of the layers feeding this one, in order (empty for {@code InputLayer})
 */
public record KerasLayer(String name, String className, JsonNode config, List<String> inbound) {
  /** Validates non-null fields and copies {@code inbound}. */
  public KerasLayer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(className, "className");
    Objects.requireNonNull(config, "config");
    inbound = List.copyOf(inbound);
  }

  /** @return {@code 'name' (Class)}, the way the importer's messages name a layer */
  @Override
  public String toString() {
    return "'" + name + "' (" + className + ")";
  }
}
