package org.argus.model.keras;

import static org.argus.model.keras.OnnxProtos.attrI;
import static org.argus.model.keras.OnnxProtos.attrInts;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Keras {@code Conv2D} and {@code DepthwiseConv2D} → ONNX {@code Conv} (+ the layer's activation).
 *
 * <p>Kernels: Conv2D {@code [kh, kw, in, out]} → ONNX {@code [out, in, kh, kw]}; DepthwiseConv2D
 * {@code [kh, kw, in, mult]} → {@code [in·mult, 1, kh, kw]} with {@code group = in} (output channel
 * {@code i·mult + m} reads input channel {@code i}, as TF's depthwise convolution). Bias {@code
 * [out]} (resp. {@code [in·mult]}) is Conv's third input. Padding follows {@link
 * KerasConfig#padding}; only dilation 1 is supported. A non-linear activation is applied to the
 * Conv output {@code <layer>/preact}.
 */
final class Convolutions {
  private Convolutions() {}

  /** @return the converters of this group by Keras class name */
  static Map<String, LayerConverter> converters() {
    return Map.of(
        "Conv2D", (g, l) -> conv(g, l, false),
        "DepthwiseConv2D", (g, l) -> conv(g, l, true));
  }

  private static void conv(ImportGraph g, KerasLayer l, boolean depthwise)
      throws ModelFormatException {
    JsonNode c = l.config();
    ImportGraph.Converted in = g.in(l, 0);
    KerasConfig.require4d(l, in);
    int[] k = KerasConfig.pair(l, "kernel_size", null);
    int[] s = KerasConfig.pair(l, "strides", new int[] {1, 1});
    int[] d = KerasConfig.pair(l, "dilation_rate", new int[] {1, 1});
    if (d[0] != 1 || d[1] != 1) {
      throw KerasConfig.unsupported(l, "dilation_rate " + Arrays.toString(d) + "; supported: [1, 1]");
    }
    String name = l.name();
    TfjsLayersModel.Weight w = g.weight(l, depthwise ? "depthwise_kernel" : "kernel", 4);
    int kh = w.shape()[0];
    int kw = w.shape()[1];
    int ci = w.shape()[2];
    int co = w.shape()[3];
    if (kh != k[0] || kw != k[1] || (in.channels() >= 0 && ci != in.channels())) {
      throw new ModelFormatException("layer " + l + ": kernel " + w.name() + " has shape "
          + Arrays.toString(w.shape()) + ", expected [" + k[0] + ", " + k[1] + ", "
          + in.channels() + ", …]");
    }
    int outCh = depthwise ? ci * co : co;
    String wName = name + (depthwise ? "/depthwise_kernel" : "/kernel");
    g.initFloats(wName, depthwise ? new long[] {outCh, 1, kh, kw} : new long[] {co, ci, kh, kw},
        onnxKernel(w, depthwise));
    List<String> inputs = new ArrayList<>(List.of(g.x(l, 0), wName));
    if (c.path("use_bias").asBoolean(true)) {
      TfjsLayersModel.Weight b = g.weight(l, "bias", 1);
      KerasConfig.checkLen(l, b, outCh);
      g.initFloats(name + "/bias", new long[] {outCh}, b.data());
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
    attrs.addAll(KerasConfig.padding(l, new int[] {kh, kw}, s));
    g.node("Conv", name, inputs, out, attrs.toArray(OnnxMl.AttributeProto[]::new));
    if (!out.equals(name)) {
      Activations.apply(g, l, act, out, name, 4);
    }
    g.define(name, 4, outCh);
  }

  /**
   * Reorders a Keras kernel {@code [kh, kw, in, out|mult]} into ONNX Conv's weight layout: {@code
   * [out, in, kh, kw]}, or {@code [in·mult, 1, kh, kw]} for a depthwise kernel.
   */
  static float[] onnxKernel(TfjsLayersModel.Weight w, boolean depthwise) {
    int kh = w.shape()[0];
    int kw = w.shape()[1];
    int ci = w.shape()[2];
    int co = w.shape()[3];
    float[] src = w.data();
    float[] dst = new float[src.length];
    for (int y = 0; y < kh; y++) {
      for (int x = 0; x < kw; x++) {
        for (int i = 0; i < ci; i++) {
          for (int o = 0; o < co; o++) {
            float v = src[((y * kw + x) * ci + i) * co + o];
            if (depthwise) {
              dst[((i * co + o) * kh + y) * kw + x] = v;
            } else {
              dst[((o * ci + i) * kh + y) * kw + x] = v;
            }
          }
        }
      }
    }
    return dst;
  }
}
