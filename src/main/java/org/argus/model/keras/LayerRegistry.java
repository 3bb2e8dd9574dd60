package org.argus.model.keras;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Keras layer classes the importer converts, each mapped to its {@link LayerConverter}: core
 * layers ({@link CoreLayers}), convolutions ({@link Convolutions}), normalization ({@link
 * Normalization}), activations ({@link Activations}), padding and pooling ({@link Pooling}) and
 * merges ({@link Merges}).
 */
final class LayerRegistry {
  private static final Map<String, LayerConverter> CONVERTERS = build();

  private LayerRegistry() {}

  private static Map<String, LayerConverter> build() {
    Map<String, LayerConverter> all = new LinkedHashMap<>();
    for (Map<String, LayerConverter> group : List.of(CoreLayers.converters(),
        Convolutions.converters(), Normalization.converters(), Activations.converters(),
        Pooling.converters(), Merges.converters())) {
      for (Map.Entry<String, LayerConverter> e : group.entrySet()) {
        if (all.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalStateException("two converters for Keras layer class " + e.getKey());
        }
      }
    }
    return Collections.unmodifiableMap(all);
  }

  /** @return the converter for Keras layer class {@code className}, or null when unsupported */
  static LayerConverter converter(String className) {
    return CONVERTERS.get(className);
  }

  /** @return every supported Keras layer class name */
  static Set<String> classNames() {
    return CONVERTERS.keySet();
  }
}
