package org.argus.runtime.train;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.argus.model.keras.OnnxProtos;

/**
 * Exports a trained {@code head} or {@code mlp} ({@link Families}: flatten, then Linear → ReLU
 * layers, then Linear to the classes) to an ONNX graph, so that predicting runs in ONNX Runtime
 * through the inference kernel like every other Argus stage:
 *
 * <pre>
 * x [N, inputShape…] float32 → Flatten(axis 1) → (Gemm(transB=1) → Relu)* → Gemm(transB=1)
 *   → Softmax(axis 1) → probability [N, classes] float32
 * </pre>
 *
 * <p>The weights are the trained state's first arrays ({@link Trainer#exportState()}: DJL's
 * parameters in block order, each Linear's {@code weight [out, in]} then {@code bias [out]}; the
 * optimizer's slots that follow are not exported). Opset 13, IR 7.
 */
public final class OnnxExport {
  /** The graph input. */
  public static final String INPUT = "x";
  /** The graph output: class probabilities. */
  public static final String OUTPUT = "probability";

  private OnnxExport() {}

  /**
   * @param family a built-in family name
   * @return whether {@link #export} supports it ({@code head}, {@code mlp}; not {@code cnn})
   */
  public static boolean supports(String family) {
    return family.equals("head") || family.equals("mlp");
  }

  /**
   * @param family {@code head} or {@code mlp}
   * @param config the trained config ({@code width}, {@code depth} as the family reads them)
   * @param inputShape per-example input shape
   * @param classes K
   * @param state the trainer's exported state
   * @return the serialized ONNX model
   * @throws IllegalArgumentException for another family, or a state whose arrays do not have the
   *     family's Linear shapes (naming the array, its shape and the expected one)
   * @throws TrainingException when the state bytes are malformed
   */
  public static byte[] export(String family, Hyperparameters config, long[] inputShape, int classes, byte[] state)
      throws TrainingException {
    return export(family, config, inputShape, classes, state, null, null);
  }

  /**
   * As {@link #export(String, Hyperparameters, long[], int, byte[])}, for a head trained on
   * standardized inputs: the graph first computes {@code (x − mean) · invStd} (Sub, Mul, broadcast
   * over the batch), so it takes the raw features.
   *
   * @param mean per-input mean, {@code prod(inputShape)} floats, or null for no standardization
   * @param invStd per-input 1 / standard deviation, same length, or null
   * @return the serialized ONNX model
   * @throws IllegalArgumentException as the other overload, or when {@code mean}/{@code invStd}
   *     do not have {@code prod(inputShape)} floats
   * @throws TrainingException when the state bytes are malformed
   */
  public static byte[] export(String family, Hyperparameters config, long[] inputShape, int classes, byte[] state,
      float[] mean, float[] invStd) throws TrainingException {
    if (!supports(family)) {
      throw new IllegalArgumentException("family '" + family + "' cannot be exported to ONNX; valid: head, mlp");
    }
    DjlTrainerFactory.DjlState s;
    try {
      s = DjlTrainerFactory.DjlState.read(state);
    } catch (IOException e) {
      throw new TrainingException("malformed trainer state: " + e.getMessage(), e);
    }
    List<Integer> widths = new ArrayList<>();
    if (family.equals("mlp")) {
      for (int i = 0; i < config.getInt("depth", 2); i++) {
        widths.add(config.getInt("width", 128));
      }
    } else if (config.getInt("width", 0) > 0) {
      for (int i = 0; i < config.getInt("depth", 1); i++) {
        widths.add(config.getInt("width", 0)); // dropout has no weights and is the identity at inference
      }
    }
    widths.add(classes);
    long in = Arrays.stream(inputShape).reduce(1, (a, b) -> a * b);
    OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("argus-" + family);
    Object[] dims = new Object[inputShape.length + 1];
    dims[0] = "N";
    for (int i = 0; i < inputShape.length; i++) {
      dims[i + 1] = (int) inputShape[i];
    }
    g.addInput(OnnxProtos.floatValueInfo(INPUT, dims));
    String raw = INPUT;
    if (mean != null || invStd != null) {
      if (mean == null || invStd == null || mean.length != in || invStd.length != in) {
        throw new IllegalArgumentException("standardization needs mean and invStd of " + in + " floats each; found "
            + (mean == null ? "null" : mean.length) + " and " + (invStd == null ? "null" : invStd.length));
      }
      long[] shape = inputShape.clone();
      g.addInitializer(OnnxProtos.floatTensor("mean", shape, mean));
      g.addInitializer(OnnxProtos.floatTensor("inv_std", shape, invStd));
      g.addNode(node("Sub", List.of(INPUT, "mean"), "centered"));
      g.addNode(node("Mul", List.of("centered", "inv_std"), "standardized"));
      raw = "standardized";
    }
    g.addNode(node("Flatten", List.of(raw), "flat", OnnxProtos.attrI("axis", 1)));
    String x = "flat";
    for (int l = 0; l < widths.size(); l++) {
      long out = widths.get(l);
      check(s, 2 * l, new long[] {out, in});
      check(s, 2 * l + 1, new long[] {out});
      g.addInitializer(OnnxProtos.floatTensor("w" + l, new long[] {out, in}, s.arrays[2 * l]));
      g.addInitializer(OnnxProtos.floatTensor("b" + l, new long[] {out}, s.arrays[2 * l + 1]));
      String y = "linear" + l;
      g.addNode(node("Gemm", List.of(x, "w" + l, "b" + l), y, OnnxProtos.attrI("transB", 1)));
      if (l < widths.size() - 1) {
        g.addNode(node("Relu", List.of(y), "relu" + l));
        x = "relu" + l;
      } else {
        x = y;
      }
      in = out;
    }
    g.addNode(node("Softmax", List.of(x), OUTPUT, OnnxProtos.attrI("axis", 1)));
    g.addOutput(OnnxProtos.floatValueInfo(OUTPUT, new Object[] {"N", classes}));
    return OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("argus-train-export")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build().toByteArray();
  }

  private static void check(DjlTrainerFactory.DjlState s, int i, long[] want) {
    if (i >= s.shapes.length || !Arrays.equals(s.shapes[i], want)) {
      throw new IllegalArgumentException("trainer state array " + i + " has shape "
          + (i < s.shapes.length ? Arrays.toString(s.shapes[i]) : "(missing)") + "; the exported Linear layer needs "
          + Arrays.toString(want));
    }
  }

  private static OnnxMl.NodeProto node(String op, List<String> inputs, String output,
      OnnxMl.AttributeProto... attributes) {
    OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output);
    inputs.forEach(n::addInput);
    for (OnnxMl.AttributeProto a : attributes) {
      n.addAttribute(a);
    }
    return n.build();
  }
}
