package org.argus.model.keras;

import static org.argus.model.keras.OnnxProtos.attrI;
import static org.argus.model.keras.OnnxProtos.attrInts;
import static org.argus.model.keras.OnnxProtos.attrS;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Keras spatial padding and pooling on {@code [N, C, H, W]} images.
 *
 * <ul>
 *   <li>{@code ZeroPadding2D} → ONNX {@code Pad} (constant 0) with pads {@code [0, 0, top, left,
 *       0, 0, bottom, right]}; Keras {@code padding} may be {@code p}, {@code [h, w]} or {@code
 *       [[top, bottom], [left, right]]}.
 *   <li>{@code MaxPooling2D}/{@code AveragePooling2D} → {@code MaxPool}/{@code AveragePool};
 *       {@code strides} default to {@code pool_size}; padding as {@link KerasConfig#padding};
 *       average pooling excludes padding from the mean ({@code count_include_pad=0}), as TF does.
 *   <li>{@code GlobalAveragePooling2D}/{@code GlobalMaxPooling2D} → {@code
 *       GlobalAveragePool}/{@code GlobalMaxPool}, flattened to {@code [N, C]} unless {@code
 *       keepdims} (then {@code [N, C, 1, 1]}).
 * </ul>
 */
final class Pooling {
  private Pooling() {}

  /** @return the converters of this group by Keras class name */
  static Map<String, LayerConverter> converters() {
    return Map.of(
        "ZeroPadding2D", Pooling::zeroPad,
        "MaxPooling2D", (g, l) -> pool(g, l, "MaxPool"),
        "AveragePooling2D", (g, l) -> pool(g, l, "AveragePool"),
        "GlobalAveragePooling2D", (g, l) -> globalPool(g, l, "GlobalAveragePool"),
        "GlobalMaxPooling2D", (g, l) -> globalPool(g, l, "GlobalMaxPool"));
  }

  private static void zeroPad(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    KerasConfig.require4d(l, in);
    JsonNode p = l.config().path("padding");
    int t;
    int b;
    int le;
    int r;
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
      throw KerasConfig.unsupported(
          l, "padding " + p + "; supported: int, [h, w], [[top, bottom], [left, right]]");
    }
    String name = l.name();
    g.initLongs(name + "/pads", new long[] {8}, new long[] {0, 0, t, le, 0, 0, b, r});
    g.node("Pad", name, List.of(g.x(l, 0), name + "/pads"), name, attrS("mode", "constant"));
    g.define(name, in.rank(), in.channels());
  }

  private static void pool(ImportGraph g, KerasLayer l, String op) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    KerasConfig.require4d(l, in);
    int[] k = KerasConfig.pair(l, "pool_size", new int[] {2, 2});
    JsonNode strides = l.config().path("strides");
    int[] s = strides.isNull() || strides.isMissingNode() ? k : KerasConfig.pair(l, "strides", k);
    List<OnnxMl.AttributeProto> attrs = new ArrayList<>();
    attrs.add(attrInts("kernel_shape", k[0], k[1]));
    attrs.add(attrInts("strides", s[0], s[1]));
    attrs.addAll(KerasConfig.padding(l, k, s));
    if (op.equals("AveragePool")) {
      attrs.add(attrI("count_include_pad", 0));
    }
    g.node(op, l.name(), List.of(g.x(l, 0)), l.name(), attrs.toArray(OnnxMl.AttributeProto[]::new));
    g.define(l.name(), in.rank(), in.channels());
  }

  private static void globalPool(ImportGraph g, KerasLayer l, String op)
      throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    KerasConfig.require4d(l, in);
    String name = l.name();
    if (l.config().path("keepdims").asBoolean(false)) {
      g.node(op, name, List.of(g.x(l, 0)), name);
      g.define(name, in.rank(), in.channels());
    } else {
      g.node(op, name, List.of(g.x(l, 0)), name + "/pooled");
      g.node("Flatten", name + "/flatten", List.of(name + "/pooled"), name, attrI("axis", 1));
      g.define(name, 2, in.channels());
    }
  }
}
