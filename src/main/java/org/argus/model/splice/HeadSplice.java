package org.argus.model.splice;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.OnnxProtos;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.onnx.TensorInfo;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.Pooling;
import org.argus.provision.Sha256;

/**
 * Splices a trained head (an ONNX graph {@code [N, D] → probabilities [N, classes]}, e.g. {@code
 * org.argus.runtime.train.OnnxExport}'s) onto a CNN cut at a layer, so the selected model of a
 * fused selection is one ONNX file that ONNX Runtime serves alone:
 *
 * <pre>
 * pixels [N, H, W, 3] (or [N, 3, H, W]) float32, preprocessed as the CNN's spec
 *   → the cut (pixels → layer) → layer [N, C, h, w]
 *   → pooling ({@link PoolingNodes}: equal to {@link Pooling#apply} within float rounding) → [N, F]
 *   → Concat(axis 1) with structured [N, X] float32 (only when X > 0) → [N, F + X]
 *   → the head's nodes (names prefixed {@value #HEAD_PREFIX}) → probability [N, classes] float32
 * </pre>
 *
 * <p>The pixel input is declared at the resolved model's input size (only the batch dim stays
 * symbolic): the pooling bins are fixed for that size, so ONNX Runtime refuses other sizes. The
 * file explains itself through {@code metadata_props}: the CNN's name and sha256, the cut's
 * sha256, layer, pooling, feature dims, the head's sha256, classes, every head provenance entry
 * (as {@code argus.head.<key>}), the preprocessing spec ({@link
 * ResolvedModel#PREPROCESSING_METADATA}, so the file resolves without a spec) and the labels
 * ({@link ResolvedModel#LABELS_METADATA}, one per line). The CNN's own metadata is kept.
 *
 * <p>Opset: the default domain's version is the largest of the cut's, the head's and 13 (the
 * pooling nodes use opset-13 forms); IR version the larger of both.
 */
public final class HeadSplice {
  /** Graph input of the structured columns, {@code [N, X]} float32, present when X > 0. */
  public static final String STRUCTURED = "structured";
  /** Graph output: class probabilities, {@code [N, classes]} float32. */
  public static final String OUTPUT = "probability";
  /** Prefix of every tensor, node and initializer the splice adds (pooling, concat, head). */
  public static final String PREFIX = "argus_splice/";
  /** Prefix of the head's names inside the spliced graph. */
  public static final String HEAD_PREFIX = PREFIX + "head/";
  /** Prefix of the splice's metadata keys. */
  public static final String META = "argus.splice.";

  private HeadSplice() {}

  /**
   * The features a head spliced at {@code layer} sees from the CNN, before any structured
   * columns.
   *
   * @param model the CNN, at the input size it will serve
   * @param layer a layer of the CNN
   * @param pooling the reduction of a 4-D activation (ignored for other ranks: flattened)
   * @return floats per example after pooling
   * @throws IllegalArgumentException for an unknown layer, or one whose shape is not fully known at
   *     the model's input size
   */
  public static long featureDim(ResolvedModel model, String layer, Pooling pooling) {
    long[] s = layerShape(model, layer);
    if (s.length == 3 && pooling.mode() != Pooling.Mode.NONE) {
      return pooling.outputDim((int) s[0], (int) s[1], (int) s[2]);
    }
    return Arrays.stream(s).reduce(1, (a, b) -> a * b);
  }

  /**
   * Splices {@code head} onto {@code model} cut at {@code layer}.
   *
   * @param model the CNN, at the input size it will serve (its preprocessing is recorded)
   * @param layer the cut layer
   * @param pooling reduction of the layer's activation
   * @param structuredDim {@code X}, structured columns concatenated after the pooled features (0:
   *     none, and no {@link #STRUCTURED} input)
   * @param head serialized ONNX head with one input {@code [N, …]} of {@code F + X} floats per
   *     example and one output {@code [N, classes]}
   * @param provenance what made the head (e.g. family, config, seed), recorded as {@code
   *     argus.head.<key>}
   * @param labels class names in output order, or empty
   * @return the spliced, validated model
   * @throws IllegalArgumentException for an unknown layer, a dynamic layer shape, a negative
   *     {@code X}, a head input dim other than {@code F + X} (naming layer, pooling and both
   *     dims), a head with other than one input and one output, labels whose count is not the
   *     head's classes or that hold a line break, or a CNN graph already holding a name the splice
   *     adds
   * @throws ModelFormatException when {@code head} is not a valid ONNX model
   */
  public static OnnxModel splice(ResolvedModel model, String layer, Pooling pooling, int structuredDim, byte[] head,
      Map<String, String> provenance, List<String> labels) throws ModelFormatException {
    return splice(model, null, layer, pooling, structuredDim, head, provenance, labels);
  }

  /**
   * As {@link #splice(ResolvedModel, String, Pooling, int, byte[], Map, List)}, onto a given cut of
   * the CNN from its pixel input to {@code layer}: e.g. its int8 version ({@code
   * execution.inference.Int8Graphs#cutFromPixels}), so a head trained on int8 features serves on
   * the quantized graph it was trained on. The cut's sha256 is recorded ({@code
   * argus.splice.cut_sha256}) and its metadata kept (an int8 cut's calibration provenance).
   *
   * @param cut the cut from the pixel input to {@code layer} (float32 output), or null for the
   *     model's own fp32 cut
   * @throws IllegalArgumentException as the other overload, or when the cut does not run from the
   *     pixel input to exactly {@code layer}
   * @throws ModelFormatException as the other overload
   */
  public static OnnxModel splice(ResolvedModel model, GraphCut cut, String layer, Pooling pooling, int structuredDim,
      byte[] head, Map<String, String> provenance, List<String> labels) throws ModelFormatException {
    Objects.requireNonNull(pooling, "pooling");
    Objects.requireNonNull(provenance, "provenance");
    Objects.requireNonNull(labels, "labels");
    if (structuredDim < 0) {
      throw new IllegalArgumentException("structured dim must be ≥ 0 (0: no structured columns), found "
          + structuredDim);
    }
    OnnxMl.ModelProto headModel = OnnxModel.fromBytes(head, "head").proto();
    OnnxMl.GraphProto headGraph = headModel.getGraph();
    if (headGraph.getInputCount() != 1 || headGraph.getOutputCount() != 1) {
      throw new IllegalArgumentException("a head has one input and one output, found inputs "
          + headGraph.getInputList().stream().map(OnnxMl.ValueInfoProto::getName).toList() + " and outputs "
          + headGraph.getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList());
    }
    long[] layerShape = layerShape(model, layer); // an unknown layer or dynamic shape fails first
    if (cut == null) {
      cut = model.cutFromPixels(List.of(layer));
    } else if (!cut.inputs().equals(List.of(model.pixelInput())) || !cut.outputs().equals(List.of(layer))) {
      throw new IllegalArgumentException("a head spliced at '" + layer + "' needs a cut from " + model.pixelInput()
          + " to [" + layer + "]; found " + cut.inputs() + " -> " + cut.outputs());
    }
    OnnxMl.ModelProto cnn = cut.model().proto();
    checkNoCollision(cnn.getGraph());
    OnnxMl.GraphProto.Builder g = cnn.getGraph().toBuilder().clearOutput();
    for (int i = 0; i < g.getInputCount(); i++) {
      if (g.getInput(i).getName().equals(model.pixelInput())) {
        g.setInput(i, OnnxProtos.floatValueInfo(model.pixelInput(), staticDims(model.preprocessing().batchShape(1))));
      }
    }
    g.setName("argus-splice " + model.name() + " @ " + layer + " / " + pooling);
    PoolingNodes.Pooled pooled = PoolingNodes.append(g, layer, layerShape, pooling, PREFIX + "pool/");
    long headDim = perExample(headGraph.getInput(0));
    if (headDim != pooled.dim() + structuredDim) {
      throw new IllegalArgumentException("head input dim " + headDim + " does not match layer '" + layer + "' of "
          + model.name() + " pooled by " + pooling + " (" + pooled.dim() + " features) + " + structuredDim
          + " structured columns = " + (pooled.dim() + structuredDim));
    }
    String features = pooled.output();
    if (structuredDim > 0) {
      g.addInput(OnnxProtos.floatValueInfo(STRUCTURED, new Object[] {"N", structuredDim}));
      features = PREFIX + "features";
      g.addNode(PoolingNodes.node("Concat", features, List.of(pooled.output(), STRUCTURED), features,
          OnnxProtos.attrI("axis", 1)));
    }
    long classes = appendHead(g, headGraph, features);
    if (!labels.isEmpty() && labels.size() != classes) {
      throw new IllegalArgumentException(labels.size() + " labels " + labels + " for a head of " + classes
          + " classes");
    }
    if (labels.stream().anyMatch(l -> l.contains("\n"))) {
      throw new IllegalArgumentException("labels are recorded one per line and cannot hold a line break, found "
          + labels);
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(META + "cnn", model.name());
    meta.put(META + "cnn_sha256", model.sha256());
    meta.put(META + "cut_sha256", cut.sha256());
    meta.put(META + "precision", cnn.getMetadataPropsList().stream().anyMatch(e -> e.getKey().startsWith("argus.int8."))
        ? "int8" : "fp32");
    meta.put(META + "layer", layer);
    meta.put(META + "pooling", pooling.toString());
    meta.put(META + "feature_dim", Long.toString(pooled.dim()));
    meta.put(META + "structured_dim", Integer.toString(structuredDim));
    meta.put(META + "head_sha256", Sha256.of(head));
    meta.put(META + "classes", Long.toString(classes));
    new TreeMap<>(provenance).forEach((k, v) -> meta.put("argus.head." + k, v));
    meta.put(ResolvedModel.PREPROCESSING_METADATA, model.preprocessing().compact());
    if (!labels.isEmpty()) {
      meta.put(ResolvedModel.LABELS_METADATA, String.join("\n", labels));
    }
    OnnxMl.ModelProto proto = wrap(cnn, headModel, g.build(), meta);
    return OnnxModel.of(proto, "spliced " + model.name() + " @ " + layer);
  }

  /** Appends the head's nodes and initializers, renamed, reading {@code features}; @return classes. */
  private static long appendHead(OnnxMl.GraphProto.Builder g, OnnxMl.GraphProto head, String features) {
    String in = head.getInput(0).getName();
    String out = head.getOutput(0).getName();
    for (OnnxMl.NodeProto n : head.getNodeList()) {
      OnnxMl.NodeProto.Builder b = n.toBuilder().setName(HEAD_PREFIX + n.getName()).clearInput().clearOutput();
      for (String i : n.getInputList()) {
        b.addInput(i.isEmpty() ? i : i.equals(in) ? features : HEAD_PREFIX + i);
      }
      for (String o : n.getOutputList()) {
        b.addOutput(o.isEmpty() ? o : o.equals(out) ? OUTPUT : HEAD_PREFIX + o);
      }
      g.addNode(b);
    }
    for (OnnxMl.TensorProto t : head.getInitializerList()) {
      g.addInitializer(t.toBuilder().setName(HEAD_PREFIX + t.getName()));
    }
    List<OnnxMl.TensorShapeProto.Dimension> dims = head.getOutput(0).getType().getTensorType().getShape().getDimList();
    long classes = dims.size() == 2 && dims.get(1).hasDimValue() ? dims.get(1).getDimValue() : -1;
    g.addOutput(OnnxProtos.floatValueInfo(OUTPUT, new Object[] {"N", (int) classes}));
    return classes;
  }

  /** The model around the spliced graph: merged opsets, larger IR version, metadata. */
  private static OnnxMl.ModelProto wrap(OnnxMl.ModelProto cnn, OnnxMl.ModelProto head, OnnxMl.GraphProto g,
      Map<String, String> meta) {
    Map<String, Long> opsets = new TreeMap<>();
    opsets.put("", 13L);
    for (OnnxMl.OperatorSetIdProto o : concat(cnn.getOpsetImportList(), head.getOpsetImportList())) {
      opsets.merge(o.getDomain(), o.getVersion(), Math::max);
    }
    OnnxMl.ModelProto.Builder m = OnnxMl.ModelProto.newBuilder()
        .setIrVersion(Math.max(cnn.getIrVersion(), head.getIrVersion()))
        .setProducerName("argus-splice").setGraph(g);
    opsets.forEach((d, v) -> m.addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
    for (OnnxMl.StringStringEntryProto e : cnn.getMetadataPropsList()) {
      if (!meta.containsKey(e.getKey())) {
        m.addMetadataProps(e);
      }
    }
    meta.forEach((k, v) -> m.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** @return the layer's per-example shape at the model's input size (every dim known) */
  private static long[] layerShape(ResolvedModel model, String layer) {
    model.orderLayers(List.of(layer)); // an unknown layer fails here, listing the valid ones
    GraphCut cut = model.cutFromPixels(List.of(layer));
    Map<String, TensorInfo> shapes = cut.model().inferShapes(
        Map.of(model.pixelInput(), model.preprocessing().batchShape(1)));
    TensorInfo t = shapes.get(layer);
    long[] s = t == null ? new long[0] : t.shape();
    if (t == null || s.length == 0 || Arrays.stream(s).anyMatch(d -> d < 0)) {
      throw new IllegalArgumentException("layer '" + layer + "' of " + model.name() + " has a dynamic shape "
          + (t == null ? "(unknown)" : t.shapeString()) + " at input " + model.preprocessing().compact()
          + "; splicing a head needs every dim known (pooling bins are fixed in the graph)");
    }
    return Arrays.copyOfRange(s, 1, s.length);
  }

  /** @return {@code shape} with a symbolic batch dim {@code N} */
  private static Object[] staticDims(long[] shape) {
    Object[] d = new Object[shape.length];
    d[0] = "N";
    for (int i = 1; i < shape.length; i++) {
      d[i] = (int) shape[i];
    }
    return d;
  }

  /** @return floats per example of a declared {@code [N, …]} tensor */
  private static long perExample(OnnxMl.ValueInfoProto v) {
    long n = 1;
    List<OnnxMl.TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
    for (int i = 1; i < dims.size(); i++) {
      if (!dims.get(i).hasDimValue()) {
        throw new IllegalArgumentException("head input '" + v.getName() + "' has an unknown dim " + i
            + "; a spliced head needs a fixed input dim");
      }
      n *= dims.get(i).getDimValue();
    }
    return n;
  }

  /** @throws IllegalArgumentException when the CNN graph already uses a name the splice adds */
  private static void checkNoCollision(OnnxMl.GraphProto g) {
    Set<String> names = new HashSet<>();
    g.getInputList().forEach(v -> names.add(v.getName()));
    g.getInitializerList().forEach(t -> names.add(t.getName()));
    g.getNodeList().forEach(n -> names.addAll(n.getOutputList()));
    for (String n : names) {
      if (n.equals(OUTPUT) || n.equals(STRUCTURED) || n.startsWith(PREFIX)) {
        throw new IllegalArgumentException("the CNN graph already has a tensor named '" + n + "'; the splice adds '"
            + OUTPUT + "', '" + STRUCTURED + "' and names starting '" + PREFIX + "'");
      }
    }
  }
}
