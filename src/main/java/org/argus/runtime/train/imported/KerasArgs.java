package org.argus.runtime.train.imported;

import com.fasterxml.jackson.databind.JsonNode;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.KerasLayer;

/** Reading Keras layer {@code config} values as Keras 2 interprets them. */
final class KerasArgs {
  private KerasArgs() {}

  /**
   * Reads a Keras 2-D size ({@code kernel_size}, {@code strides}, {@code pool_size}): an int
   * {@code k} means {@code [k, k]}.
   *
   * @param dflt the value when the key is missing or null; null makes it required
   * @return {@code [h, w]}
   * @throws ModelFormatException when it is required and missing, or not an int or a pair
   */
  static int[] pair(KerasLayer l, String key, int[] dflt) throws ModelFormatException {
    JsonNode v = l.config().path(key);
    if (v.isMissingNode() || v.isNull()) {
      if (dflt == null) {
        throw LayerBlocks.unsupported(l, "missing '" + key + "'");
      }
      return dflt;
    }
    if (v.isInt()) {
      return new int[] {v.asInt(), v.asInt()};
    }
    if (v.isArray() && v.size() == 2) {
      return new int[] {v.get(0).asInt(), v.get(1).asInt()};
    }
    throw LayerBlocks.unsupported(l, key + " " + v + "; expected an int or [h, w]");
  }

  /**
   * @return true for {@code padding="same"}, false for {@code "valid"} (the default)
   * @throws ModelFormatException for another padding mode
   */
  static boolean same(KerasLayer l) throws ModelFormatException {
    String p = l.config().path("padding").asText("valid");
    return switch (p) {
      case "valid" -> false;
      case "same" -> true;
      default -> throw LayerBlocks.unsupported(l, "padding '" + p + "'; supported: valid, same");
    };
  }

  /** @throws ModelFormatException unless the layer's input has rank 4 ({@code [N, C, H, W]}) */
  static void require4d(KerasLayer l, int rank) throws ModelFormatException {
    if (rank != 4) {
      throw LayerBlocks.unsupported(
          l, "input of rank " + rank + "; this layer needs [N, H, W, C] images");
    }
  }
}
