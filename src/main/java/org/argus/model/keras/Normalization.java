package org.argus.model.keras;

import static org.argus.model.keras.OnnxProtos.attrF;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Keras {@code BatchNormalization} (inference: {@code γ·(x − moving_mean)/sqrt(moving_variance + ε)
 * + β}) → ONNX {@code BatchNormalization} over the channel axis (ONNX axis 1 of NCHW images, axis 1
 * of {@code [N, F]} vectors). {@code scale=false} uses {@code γ = 1}, {@code center=false} uses
 * {@code β = 0}; {@code ε} defaults to Keras' 1e-3. Only the channel axis ({@code -1} or the last
 * Keras axis) is supported.
 */
final class Normalization {
  private Normalization() {}

  /** @return the converters of this group by Keras class name */
  static Map<String, LayerConverter> converters() {
    return Map.of("BatchNormalization", Normalization::batchNorm);
  }

  private static void batchNorm(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    JsonNode c = l.config();
    int axis = c.path("axis").isArray() && c.path("axis").size() == 1
        ? c.path("axis").get(0).asInt() : c.path("axis").asInt(-1);
    if (!(axis == -1 || axis == in.rank() - 1)) {
      throw KerasConfig.unsupported(l, "axis " + c.path("axis")
          + "; supported: the channel axis (-1 or " + (in.rank() - 1) + ")");
    }
    String name = l.name();
    TfjsLayersModel.Weight mean = g.weight(l, "moving_mean", 1);
    int ch = mean.shape()[0];
    if (in.channels() >= 0 && ch != in.channels()) {
      KerasConfig.checkLen(l, mean, in.channels());
    }
    TfjsLayersModel.Weight var = g.weight(l, "moving_variance", 1);
    KerasConfig.checkLen(l, var, ch);
    float[] gamma = optional(g, l, "scale", "gamma", ch, 1f);
    float[] beta = optional(g, l, "center", "beta", ch, 0f);
    g.initFloats(name + "/gamma", new long[] {ch}, gamma);
    g.initFloats(name + "/beta", new long[] {ch}, beta);
    g.initFloats(name + "/moving_mean", new long[] {ch}, mean.data());
    g.initFloats(name + "/moving_variance", new long[] {ch}, var.data());
    g.node("BatchNormalization", name,
        List.of(g.x(l, 0), name + "/gamma", name + "/beta", name + "/moving_mean",
            name + "/moving_variance"),
        name, attrF("epsilon", (float) c.path("epsilon").asDouble(1e-3)));
    g.define(name, in.rank(), ch);
  }

  /** @return the weight {@code w} when config flag {@code flag} is true (default), else {@code dflt} ×ch */
  private static float[] optional(ImportGraph g, KerasLayer l, String flag, String w, int ch,
      float dflt) throws ModelFormatException {
    if (l.config().path(flag).asBoolean(true)) {
      TfjsLayersModel.Weight v = g.weight(l, w, 1);
      KerasConfig.checkLen(l, v, ch);
      return v.data();
    }
    float[] a = new float[ch];
    Arrays.fill(a, dflt);
    return a;
  }
}
