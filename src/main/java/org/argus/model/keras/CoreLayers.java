package org.argus.model.keras;

import static org.argus.model.keras.OnnxProtos.attrI;
import static org.argus.model.keras.OnnxProtos.attrInts;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Keras core layers.
 *
 * <ul>
 *   <li>{@code InputLayer} {@code [null, H, W, C]} → graph input {@code [N, H, W, C] float32 NHWC}
 *       ({@code N}, {@code H}, {@code W} symbolic; the native {@code "H,W"} is kept for metadata),
 *       transposed to NCHW ({@code <input>/nchw}); {@code [null, F]} → graph input {@code [N, F]}.
 *   <li>{@code Dense} {@code [in, out]} → {@code Gemm} on {@code [N, F]} inputs (+ activation).
 *   <li>{@code Flatten}: back to NHWC first ({@code <layer>/nhwc}), so the features come in Keras'
 *       channels-last order; identity on {@code [N, F]}.
 *   <li>{@code Dropout}, {@code SpatialDropout2D}: identity (inference).
 * </ul>
 */
final class CoreLayers {
  private CoreLayers() {}

  /** @return the converters of this group by Keras class name */
  static Map<String, LayerConverter> converters() {
    return Map.of(
        "InputLayer", CoreLayers::input,
        "Dense", CoreLayers::dense,
        "Flatten", CoreLayers::flatten,
        "Dropout", CoreLayers::identity,
        "SpatialDropout2D", CoreLayers::identity);
  }

  private static void input(ImportGraph g, KerasLayer l) throws ModelFormatException {
    JsonNode bis = l.config().path("batch_input_shape");
    if (!bis.isArray()) {
      throw new ModelFormatException("InputLayer '" + l.name() + "' has no batch_input_shape");
    }
    if (bis.size() == 4) {
      int ch = bis.get(3).isNull() ? -1 : bis.get(3).asInt();
      if (ch < 0) {
        throw KerasConfig.unsupported(l, "unknown channel count in batch_input_shape " + bis);
      }
      if (!bis.get(1).isNull() && !bis.get(2).isNull()) {
        g.setNativeHw(bis.get(1).asInt() + "," + bis.get(2).asInt());
      }
      g.graph().addInput(OnnxProtos.floatValueInfo(l.name(), new Object[] {"N", "H", "W", ch}));
      String nchw = l.name() + "/nchw";
      g.node("Transpose", nchw, List.of(l.name()), nchw, attrInts("perm", 0, 3, 1, 2));
      g.defineAt(l.name(), nchw, 4, ch);
    } else if (bis.size() == 2 && !bis.get(1).isNull()) {
      g.graph().addInput(
          OnnxProtos.floatValueInfo(l.name(), new Object[] {"N", bis.get(1).asInt()}));
      g.define(l.name(), 2, bis.get(1).asInt());
    } else {
      throw KerasConfig.unsupported(l, "batch_input_shape " + bis
          + "; supported: [null, H, W, C] images or [null, F] vectors");
    }
  }

  private static void dense(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    if (in.rank() != 2) {
      throw KerasConfig.unsupported(l, "input of rank " + in.rank()
          + "; Dense is supported on [N, F] inputs only (add a Flatten)");
    }
    String name = l.name();
    TfjsLayersModel.Weight k = g.weight(l, "kernel", 2);
    int units = l.config().path("units").asInt(k.shape()[1]);
    if (k.shape()[1] != units || (in.channels() >= 0 && k.shape()[0] != in.channels())) {
      throw new ModelFormatException("layer " + l + ": kernel " + k.name() + " has shape "
          + Arrays.toString(k.shape()) + ", expected [" + in.channels() + ", " + units + "]");
    }
    g.initFloats(name + "/kernel", new long[] {k.shape()[0], units}, k.data());
    List<String> inputs = new ArrayList<>(List.of(g.x(l, 0), name + "/kernel"));
    if (l.config().path("use_bias").asBoolean(true)) {
      TfjsLayersModel.Weight b = g.weight(l, "bias", 1);
      KerasConfig.checkLen(l, b, units);
      g.initFloats(name + "/bias", new long[] {units}, b.data());
      inputs.add(name + "/bias");
    }
    String act = l.config().path("activation").asText("linear");
    String out = act.equals("linear") ? name : name + "/preact";
    g.node("Gemm", name, inputs, out);
    if (!out.equals(name)) {
      Activations.apply(g, l, act, out, name, 2);
    }
    g.define(name, 2, units);
  }

  private static void flatten(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    String name = l.name();
    if (in.rank() == 2) {
      g.node("Identity", name, List.of(g.x(l, 0)), name);
      g.define(name, in.rank(), in.channels());
      return;
    }
    g.node("Transpose", name + "/nhwc", List.of(g.x(l, 0)), name + "/nhwc",
        attrInts("perm", 0, 2, 3, 1));
    g.node("Flatten", name, List.of(name + "/nhwc"), name, attrI("axis", 1));
    g.define(name, 2, -1);
  }

  private static void identity(ImportGraph g, KerasLayer l) throws ModelFormatException {
    ImportGraph.Converted in = g.in(l, 0);
    g.node("Identity", l.name(), List.of(g.x(l, 0)), l.name());
    g.define(l.name(), in.rank(), in.channels());
  }
}
