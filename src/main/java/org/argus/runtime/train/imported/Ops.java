package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.List;

/**
 * Keras 2 activations ({@code keras.activations}) on DJL arrays, with the importer's semantics:
 * relu6 = {@code min(max(x, 0), 6)}; elu with {@code alpha = 1}; selu with Klambauer et al.'s
 * constants; hard_sigmoid = {@code clip(0.2·x + 0.5, 0, 1)}; softmax over the channel axis (axis 1
 * for both {@code [N, C, H, W]} and {@code [N, F]}).
 */
final class Ops {
  /** The activation names {@link #activate} knows (the importer's list). */
  static final List<String> ACTIVATIONS = List.of("linear", "relu", "relu6", "softmax", "sigmoid",
      "tanh", "elu", "selu", "softplus", "softsign", "hard_sigmoid");

  private Ops() {}

  /**
   * @param act a name in {@link #ACTIVATIONS} (checked when the graph is built)
   * @param x any shape; softmax needs rank ≥ 2
   * @return the activation of {@code x}
   * @throws IllegalArgumentException for another name
   */
  static NDArray activate(String act, NDArray x) {
    return switch (act) {
      case "linear" -> x;
      case "relu" -> Activation.relu(x);
      case "relu6" -> x.clip(0f, 6f);
      case "softmax" -> x.softmax(1);
      case "sigmoid" -> Activation.sigmoid(x);
      case "tanh" -> Activation.tanh(x);
      case "elu" -> Activation.elu(x, 1f);
      case "selu" -> Activation.selu(x);
      case "softplus" -> Activation.softPlus(x);
      case "softsign" -> Activation.softSign(x);
      case "hard_sigmoid" -> x.mul(0.2f).add(0.5f).clip(0f, 1f);
      default -> throw new IllegalArgumentException(
          "unsupported activation '" + act + "'; supported: " + String.join(", ", ACTIVATIONS));
    };
  }
}
