package org.argus.model.keras;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import org.argus.model.ModelFormatException;

/**
 * Reading Keras layer {@code config} values the way Keras 2 interprets them, and the importer's
 * error messages ("unsupported layer '&lt;name&gt;' (&lt;class&gt;): what; supported: …").
 */
final class KerasConfig {
  private KerasConfig() {}

  /** @return the error for an unsupported layer or argument, naming the layer and its class */
  static ModelFormatException unsupported(KerasLayer l, String what) {
    return new ModelFormatException(
        "unsupported layer '" + l.name() + "' (" + l.className() + "): " + what);
  }

  /**
   * Reads a Keras 2-D size ({@code kernel_size}, {@code strides}, {@code pool_size}, …): an int
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
        throw unsupported(l, "missing '" + key + "'");
      }
      return dflt;
    }
    if (v.isInt()) {
      return new int[] {v.asInt(), v.asInt()};
    }
    if (v.isArray() && v.size() == 2) {
      return new int[] {v.get(0).asInt(), v.get(1).asInt()};
    }
    throw unsupported(l, key + " " + v + "; expected an int or [h, w]");
  }

  /**
   * ONNX padding attributes for Keras {@code padding} with TF semantics: {@code "valid"} is no
   * padding; {@code "same"} pads {@code total = max((ceil(in/s)−1)·s + k − in, 0)} with the odd pixel
   * at the end, i.e. static pads {@code (k−1)/2} before and the rest after for stride 1, and ONNX
   * {@code auto_pad=SAME_UPPER} (identical semantics, works with symbolic sizes) for other strides.
   *
   * @param k kernel {@code [kh, kw]}
   * @param s strides {@code [sh, sw]}
   * @throws ModelFormatException for another padding mode
   */
  static List<OnnxMl.AttributeProto> padding(KerasLayer l, int[] k, int[] s)
      throws ModelFormatException {
    String p = l.config().path("padding").asText("valid");
    switch (p) {
      case "valid":
        return List.of(OnnxProtos.attrInts("pads", 0, 0, 0, 0));
      case "same":
        if (s[0] == 1 && s[1] == 1) {
          int t = (k[0] - 1) / 2;
          int le = (k[1] - 1) / 2;
          return List.of(OnnxProtos.attrInts("pads", t, le, k[0] - 1 - t, k[1] - 1 - le));
        }
        return List.of(OnnxProtos.attrS("auto_pad", "SAME_UPPER"));
      default:
        throw unsupported(l, "padding '" + p + "'; supported: valid, same");
    }
  }

  /** @throws ModelFormatException unless {@code in} is a rank-4 image tensor */
  static void require4d(KerasLayer l, ImportGraph.Converted in) throws ModelFormatException {
    if (in.rank() != 4) {
      throw unsupported(l, "input of rank " + in.rank() + "; this layer needs [N, H, W, C] images");
    }
  }

  /** @throws ModelFormatException unless the rank-1 weight {@code w} has {@code n} values */
  static void checkLen(KerasLayer l, TfjsLayersModel.Weight w, int n) throws ModelFormatException {
    if (w.shape()[0] != n) {
      throw new ModelFormatException("weight '" + w.name() + "' of layer " + l + " has shape "
          + Arrays.toString(w.shape()) + ", expected [" + n + "]");
    }
  }
}
