package org.argus.model.keras;

import static org.argus.model.keras.OnnxProtos.attrF;
import static org.argus.model.keras.OnnxProtos.attrI;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Keras activations: the layers {@code Activation}, {@code ReLU}, {@code LeakyReLU}, and the
 * {@code activation} argument of Conv2D/DepthwiseConv2D/Dense. Keras 2 semantics ({@code
 * keras.activations}): relu6 = {@code min(max(x, 0), 6)}; elu with {@code alpha = 1}; hard_sigmoid
 * = {@code clip(0.2·x + 0.5, 0, 1)}; softmax over the channel axis (ONNX axis 1 for NCHW images,
 * the last axis otherwise). ReLU({@code max_value}, {@code negative_slope}) maps to Clip / LeakyRelu
 * / Relu; a non-zero {@code threshold} is not supported.
 */
final class Activations {
  private Activations() {}

  /** @return the converters of this group by Keras class name */
  static Map<String, LayerConverter> converters() {
    return Map.of(
        "Activation", Activations::activationLayer,
        "ReLU", Activations::relu,
        "LeakyReLU", Activations::leakyRelu);
  }

  /**
   * Appends the nodes computing Keras activation {@code act} of tensor {@code in} into {@code out}.
   *
   * @param rank the rank of {@code in} (4: {@code [N, C, H, W]}, 2: {@code [N, F]})
   * @throws ModelFormatException for an activation not in {@link
   *     KerasOnnxImporter#SUPPORTED_ACTIVATIONS}, naming it and the layer
   */
  static void apply(ImportGraph g, KerasLayer l, String act, String in, String out, int rank)
      throws ModelFormatException {
    String n = l.name() + "/" + act;
    List<String> x = List.of(in);
    switch (act) {
      case "linear" -> g.node("Identity", n, x, out);
      case "relu" -> g.node("Relu", n, x, out);
      case "relu6" -> clip(g, n, in, out, 0f, 6f);
      case "softmax" -> g.node("Softmax", n, x, out, attrI("axis", rank == 4 ? 1 : rank - 1));
      case "sigmoid" -> g.node("Sigmoid", n, x, out);
      case "tanh" -> g.node("Tanh", n, x, out);
      case "elu" -> g.node("Elu", n, x, out, attrF("alpha", 1f));
      case "selu" -> g.node("Selu", n, x, out);
      case "softplus" -> g.node("Softplus", n, x, out);
      case "softsign" -> g.node("Softsign", n, x, out);
      case "hard_sigmoid" ->
          g.node("HardSigmoid", n, x, out, attrF("alpha", 0.2f), attrF("beta", 0.5f));
      default -> throw new ModelFormatException("unsupported activation '" + act + "' in layer '"
          + l.name() + "' (" + l.className() + "); supported: "
          + KerasOnnxImporter.SUPPORTED_ACTIVATIONS);
    }
  }

  /** Appends {@code Clip(in, min, max) → out} with scalar initializers {@code <node>/clip_min|max}. */
  static void clip(ImportGraph g, String nodeName, String in, String out, float min, float max) {
    g.initFloats(nodeName + "/clip_min", new long[] {}, new float[] {min});
    g.initFloats(nodeName + "/clip_max", new long[] {}, new float[] {max});
    g.node("Clip", nodeName, List.of(in, nodeName + "/clip_min", nodeName + "/clip_max"), out);
  }

  private static void activationLayer(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    apply(g, l, l.config().path("activation").asText("linear"), g.x(l, 0), l.name(), in.rank());
    g.define(l.name(), in.rank(), in.channels());
  }

  private static void relu(ImportGraph g, KerasLayer l) throws ModelFormatException {
    JsonNode c = l.config();
    ImportGraph.Converted in = g.in(l, 0);
    double slope = c.path("negative_slope").asDouble(0);
    double threshold = c.path("threshold").asDouble(0);
    JsonNode max = c.path("max_value");
    if (threshold != 0) {
      throw KerasConfig.unsupported(l, "threshold " + threshold + "; supported: 0");
    }
    String name = l.name();
    boolean hasMax = !max.isMissingNode() && !max.isNull();
    if (slope != 0) {
      if (hasMax) {
        throw KerasConfig.unsupported(
            l, "negative_slope together with max_value; supported: one of them");
      }
      g.node("LeakyRelu", name, List.of(g.x(l, 0)), name, attrF("alpha", (float) slope));
    } else if (hasMax) {
      clip(g, name, g.x(l, 0), name, 0f, (float) max.asDouble());
    } else {
      g.node("Relu", name, List.of(g.x(l, 0)), name);
    }
    g.define(name, in.rank(), in.channels());
  }

  private static void leakyRelu(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    String name = l.name();
    g.node("LeakyRelu", name, List.of(g.x(l, 0)), name,
        attrF("alpha", (float) l.config().path("alpha").asDouble(0.3)));
    g.define(name, in.rank(), in.channels());
  }
}
