package org.argus.model.keras;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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
   * @throws ModelFormatException when a requested layer does not exist, or a needed layer is
   *     unsupported or misses weights
   */
  public static OnnxMl.ModelProto toOnnx(TfjsLayersModel model, List<String> outputLayers)
      throws ModelFormatException {
    Objects.requireNonNull(model, "model");
    if (outputLayers.isEmpty()) {
      throw new IllegalArgumentException("outputLayers is empty");
    }
    return new Builder(model).build(outputLayers);
  }

  /** Rank and channel count (−1 when unknown) of a converted tensor. */
  private record Info(int rank, int channels) {}

  private static final class Builder {
    private final TfjsLayersModel model;
    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    /** Keras layer name → (ONNX tensor carrying it inside the graph, its info). */
    private final Map<String, String> tensorOf = new HashMap<>();
    private final Map<String, Info> infoOf = new HashMap<>();
    private String nativeHw;

    Builder(TfjsLayersModel model) {
      this.model = model;
    }

    OnnxMl.ModelProto build(List<String> outputs) throws ModelFormatException {
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
          throw new ModelFormatException("output '" + o + "' is the InputLayer; choose a computed layer");
        }
        stack.add(o);
      }
      while (!stack.isEmpty()) {
        String n = stack.remove(stack.size() - 1);
        if (needed.add(n)) {
          KerasLayer l = byName.get(n);
          if (l == null) {
            throw new ModelFormatException("layer input '" + n + "' does not exist in model '" + model.name() + "'");
          }
          stack.addAll(l.inbound());
        }
      }
      for (KerasLayer l : model.layers()) {
        if (needed.contains(l.name())) {
          for (String in : l.inbound()) {
            if (!tensorOf.containsKey(in)) {
              throw new ModelFormatException(
                  "layer " + l + " uses '" + in + "' before it is defined (topology not in order)");
            }
          }
          convert(l);
        }
      }
      for (String o : new LinkedHashSet<>(outputs)) {
        Info info = infoOf.get(o);
        graph.addOutput(valueInfo(o, info.rank() == 4
            ? new Object[] {"N", info.channels(), null, null}
            : new Object[] {"N", info.channels()}));
      }
      graph.setName(model.name());
      OnnxMl.ModelProto.Builder mb = OnnxMl.ModelProto.newBuilder()
          .setIrVersion(7)
          .setProducerName("argus-keras-importer")
          .setProducerVersion(IMPORTER_VERSION)
          .setModelVersion(1)
          .setDocString("Keras " + model.kerasVersion() + " model '" + model.name()
              + "' imported from TF.js layers format by Argus; input NHWC, internal NCHW")
          .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
          .setGraph(graph);
      meta(mb, INPUT_LAYOUT, "NHWC");
      if (nativeHw != null) {
        meta(mb, NATIVE_INPUT_HW, nativeHw);
      }
      meta(mb, "argus.keras_version", model.kerasVersion());
      meta(mb, "argus.keras_model", model.name());
      meta(mb, "argus.importer_version", IMPORTER_VERSION);
      return mb.build();
    }

    private static void meta(OnnxMl.ModelProto.Builder mb, String k, String v) {
      mb.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v));
    }

    private void convert(KerasLayer l) throws ModelFormatException {
      JsonNode c = l.config();
      String name = l.name();
      String df = c.path("data_format").asText("channels_last");
      if (!df.equals("channels_last")) {
        throw unsupported(l, "data_format '" + df + "'; supported: channels_last");
      }
      switch (l.className()) {
        case "InputLayer" -> input(l);
        case "Conv2D" -> conv(l, false);
        case "DepthwiseConv2D" -> conv(l, true);
        case "Dense" -> dense(l);
        case "BatchNormalization" -> batchNorm(l);
        case "Activation" -> {
          Info in = in(l, 0);
          activation(l, c.path("activation").asText("linear"), x(l, 0), name, in.rank());
          set(name, in);
        }
        case "ReLU" -> relu(l);
        case "LeakyReLU" -> {
          Info in = in(l, 0);
          node("LeakyRelu", name, List.of(x(l, 0)), name, attrF("alpha", (float) c.path("alpha").asDouble(0.3)));
          set(name, in);
        }
        case "ZeroPadding2D" -> zeroPad(l);
        case "MaxPooling2D" -> pool(l, "MaxPool");
        case "AveragePooling2D" -> pool(l, "AveragePool");
        case "GlobalAveragePooling2D" -> globalPool(l, "GlobalAveragePool");
        case "GlobalMaxPooling2D" -> globalPool(l, "GlobalMaxPool");
        case "Concatenate" -> concat(l);
        case "Add" -> merge(l, "Add", "Sum");
        case "Multiply" -> merge(l, "Mul", null);
        case "Average" -> merge(l, "Mean", "Mean");
        case "Maximum" -> merge(l, "Max", "Max");
        case "Minimum" -> merge(l, "Min", "Min");
        case "Subtract" -> {
          if (l.inbound().size() != 2) {
            throw unsupported(l, l.inbound().size() + " inputs; Subtract needs exactly 2");
          }
          merge(l, "Sub", null);
        }
        case "Flatten" -> flatten(l);
        case "Dropout", "SpatialDropout2D" -> {
          node("Identity", name, List.of(x(l, 0)), name);
          set(name, in(l, 0));
        }
        default -> throw new ModelFormatException(
            "unsupported layer '" + name + "' (" + l.className() + "); supported: " + SUPPORTED_LAYERS);
      }
    }

    // ---- layers ----

    private void input(KerasLayer l) throws ModelFormatException {
      JsonNode bis = l.config().path("batch_input_shape");
      if (!bis.isArray()) {
        throw new ModelFormatException("InputLayer '" + l.name() + "' has no batch_input_shape");
      }
      if (bis.size() == 4) {
        int ch = bis.get(3).isNull() ? -1 : bis.get(3).asInt();
        if (ch < 0) {
          throw unsupported(l, "unknown channel count in batch_input_shape " + bis);
        }
        if (!bis.get(1).isNull() && !bis.get(2).isNull()) {
          nativeHw = bis.get(1).asInt() + "," + bis.get(2).asInt();
        }
        graph.addInput(valueInfo(l.name(), new Object[] {"N", "H", "W", ch}));
        String nchw = l.name() + "/nchw";
        node("Transpose", nchw, List.of(l.name()), nchw, attrInts("perm", 0, 3, 1, 2));
        tensorOf.put(l.name(), nchw);
        infoOf.put(l.name(), new Info(4, ch));
      } else if (bis.size() == 2 && !bis.get(1).isNull()) {
        graph.addInput(valueInfo(l.name(), new Object[] {"N", bis.get(1).asInt()}));
        tensorOf.put(l.name(), l.name());
        infoOf.put(l.name(), new Info(2, bis.get(1).asInt()));
      } else {
        throw unsupported(l, "batch_input_shape " + bis + "; supported: [null, H, W, C] images or [null, F] vectors");
      }
    }

    private void conv(KerasLayer l, boolean depthwise) throws ModelFormatException {
      JsonNode c = l.config();
      Info in = in(l, 0);
      require4d(l, in);
      int[] k = pair(l, "kernel_size", null);
      int[] s = pair(l, "strides", new int[] {1, 1});
      int[] d = pair(l, "dilation_rate", new int[] {1, 1});
      if (d[0] != 1 || d[1] != 1) {
        throw unsupported(l, "dilation_rate " + Arrays.toString(d) + "; supported: [1, 1]");
      }
      String name = l.name();
      TfjsLayersModel.Weight w = weight(l, depthwise ? "depthwise_kernel" : "kernel", 4);
      int kh = w.shape()[0], kw = w.shape()[1], ci = w.shape()[2], co = w.shape()[3];
      if (kh != k[0] || kw != k[1] || (in.channels() >= 0 && ci != in.channels())) {
        throw new ModelFormatException("layer " + l + ": kernel " + w.name() + " has shape "
            + Arrays.toString(w.shape()) + ", expected [" + k[0] + ", " + k[1] + ", " + in.channels() + ", …]");
      }
      float[] src = w.data();
      int outCh = depthwise ? ci * co : co;
      float[] dst = new float[src.length];
      for (int y = 0; y < kh; y++) {
        for (int x = 0; x < kw; x++) {
          for (int i = 0; i < ci; i++) {
            for (int o = 0; o < co; o++) {
              float v = src[((y * kw + x) * ci + i) * co + o];
              if (depthwise) {
                dst[((i * co + o) * kh + y) * kw + x] = v; // [in*mult, 1, kh, kw]
              } else {
                dst[((o * ci + i) * kh + y) * kw + x] = v; // [out, in, kh, kw]
              }
            }
          }
        }
      }
      String wName = name + (depthwise ? "/depthwise_kernel" : "/kernel");
      initF(wName, depthwise ? new long[] {outCh, 1, kh, kw} : new long[] {co, ci, kh, kw}, dst);
      List<String> inputs = new ArrayList<>(List.of(x(l, 0), wName));
      if (c.path("use_bias").asBoolean(true)) {
        TfjsLayersModel.Weight b = weight(l, "bias", 1);
        checkLen(l, b, outCh);
        initF(name + "/bias", new long[] {outCh}, b.data());
        inputs.add(name + "/bias");
      }
      String act = c.path("activation").asText("linear");
      String out = act.equals("linear") ? name : name + "/preact";
      List<OnnxMl.AttributeProto> attrs = new ArrayList<>();
      attrs.add(attrInts("kernel_shape", kh, kw));
      attrs.add(attrInts("strides", s[0], s[1]));
      attrs.add(attrInts("dilations", 1, 1));
      if (depthwise) {
        attrs.add(attrI("group", ci));
      }
      attrs.addAll(padding(l, new int[] {kh, kw}, s));
      node("Conv", name, inputs, out, attrs.toArray(OnnxMl.AttributeProto[]::new));
      if (!out.equals(name)) {
        activation(l, act, out, name, 4);
      }
      set(name, new Info(4, outCh));
    }

    private void dense(KerasLayer l) throws ModelFormatException {
      Info in = in(l, 0);
      if (in.rank() != 2) {
        throw unsupported(l, "input of rank " + in.rank() + "; Dense is supported on [N, F] inputs only (add a Flatten)");
      }
      String name = l.name();
      TfjsLayersModel.Weight k = weight(l, "kernel", 2);
      int units = l.config().path("units").asInt(k.shape()[1]);
      if (k.shape()[1] != units || (in.channels() >= 0 && k.shape()[0] != in.channels())) {
        throw new ModelFormatException("layer " + l + ": kernel " + k.name() + " has shape "
            + Arrays.toString(k.shape()) + ", expected [" + in.channels() + ", " + units + "]");
      }
      initF(name + "/kernel", new long[] {k.shape()[0], units}, k.data());
      List<String> inputs = new ArrayList<>(List.of(x(l, 0), name + "/kernel"));
      if (l.config().path("use_bias").asBoolean(true)) {
        TfjsLayersModel.Weight b = weight(l, "bias", 1);
        checkLen(l, b, units);
        initF(name + "/bias", new long[] {units}, b.data());
        inputs.add(name + "/bias");
      }
      String act = l.config().path("activation").asText("linear");
      String out = act.equals("linear") ? name : name + "/preact";
      node("Gemm", name, inputs, out);
      if (!out.equals(name)) {
        activation(l, act, out, name, 2);
      }
      set(name, new Info(2, units));
    }

    private void batchNorm(KerasLayer l) throws ModelFormatException {
      Info in = in(l, 0);
      JsonNode c = l.config();
      int axis = c.path("axis").isArray() && c.path("axis").size() == 1 ? c.path("axis").get(0).asInt() : c.path("axis").asInt(-1);
      if (!(axis == -1 || axis == in.rank() - 1)) {
        throw unsupported(l, "axis " + c.path("axis") + "; supported: the channel axis (-1 or " + (in.rank() - 1) + ")");
      }
      String name = l.name();
      TfjsLayersModel.Weight mean = weight(l, "moving_mean", 1);
      int ch = mean.shape()[0];
      if (in.channels() >= 0 && ch != in.channels()) {
        checkLen(l, mean, in.channels());
      }
      TfjsLayersModel.Weight var = weight(l, "moving_variance", 1);
      checkLen(l, var, ch);
      float[] gamma = filled(ch, 1f);
      if (c.path("scale").asBoolean(true)) {
        TfjsLayersModel.Weight g = weight(l, "gamma", 1);
        checkLen(l, g, ch);
        gamma = g.data();
      }
      float[] beta = filled(ch, 0f);
      if (c.path("center").asBoolean(true)) {
        TfjsLayersModel.Weight b = weight(l, "beta", 1);
        checkLen(l, b, ch);
        beta = b.data();
      }
      initF(name + "/gamma", new long[] {ch}, gamma);
      initF(name + "/beta", new long[] {ch}, beta);
      initF(name + "/moving_mean", new long[] {ch}, mean.data());
      initF(name + "/moving_variance", new long[] {ch}, var.data());
      node("BatchNormalization", name,
          List.of(x(l, 0), name + "/gamma", name + "/beta", name + "/moving_mean", name + "/moving_variance"),
          name, attrF("epsilon", (float) c.path("epsilon").asDouble(1e-3)));
      set(name, new Info(in.rank(), ch));
    }

    private void relu(KerasLayer l) throws ModelFormatException {
      JsonNode c = l.config();
      Info in = in(l, 0);
      double slope = c.path("negative_slope").asDouble(0);
      double threshold = c.path("threshold").asDouble(0);
      JsonNode max = c.path("max_value");
      if (threshold != 0) {
        throw unsupported(l, "threshold " + threshold + "; supported: 0");
      }
      String name = l.name();
      boolean hasMax = !max.isMissingNode() && !max.isNull();
      if (slope != 0) {
        if (hasMax) {
          throw unsupported(l, "negative_slope together with max_value; supported: one of them");
        }
        node("LeakyRelu", name, List.of(x(l, 0)), name, attrF("alpha", (float) slope));
      } else if (hasMax) {
        clip(name, x(l, 0), name, 0f, (float) max.asDouble());
      } else {
        node("Relu", name, List.of(x(l, 0)), name);
      }
      set(name, in);
    }

    private void zeroPad(KerasLayer l) throws ModelFormatException {
      Info in = in(l, 0);
      require4d(l, in);
      JsonNode p = l.config().path("padding");
      int t, b, le, r;
      if (p.isInt()) {
        t = b = le = r = p.asInt();
      } else if (p.isArray() && p.size() == 2 && p.get(0).isInt()) {
        t = b = p.get(0).asInt();
        le = r = p.get(1).asInt();
      } else if (p.isArray() && p.size() == 2 && p.get(0).isArray() && p.get(1).isArray()) {
        t = p.get(0).get(0).asInt();
        b = p.get(0).get(1).asInt();
        le = p.get(1).get(0).asInt();
        r = p.get(1).get(1).asInt();
      } else {
        throw unsupported(l, "padding " + p + "; supported: int, [h, w], [[top, bottom], [left, right]]");
      }
      String name = l.name();
      initI64(name + "/pads", new long[] {8}, new long[] {0, 0, t, le, 0, 0, b, r});
      node("Pad", name, List.of(x(l, 0), name + "/pads"), name, attrS("mode", "constant"));
      set(name, in);
    }

    private void pool(KerasLayer l, String op) throws ModelFormatException {
      Info in = in(l, 0);
      require4d(l, in);
      int[] k = pair(l, "pool_size", new int[] {2, 2});
      int[] s = l.config().path("strides").isNull() || l.config().path("strides").isMissingNode()
          ? k : pair(l, "strides", k);
      List<OnnxMl.AttributeProto> attrs = new ArrayList<>();
      attrs.add(attrInts("kernel_shape", k[0], k[1]));
      attrs.add(attrInts("strides", s[0], s[1]));
      attrs.addAll(padding(l, k, s));
      if (op.equals("AveragePool")) {
        attrs.add(attrI("count_include_pad", 0));
      }
      node(op, l.name(), List.of(x(l, 0)), l.name(), attrs.toArray(OnnxMl.AttributeProto[]::new));
      set(l.name(), in);
    }

    private void globalPool(KerasLayer l, String op) throws ModelFormatException {
      Info in = in(l, 0);
      require4d(l, in);
      String name = l.name();
      if (l.config().path("keepdims").asBoolean(false)) {
        node(op, name, List.of(x(l, 0)), name);
        set(name, in);
      } else {
        node(op, name, List.of(x(l, 0)), name + "/pooled");
        node("Flatten", name + "/flatten", List.of(name + "/pooled"), name, attrI("axis", 1));
        set(name, new Info(2, in.channels()));
      }
    }

    private void concat(KerasLayer l) throws ModelFormatException {
      Info first = in(l, 0);
      int rank = first.rank();
      int axis = l.config().path("axis").asInt(-1);
      if (axis < 0) {
        axis += rank;
      }
      if (axis <= 0 || axis >= rank) {
        throw unsupported(l, "axis " + l.config().path("axis") + " for rank-" + rank + " inputs; supported: 1.." + (rank - 1) + " or -1");
      }
      int onnxAxis = rank == 4 ? new int[] {0, 2, 3, 1}[axis] : axis;
      int ch = 0;
      List<String> xs = new ArrayList<>();
      for (int i = 0; i < l.inbound().size(); i++) {
        Info ii = in(l, i);
        if (ii.rank() != rank) {
          throw unsupported(l, "inputs of different ranks");
        }
        ch = (ch < 0 || ii.channels() < 0) ? -1 : ch + ii.channels();
        xs.add(x(l, i));
      }
      node("Concat", l.name(), xs, l.name(), attrI("axis", onnxAxis));
      set(l.name(), new Info(rank, onnxAxis == 1 ? ch : first.channels()));
    }

    private void merge(KerasLayer l, String binaryOp, String naryOp) throws ModelFormatException {
      int n = l.inbound().size();
      if (n < 2) {
        throw unsupported(l, n + " inputs; merge layers need at least 2");
      }
      Info first = in(l, 0);
      for (int i = 1; i < n; i++) {
        if (in(l, i).rank() != first.rank()) {
          throw unsupported(l, "inputs of different ranks");
        }
      }
      String name = l.name();
      List<String> xs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        xs.add(x(l, i));
      }
      if (n == 2 || naryOp != null) {
        node(n == 2 ? binaryOp : naryOp, name, xs, name);
      } else {
        String acc = xs.get(0);
        for (int i = 1; i < n; i++) {
          String out = i == n - 1 ? name : name + "/partial" + i;
          node(binaryOp, name + "/" + i, List.of(acc, xs.get(i)), out);
          acc = out;
        }
      }
      set(name, first);
    }

    private void flatten(KerasLayer l) throws ModelFormatException {
      Info in = in(l, 0);
      String name = l.name();
      if (in.rank() == 2) {
        node("Identity", name, List.of(x(l, 0)), name);
        set(name, in);
        return;
      }
      node("Transpose", name + "/nhwc", List.of(x(l, 0)), name + "/nhwc", attrInts("perm", 0, 2, 3, 1));
      node("Flatten", name, List.of(name + "/nhwc"), name, attrI("axis", 1));
      set(name, new Info(2, -1));
    }

    // ---- helpers ----

    private void activation(KerasLayer l, String act, String in, String out, int rank)
        throws ModelFormatException {
      String n = l.name() + "/" + act;
      switch (act) {
        case "linear" -> node("Identity", n, List.of(in), out);
        case "relu" -> node("Relu", n, List.of(in), out);
        case "relu6" -> clip(n, in, out, 0f, 6f);
        case "softmax" -> node("Softmax", n, List.of(in), out, attrI("axis", rank == 4 ? 1 : rank - 1));
        case "sigmoid" -> node("Sigmoid", n, List.of(in), out);
        case "tanh" -> node("Tanh", n, List.of(in), out);
        case "elu" -> node("Elu", n, List.of(in), out, attrF("alpha", 1f));
        case "selu" -> node("Selu", n, List.of(in), out);
        case "softplus" -> node("Softplus", n, List.of(in), out);
        case "softsign" -> node("Softsign", n, List.of(in), out);
        case "hard_sigmoid" -> node("HardSigmoid", n, List.of(in), out, attrF("alpha", 0.2f), attrF("beta", 0.5f));
        default -> throw new ModelFormatException("unsupported activation '" + act + "' in layer '"
            + l.name() + "' (" + l.className() + "); supported: " + SUPPORTED_ACTIVATIONS);
      }
    }

    private void clip(String nodeName, String in, String out, float min, float max) {
      initF(nodeName + "/clip_min", new long[] {}, new float[] {min});
      initF(nodeName + "/clip_max", new long[] {}, new float[] {max});
      node("Clip", nodeName, List.of(in, nodeName + "/clip_min", nodeName + "/clip_max"), out);
    }

    /** ONNX padding attributes for Keras {@code padding} ("valid"/"same", TF semantics). */
    private List<OnnxMl.AttributeProto> padding(KerasLayer l, int[] k, int[] s) throws ModelFormatException {
      String p = l.config().path("padding").asText("valid");
      switch (p) {
        case "valid":
          return List.of(attrInts("pads", 0, 0, 0, 0));
        case "same":
          if (s[0] == 1 && s[1] == 1) {
            int t = (k[0] - 1) / 2, le = (k[1] - 1) / 2;
            return List.of(attrInts("pads", t, le, k[0] - 1 - t, k[1] - 1 - le));
          }
          return List.of(attrS("auto_pad", "SAME_UPPER"));
        default:
          throw unsupported(l, "padding '" + p + "'; supported: valid, same");
      }
    }

    private TfjsLayersModel.Weight weight(KerasLayer l, String w, int rank) throws ModelFormatException {
      String key = l.name() + "/" + w;
      TfjsLayersModel.Weight found = model.weights().get(key);
      if (found == null) {
        for (Map.Entry<String, TfjsLayersModel.Weight> e : model.weights().entrySet()) {
          if (e.getKey().endsWith("/" + key)) {
            if (found != null) {
              throw new ModelFormatException("weight '" + key + "' of layer " + l + " is ambiguous: "
                  + found.name() + " and " + e.getKey());
            }
            found = e.getValue();
          }
        }
      }
      if (found == null) {
        throw new ModelFormatException("missing weight '" + key + "' for layer " + l + " in "
            + model.source() + " (the weights manifest has " + model.weights().size() + " weights)");
      }
      if (found.shape().length != rank) {
        throw new ModelFormatException("weight '" + found.name() + "' of layer " + l + " has shape "
            + Arrays.toString(found.shape()) + ", expected rank " + rank);
      }
      return found;
    }

    private static void checkLen(KerasLayer l, TfjsLayersModel.Weight w, int n) throws ModelFormatException {
      if (w.shape()[0] != n) {
        throw new ModelFormatException("weight '" + w.name() + "' of layer " + l + " has shape "
            + Arrays.toString(w.shape()) + ", expected [" + n + "]");
      }
    }

    private static int[] pair(KerasLayer l, String key, int[] dflt) throws ModelFormatException {
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

    private static void require4d(KerasLayer l, Info in) throws ModelFormatException {
      if (in.rank() != 4) {
        throw unsupported(l, "input of rank " + in.rank() + "; this layer needs [N, H, W, C] images");
      }
    }

    private static ModelFormatException unsupported(KerasLayer l, String what) {
      return new ModelFormatException("unsupported layer '" + l.name() + "' (" + l.className() + "): " + what);
    }

    private Info in(KerasLayer l, int i) throws ModelFormatException {
      if (i >= l.inbound().size()) {
        throw unsupported(l, "expected an input #" + i + ", found " + l.inbound().size() + " inputs");
      }
      return infoOf.get(l.inbound().get(i));
    }

    private String x(KerasLayer l, int i) {
      return tensorOf.get(l.inbound().get(i));
    }

    private void set(String name, Info info) {
      tensorOf.put(name, name);
      infoOf.put(name, info);
    }

    private void node(String op, String nodeName, List<String> inputs, String output, OnnxMl.AttributeProto... attrs) {
      graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType(op).setName(nodeName)
          .addAllInput(inputs).addOutput(output).addAllAttribute(Arrays.asList(attrs)));
    }

    private void initF(String name, long[] dims, float[] data) {
      ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(data);
      graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name)
          .setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)
          .addAllDims(Arrays.stream(dims).boxed().toList())
          .setRawData(ByteString.copyFrom(b.array())));
    }

    private void initI64(String name, long[] dims, long[] data) {
      ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
      b.asLongBuffer().put(data);
      graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name)
          .setDataType(OnnxMl.TensorProto.DataType.INT64_VALUE)
          .addAllDims(Arrays.stream(dims).boxed().toList())
          .setRawData(ByteString.copyFrom(b.array())));
    }

    /** dims: String → dim_param, Integer ≥ 0 → dim_value, null or negative → unknown. */
    private static OnnxMl.ValueInfoProto valueInfo(String name, Object[] dims) {
      OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
      for (Object d : dims) {
        OnnxMl.TensorShapeProto.Dimension.Builder db = OnnxMl.TensorShapeProto.Dimension.newBuilder();
        if (d instanceof String s) {
          db.setDimParam(s);
        } else if (d instanceof Integer v && v >= 0) {
          db.setDimValue(v);
        }
        shape.addDim(db);
      }
      return OnnxMl.ValueInfoProto.newBuilder().setName(name)
          .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
              .setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
          .build();
    }

    private static float[] filled(int n, float v) {
      float[] a = new float[n];
      Arrays.fill(a, v);
      return a;
    }

    private static OnnxMl.AttributeProto attrI(String n, long v) {
      return OnnxMl.AttributeProto.newBuilder().setName(n).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static OnnxMl.AttributeProto attrF(String n, float v) {
      return OnnxMl.AttributeProto.newBuilder().setName(n).setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static OnnxMl.AttributeProto attrS(String n, String v) {
      return OnnxMl.AttributeProto.newBuilder().setName(n).setType(OnnxMl.AttributeProto.AttributeType.STRING)
          .setS(ByteString.copyFromUtf8(v)).build();
    }

    private static OnnxMl.AttributeProto attrInts(String n, long... v) {
      OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(n).setType(OnnxMl.AttributeProto.AttributeType.INTS);
      for (long x : v) {
        b.addInts(x);
      }
      return b.build();
    }
  }
}
