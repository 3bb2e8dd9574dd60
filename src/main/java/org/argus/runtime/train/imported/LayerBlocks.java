package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.KerasLayer;
import org.argus.model.keras.TfjsLayersModel;

/**
 * Converts one Keras layer into its DJL {@link NodeBlock}, with the semantics the ONNX importer
 * ({@code model.keras.KerasOnnxImporter}) documents for the same layer class, so the DJL graph and
 * the imported ONNX graph compute the same function: kernels reordered from Keras {@code [kh, kw,
 * in, out]} to PyTorch {@code [out, in, kh, kw]} (depthwise {@code [kh, kw, in, mult]} → {@code
 * [in·mult, 1, kh, kw]}, {@code groups = in}); TF {@code "same"} padding ({@link TfSame}); average
 * pooling excludes padding from the mean; Flatten in Keras' channels-last order; Dropout and
 * SpatialDropout2D are the identity (inference semantics, also while training: the graph stays
 * deterministic).
 */
final class LayerBlocks {
  /** The Keras layer classes with a DJL equivalent (all those the ONNX importer supports). */
  static final List<String> SUPPORTED = List.of("InputLayer", "Conv2D", "DepthwiseConv2D", "Dense",
      "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "ZeroPadding2D", "MaxPooling2D",
      "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Concatenate", "Add",
      "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Flatten", "Dropout",
      "SpatialDropout2D");

  private final TfjsLayersModel model;
  private final Map<String, Integer> ranks;

  /**
   * @param model the model whose weights the blocks take
   * @param ranks each layer's output rank (4: {@code [N, C, H, W]}, 2: {@code [N, F]})
   */
  LayerBlocks(TfjsLayersModel model, Map<String, Integer> ranks) {
    this.model = model;
    this.ranks = ranks;
  }

  /**
   * @param l a layer other than the {@code InputLayer}
   * @return its block
   * @throws ModelFormatException for a layer class not in {@link #SUPPORTED} (naming the layer,
   *     its class and the supported list), an unsupported argument, or a missing or mis-shaped
   *     weight
   */
  NodeBlock block(KerasLayer l) throws ModelFormatException {
    String df = l.config().path("data_format").asText("channels_last");
    if (!df.equals("channels_last")) {
      throw unsupported(l, "data_format '" + df + "'; supported: channels_last");
    }
    int rank = ranks.get(l.inbound().isEmpty() ? l.name() : l.inbound().get(0));
    return switch (l.className()) {
      case "Conv2D" -> conv(l, false);
      case "DepthwiseConv2D" -> conv(l, true);
      case "Dense" -> dense(l, rank);
      case "BatchNormalization" -> batchNorm(l, rank);
      case "Activation" -> {
        String act = activation(l);
        yield op(l, in -> Ops.activate(act, in.singletonOrThrow()));
      }
      case "ReLU" -> relu(l);
      case "LeakyReLU" -> {
        float a = (float) l.config().path("alpha").asDouble(0.3);
        yield op(l, in -> in.singletonOrThrow().getNDArrayInternal().leakyRelu(a));
      }
      case "ZeroPadding2D" -> zeroPad(l, rank);
      case "MaxPooling2D", "AveragePooling2D" -> Pools.pool(l, rank);
      case "GlobalAveragePooling2D", "GlobalMaxPooling2D" -> Pools.global(l, rank);
      case "Concatenate" -> concat(l, rank);
      case "Add" -> merge(l, NDArray::add, x -> x);
      case "Subtract" -> {
        if (l.inbound().size() != 2) {
          throw unsupported(l, l.inbound().size() + " inputs; Subtract needs exactly 2");
        }
        yield merge(l, NDArray::sub, x -> x);
      }
      case "Multiply" -> merge(l, NDArray::mul, x -> x);
      case "Maximum" -> merge(l, NDArray::maximum, x -> x);
      case "Minimum" -> merge(l, NDArray::minimum, x -> x);
      case "Average" -> {
        int n = l.inbound().size();
        yield merge(l, (a, b) -> a.add(b), x -> x.div(n));
      }
      case "Flatten" -> op(l, in -> {
        NDArray x = in.singletonOrThrow();
        return x.getShape().dimension() == 4
            ? x.transpose(0, 2, 3, 1).reshape(x.getShape().get(0), -1) : x;
      });
      case "Dropout", "SpatialDropout2D" -> op(l, NDList::singletonOrThrow);
      default -> throw new ModelFormatException("unsupported layer '" + l.name() + "' ("
          + l.className() + "): no DJL equivalent; supported: " + String.join(", ", SUPPORTED));
    };
  }

  static ModelFormatException unsupported(KerasLayer l, String what) {
    return new ModelFormatException("unsupported layer " + l + ": " + what);
  }

  static OpBlock op(KerasLayer l, java.util.function.Function<NDList, NDArray> f) {
    return new OpBlock(l.name(), f);
  }

  private static String activation(KerasLayer l) throws ModelFormatException {
    String act = l.config().path("activation").asText("linear");
    if (!Ops.ACTIVATIONS.contains(act)) {
      throw new ModelFormatException("unsupported activation '" + act + "' in layer " + l
          + "; supported: " + String.join(", ", Ops.ACTIVATIONS));
    }
    return act;
  }

  private NodeBlock conv(KerasLayer l, boolean depthwise) throws ModelFormatException {
    int[] k = KerasArgs.pair(l, "kernel_size", null);
    int[] s = KerasArgs.pair(l, "strides", new int[] {1, 1});
    int[] d = KerasArgs.pair(l, "dilation_rate", new int[] {1, 1});
    if (d[0] != 1 || d[1] != 1) {
      throw unsupported(l, "dilation_rate " + Arrays.toString(d) + "; supported: [1, 1]");
    }
    TfjsLayersModel.Weight w = weight(l, depthwise ? "depthwise_kernel" : "kernel", 4);
    int[] ws = w.shape();
    if (ws[0] != k[0] || ws[1] != k[1]) {
      throw new ModelFormatException("layer " + l + ": kernel " + w.name() + " has shape "
          + Arrays.toString(ws) + ", expected [" + k[0] + ", " + k[1] + ", in, out]");
    }
    int outCh = depthwise ? ws[2] * ws[3] : ws[3];
    Shape shape = depthwise ? new Shape(outCh, 1, ws[0], ws[1]) : new Shape(ws[3], ws[2], ws[0], ws[1]);
    float[] bias = null;
    if (l.config().path("use_bias").asBoolean(true)) {
      bias = vector(l, "bias", outCh);
    }
    return new ConvBlock(l.name(), torchKernel(w, depthwise), shape, bias, s, KerasArgs.same(l),
        depthwise ? ws[2] : 1, activation(l));
  }

  /**
   * Reorders a Keras kernel {@code [kh, kw, in, out|mult]} into PyTorch's {@code [out, in, kh, kw]},
   * or {@code [in·mult, 1, kh, kw]} for a depthwise kernel.
   */
  static float[] torchKernel(TfjsLayersModel.Weight w, boolean depthwise) {
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
            int at = depthwise ? ((i * co + o) * kh + y) * kw + x : ((o * ci + i) * kh + y) * kw + x;
            dst[at] = v;
          }
        }
      }
    }
    return dst;
  }

  private NodeBlock dense(KerasLayer l, int rank) throws ModelFormatException {
    if (rank != 2) {
      throw unsupported(l, "input of rank " + rank
          + "; Dense is supported on [N, F] inputs only (add a Flatten)");
    }
    TfjsLayersModel.Weight k = weight(l, "kernel", 2);
    int units = k.shape()[1];
    float[] bias = l.config().path("use_bias").asBoolean(true) ? vector(l, "bias", units) : null;
    return new DenseBlock(l.name(), k.data(), k.shape()[0], bias, activation(l));
  }

  private NodeBlock batchNorm(KerasLayer l, int rank) throws ModelFormatException {
    JsonNode c = l.config();
    int axis = c.path("axis").isArray() && c.path("axis").size() == 1
        ? c.path("axis").get(0).asInt() : c.path("axis").asInt(-1);
    if (!(axis == -1 || axis == rank - 1)) {
      throw unsupported(l, "axis " + c.path("axis") + "; supported: the channel axis (-1 or "
          + (rank - 1) + ")");
    }
    TfjsLayersModel.Weight mean = weight(l, "moving_mean", 1);
    int ch = mean.shape()[0];
    float[] var = vector(l, "moving_variance", ch);
    float[] gamma = c.path("scale").asBoolean(true) ? vector(l, "gamma", ch) : null;
    float[] beta = c.path("center").asBoolean(true) ? vector(l, "beta", ch) : null;
    return new BatchNormBlock(l.name(), gamma, beta, mean.data(), var,
        (float) c.path("epsilon").asDouble(1e-3), (float) c.path("momentum").asDouble(0.99));
  }

  private static NodeBlock relu(KerasLayer l) throws ModelFormatException {
    JsonNode c = l.config();
    double slope = c.path("negative_slope").asDouble(0);
    double threshold = c.path("threshold").asDouble(0);
    JsonNode max = c.path("max_value");
    if (threshold != 0) {
      throw unsupported(l, "threshold " + threshold + "; supported: 0");
    }
    boolean hasMax = !max.isMissingNode() && !max.isNull();
    if (slope != 0 && hasMax) {
      throw unsupported(l, "negative_slope together with max_value; supported: one of them");
    }
    if (slope != 0) {
      float a = (float) slope;
      return op(l, in -> in.singletonOrThrow().getNDArrayInternal().leakyRelu(a));
    }
    if (hasMax) {
      float m = (float) max.asDouble();
      return op(l, in -> in.singletonOrThrow().clip(0f, m));
    }
    return op(l, in -> Activation.relu(in.singletonOrThrow()));
  }

  private static NodeBlock zeroPad(KerasLayer l, int rank) throws ModelFormatException {
    KerasArgs.require4d(l, rank);
    JsonNode p = l.config().path("padding");
    int[] tblr;
    if (p.isInt()) {
      tblr = new int[] {p.asInt(), p.asInt(), p.asInt(), p.asInt()};
    } else if (p.isArray() && p.size() == 2 && p.get(0).isInt()) {
      tblr = new int[] {p.get(0).asInt(), p.get(0).asInt(), p.get(1).asInt(), p.get(1).asInt()};
    } else if (p.isArray() && p.size() == 2 && p.get(0).isArray() && p.get(1).isArray()) {
      tblr = new int[] {p.get(0).get(0).asInt(), p.get(0).get(1).asInt(), p.get(1).get(0).asInt(),
          p.get(1).get(1).asInt()};
    } else {
      throw unsupported(l, "padding " + p + "; supported: int, [h, w], [[top, bottom], [left, right]]");
    }
    return op(l, in -> TfSame.pad(in.singletonOrThrow(), tblr, 0));
  }

  private NodeBlock concat(KerasLayer l, int rank) throws ModelFormatException {
    int axis = l.config().path("axis").asInt(-1);
    if (axis < 0) {
      axis += rank;
    }
    if (axis <= 0 || axis >= rank) {
      throw unsupported(l, "axis " + l.config().path("axis") + " for rank-" + rank
          + " inputs; supported: 1.." + (rank - 1) + " or -1");
    }
    for (String in : l.inbound()) {
      if (ranks.get(in) != rank) {
        throw unsupported(l, "inputs of different ranks");
      }
    }
    int nchwAxis = rank == 4 ? new int[] {0, 2, 3, 1}[axis] : axis;
    return op(l, in -> NDArrays.concat(in, nchwAxis));
  }

  /**
   * @param f folds the inputs left to right
   * @param last applied to the fold's result (the mean's division)
   */
  private NodeBlock merge(KerasLayer l, BinaryOperator<NDArray> f, UnaryOperator<NDArray> last)
      throws ModelFormatException {
    if (l.inbound().size() < 2) {
      throw unsupported(l, l.inbound().size() + " inputs; merge layers need at least 2");
    }
    int rank = ranks.get(l.inbound().get(0));
    for (String in : l.inbound()) {
      if (ranks.get(in) != rank) {
        throw unsupported(l, "inputs of different ranks");
      }
    }
    return op(l, in -> {
      NDArray acc = in.get(0);
      for (int i = 1; i < in.size(); i++) {
        acc = f.apply(acc, in.get(i));
      }
      return last.apply(acc);
    });
  }

  private float[] vector(KerasLayer l, String w, int n) throws ModelFormatException {
    TfjsLayersModel.Weight v = weight(l, w, 1);
    if (v.shape()[0] != n) {
      throw new ModelFormatException("weight '" + v.name() + "' of layer " + l + " has shape "
          + Arrays.toString(v.shape()) + ", expected [" + n + "]");
    }
    return v.data();
  }

  /**
   * Finds the layer's weight {@code <layer>/<w>}, or the single one ending in {@code
   * /<layer>/<w>} (TF.js exports of nested models prefix names), as the importer does.
   *
   * @throws ModelFormatException when it is missing, ambiguous or of another rank
   */
  private TfjsLayersModel.Weight weight(KerasLayer l, String w, int rank)
      throws ModelFormatException {
    String key = l.name() + "/" + w;
    TfjsLayersModel.Weight found = model.weights().get(key);
    if (found == null) {
      for (Map.Entry<String, TfjsLayersModel.Weight> e : model.weights().entrySet()) {
        if (e.getKey().endsWith("/" + key)) {
          if (found != null) {
            throw new ModelFormatException("weight '" + key + "' of layer " + l
                + " is ambiguous: " + found.name() + " and " + e.getKey());
          }
          found = e.getValue();
        }
      }
    }
    if (found == null) {
      throw new ModelFormatException("missing weight '" + key + "' for layer " + l + " in "
          + model.source());
    }
    if (found.shape().length != rank) {
      throw new ModelFormatException("weight '" + found.name() + "' of layer " + l + " has shape "
          + Arrays.toString(found.shape()) + ", expected rank " + rank);
    }
    return found;
  }
}
