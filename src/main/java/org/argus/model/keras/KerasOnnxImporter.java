package org.argus.model.keras;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.argus.model.ModelFormatException;

/**
 * Converts a Keras model read from TF.js ({@link TfjsLayersModel}) into an ONNX model (IR version 7,
 * default-domain opset 13) that computes the same function at inference time.
 *
 * <p><b>Layout.</b> The graph input is the Keras {@code InputLayer}'s name with shape {@code [N, H,
 * W, C] float32 NHWC} (channels-last, as Keras), {@code N}, {@code H}, {@code W} symbolic ({@code
 * dim_param} "N", "H", "W"), so the convolutional body accepts other spatial sizes than the native
 * one; the native size is recorded in metadata {@value #NATIVE_INPUT_HW} as {@code "H,W"}. A rank-2
 * input ({@code [N, F]}) is kept as is. The first node transposes the image to NCHW (tensor {@code
 * <input>/nchw}); everything inside runs NCHW.
 *
 * <p><b>Names.</b> Every converted Keras layer's output tensor is named exactly as the Keras layer:
 * 4-D tensors are {@code [N, C, H, W]} NCHW, 2-D tensors {@code [N, F]}. Helper tensors and
 * initializers are named {@code <layer>/<suffix>} (e.g. {@code conv2d_1/kernel}, {@code
 * dense_1/preact}). Graph outputs are the requested layers (default: the model's output layers).
 *
 * <p><b>Semantics</b> (Keras 2 / TF conventions): Conv2D kernel {@code [kh, kw, in, out]} → ONNX
 * {@code [out, in, kh, kw]}; DepthwiseConv2D {@code [kh, kw, in, mult]} → {@code [in·mult, 1, kh,
 * kw]}, {@code group = in}; Dense {@code [in, out]} → Gemm. TF {@code padding="same"} pads {@code
 * total = max((ceil(in/s)−1)·s + k − in, 0)} with the odd pixel at the end (bottom/right): for
 * stride 1 this is the static {@code (k−1)/2} before, the rest after, written as explicit pads; for
 * other strides it depends on the input size and is written as ONNX {@code auto_pad=SAME_UPPER},
 * which has exactly these semantics and works with symbolic shapes. {@code "valid"} means no
 * padding, floor division. AveragePooling2D excludes padding from the average ({@code
 * count_include_pad=0}), as TF does. Flatten reproduces Keras' channels-last order by transposing
 * back to NHWC first. Dropout-type layers are the identity (inference).
 *
 * <p>Supported layers: {@value #SUPPORTED_LAYERS}. Supported activations: {@value
 * #SUPPORTED_ACTIVATIONS}. Only {@code data_format="channels_last"}, dilation 1 and layers called
 * once are supported. The output is deterministic: the same model gives the same bytes.
 *
 * <p>Each group of layer classes has its converter class (core layers, convolutions,
 * normalization, activations, padding/pooling, merges), registered by Keras class name; weights
 * arrive dequantized to float32 from {@link TfjsLayersModel}.
 */
public final class KerasOnnxImporter {
  /** Metadata key holding the model's native input size as {@code "H,W"} (e.g. {@code "224,224"}). */
  public static final String NATIVE_INPUT_HW = "argus.native_input_hw";

  /** Metadata key holding the graph input layout, always {@code "NHWC"}. */
  public static final String INPUT_LAYOUT = "argus.input_layout";

  /** Version of the conversion rules; changes whenever the produced graph changes. */
  public static final String IMPORTER_VERSION = "1";

  /** The Keras layer classes this importer converts. */
  public static final String SUPPORTED_LAYERS =
      "InputLayer, Conv2D, DepthwiseConv2D, Dense, BatchNormalization, Activation, ReLU, LeakyReLU,"
          + " ZeroPadding2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,"
          + " GlobalMaxPooling2D, Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum,"
          + " Flatten, Dropout, SpatialDropout2D";

  /** The Keras activation names this importer converts. */
  public static final String SUPPORTED_ACTIVATIONS =
      "linear, relu, relu6, softmax, sigmoid, tanh, elu, selu, softplus, softsign, hard_sigmoid";

  private KerasOnnxImporter() {}

  /**
   * Converts the whole model; graph outputs are the model's output layers.
   *
   * @param model a loaded TF.js layers model
   * @return the ONNX model; input {@code [N, H, W, C] float32 NHWC}, 4-D outputs {@code [N, C, H,
   *     W]} NCHW, 2-D outputs {@code [N, F]}
   * @throws ModelFormatException when a layer, activation or argument is unsupported (the message
   *     names the layer, its class and what is supported) or a weight is missing or mis-shaped
   */
  public static OnnxMl.ModelProto toOnnx(TfjsLayersModel model) throws ModelFormatException {
    return toOnnx(model, model.outputLayers());
  }

  /**
   * Converts the part of the model needed to compute {@code outputLayers}; those layers become the
   * graph outputs, in the given order. Layers not needed for them are left out, so the graph can be
   * run at input sizes where later layers (e.g. a fixed 7×7 pooling) would not fit.
   *
   * @param model a loaded TF.js layers model
   * @param outputLayers Keras layer names to expose as graph outputs (at least one; an {@code
   *     InputLayer} is not allowed)
   * @return the ONNX model (see {@link #toOnnx(TfjsLayersModel)})
   * @throws ModelFormatException when a requested layer does not exist or is the {@code
   *     InputLayer}, or a needed layer is unsupported, out of topological order or misses weights
   * @throws IllegalArgumentException when {@code outputLayers} is empty
   * @throws NullPointerException when {@code model} or {@code outputLayers} is null
   */
  public static OnnxMl.ModelProto toOnnx(TfjsLayersModel model, List<String> outputLayers)
      throws ModelFormatException {
    Objects.requireNonNull(model, "model");
    if (outputLayers.isEmpty()) {
      throw new IllegalArgumentException("outputLayers is empty");
    }
    Set<String> needed = neededLayers(model, outputLayers);
    ImportGraph g = new ImportGraph(model);
    for (KerasLayer l : model.layers()) {
      if (needed.contains(l.name())) {
        for (String in : l.inbound()) {
          if (!g.isConverted(in)) {
            throw new ModelFormatException(
                "layer " + l + " uses '" + in + "' before it is defined (topology not in order)");
          }
        }
        convert(g, l);
      }
    }
    for (String o : new LinkedHashSet<>(outputLayers)) {
      ImportGraph.Converted info = g.converted(o);
      g.graph().addOutput(OnnxProtos.floatValueInfo(o, info.rank() == 4
          ? new Object[] {"N", info.channels(), null, null}
          : new Object[] {"N", info.channels()}));
    }
    g.graph().setName(model.name());
    return modelProto(model, g);
  }

  /**
   * @return the requested output layers and every layer they depend on
   * @throws ModelFormatException when an output is unknown or the InputLayer, or an inbound layer
   *     does not exist
   */
  private static Set<String> neededLayers(TfjsLayersModel model, List<String> outputs)
      throws ModelFormatException {
    Map<String, KerasLayer> byName = new HashMap<>();
    for (KerasLayer l : model.layers()) {
      byName.put(l.name(), l);
    }
    Set<String> needed = new HashSet<>();
    ArrayList<String> stack = new ArrayList<>();
    for (String o : new LinkedHashSet<>(outputs)) {
      KerasLayer l = byName.get(o);
      if (l == null) {
        throw new ModelFormatException(
            "no layer '" + o + "' in model '" + model.name() + "' (" + model.source() + ")");
      }
      if (l.className().equals("InputLayer")) {
        throw new ModelFormatException(
            "output '" + o + "' is the InputLayer; choose a computed layer");
      }
      stack.add(o);
    }
    while (!stack.isEmpty()) {
      String n = stack.remove(stack.size() - 1);
      if (needed.add(n)) {
        KerasLayer l = byName.get(n);
        if (l == null) {
          throw new ModelFormatException(
              "layer input '" + n + "' does not exist in model '" + model.name() + "'");
        }
        stack.addAll(l.inbound());
      }
    }
    return needed;
  }

  /** Checks the data format and dispatches to the layer class's converter. */
  private static void convert(ImportGraph g, KerasLayer l) throws ModelFormatException {
    String df = l.config().path("data_format").asText("channels_last");
    if (!df.equals("channels_last")) {
      throw KerasConfig.unsupported(l, "data_format '" + df + "'; supported: channels_last");
    }
    LayerConverter c = LayerRegistry.converter(l.className());
    if (c == null) {
      throw new ModelFormatException("unsupported layer '" + l.name() + "' (" + l.className()
          + "); supported: " + SUPPORTED_LAYERS);
    }
    c.convert(g, l);
  }

  /** Wraps the finished graph: IR 7, opset 13, producer, doc string and Argus metadata. */
  private static OnnxMl.ModelProto modelProto(TfjsLayersModel model, ImportGraph g) {
    OnnxMl.ModelProto.Builder mb = OnnxMl.ModelProto.newBuilder()
        .setIrVersion(7)
        .setProducerName("argus-keras-importer")
        .setProducerVersion(IMPORTER_VERSION)
        .setModelVersion(1)
        .setDocString("Keras " + model.kerasVersion() + " model '" + model.name()
            + "' imported from TF.js layers format by Argus; input NHWC, internal NCHW")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g.graph());
    meta(mb, INPUT_LAYOUT, "NHWC");
    if (g.nativeHw() != null) {
      meta(mb, NATIVE_INPUT_HW, g.nativeHw());
    }
    meta(mb, "argus.keras_version", model.kerasVersion());
    meta(mb, "argus.keras_model", model.name());
    meta(mb, "argus.importer_version", IMPORTER_VERSION);
    return mb.build();
  }

  private static void meta(OnnxMl.ModelProto.Builder mb, String k, String v) {
    mb.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v));
  }
}

