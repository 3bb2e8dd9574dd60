package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.argus.model.ModelFormatException;
import org.argus.provision.Sha256;

/**
 * An immutable, validated ONNX model: the {@link ModelProto}, its serialized bytes and sha256, and
 * an index of its graph (who produces which tensor, topological order).
 *
 * <p>Validation on construction: the bytes parse as a {@code ModelProto} with a graph, at least
 * one node and one opset import; every node input is a graph input, an initializer or another
 * node's output; every graph output is produced; no tensor has two producers; the graph has no
 * cycle. Initializers stored as <em>external data</em> are refused: one whose {@code location}
 * leaves the model's folder ({@code ../x}, an absolute path) is reported as such, any other as
 * unsupported (re-save the model with all tensors inside the {@code .onnx} file).
 *
 * <p>Activations are assumed to carry the batch (example) dimension first, e.g. {@code [N, C, H,
 * W] float32}; that is what "per example" means in {@link #inferShapes}, {@link #nodeCosts} and
 * {@link #describe}. Subgraphs of control-flow ops (If, Loop, Scan) are not analysed.
 *
 * <p>This class is the facade of the package: validation lives in {@code GraphValidation}, the
 * index in {@code GraphIndex}, analysis in {@code ShapeInference} (a table of per-op rules), {@code
 * Costs} and {@code InspectTable}, cutting in {@code Cutter}.
 */
public final class OnnxModel {
  private final ModelProto proto;
  private final byte[] bytes;
  private final String sha256;
  private final String sourceName;
  private final GraphIndex index;

  private OnnxModel(ModelProto proto, byte[] bytes, String sourceName, Path folder)
      throws ModelFormatException {
    this.proto = proto;
    this.bytes = bytes;
    this.sourceName = sourceName;
    this.index = GraphIndex.build(proto, sourceName, bytes.length, folder);
    this.sha256 = Sha256.of(bytes);
  }

  /**
   * Reads and validates an {@code .onnx} file.
   *
   * @param file the model file; external-data locations are resolved against its folder
   * @return the validated model, {@link #sourceName()} = the file path
   * @throws ModelFormatException if the file cannot be read, is empty, truncated, not ONNX, or
   *     fails validation (see the class comment); the message names the file
   */
  public static OnnxModel load(Path file) throws ModelFormatException {
    Objects.requireNonNull(file, "file");
    byte[] b;
    try {
      b = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read ONNX model file '" + file + "': " + e, e);
    }
    Path folder = file.toAbsolutePath().getParent();
    return new OnnxModel(parse(b, file.toString()), b, file.toString(), folder);
  }

  /**
   * Parses and validates serialized ONNX bytes.
   *
   * @param bytes a serialized {@code ModelProto}
   * @param sourceName where the bytes came from, used in messages
   * @return the validated model
   * @throws ModelFormatException if the bytes are empty, truncated, not ONNX, or fail validation
   */
  public static OnnxModel fromBytes(byte[] bytes, String sourceName) throws ModelFormatException {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(sourceName, "sourceName");
    byte[] copy = bytes.clone();
    return new OnnxModel(parse(copy, sourceName), copy, sourceName, null);
  }

  /**
   * Validates an in-memory {@code ModelProto}.
   *
   * @param proto the model
   * @param sourceName where it came from, used in messages
   * @return the validated model
   * @throws ModelFormatException if it fails validation (see the class comment)
   */
  public static OnnxModel of(ModelProto proto, String sourceName) throws ModelFormatException {
    Objects.requireNonNull(proto, "proto");
    Objects.requireNonNull(sourceName, "sourceName");
    return new OnnxModel(proto, proto.toByteArray(), sourceName, null);
  }

  private static ModelProto parse(byte[] b, String sourceName) throws ModelFormatException {
    if (b.length == 0) {
      throw new ModelFormatException("ONNX model '" + sourceName + "' is empty (0 bytes)");
    }
    try {
      return ModelProto.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(
          "'" + sourceName + "' is not a valid ONNX model (" + b.length + " bytes, starting "
              + headHex(b) + "): truncated or not an .onnx file: " + e.getMessage(), e);
    }
  }

  private static String headHex(byte[] b) {
    StringBuilder sb = new StringBuilder("0x");
    for (int i = 0; i < Math.min(8, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return sb.toString();
  }

  /** @return the validated protobuf (immutable) */
  public ModelProto proto() {
    return proto;
  }

  /** @return a copy of the serialized model bytes */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** @return the lower-case hex sha256 of {@link #toBytes()} */
  public String sha256() {
    return sha256;
  }

  /** @return where the model came from (file path or the name given), used in messages */
  public String sourceName() {
    return sourceName;
  }

  /** @return names of the graph inputs that are not initializers, in declaration order */
  public List<String> inputNames() {
    return index.inputNames();
  }

  /** @return names of the graph outputs, in declaration order */
  public List<String> outputNames() {
    return index.outputNames();
  }

  /**
   * @return every named activation: the graph inputs that are not initializers, then every node
   *     output in topological order (initializers are not included)
   */
  public List<String> tensorNames() {
    return index.tensorNames();
  }

  /** @return number of nodes in the graph */
  public int nodeCount() {
    return index.nodes().size();
  }

  /** Nodes in topological order. */
  List<NodeProto> nodes() {
    return index.nodes();
  }

  /** Initializers by name. */
  Map<String, TensorProto> initializers() {
    return index.initializers();
  }

  /** Topological position of the node producing {@code tensor}, or null for inputs/initializers. */
  Integer producerPosition(String tensor) {
    return index.producerOf().get(tensor);
  }

  /**
   * Infers element type and shape of every activation (see {@link #tensorNames()}).
   *
   * <p>Supported ops (opset 13): Conv, BatchNormalization, Relu, LeakyRelu, Clip, Sigmoid, Tanh,
   * Softmax and other unary elementwise ops, Add/Sub/Mul/Div/Pow/Max/Min/Sum with numpy
   * broadcasting, Concat, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Pad, Transpose,
   * Flatten, Reshape (shape from an initializer or Constant, with 0 and -1), Gemm, MatMul,
   * Identity, Dropout, Cast, Shape, Squeeze/Unsqueeze, Constant. Any other op yields an unknown
   * shape (rank unknown), not an error. Channels stay known when only spatial dims are symbolic.
   *
   * @param inputShapes shape per graph input; an input not in the map uses its declared shape
   *     ({@code dim_param} and missing dims become {@code -1}); {@code -1} marks an unknown dim
   * @return type and shape by tensor name, in the order of {@link #tensorNames()}
   * @throws IllegalArgumentException if a key is not a graph input, a shape's rank differs from the
   *     declared rank, or two shapes cannot be broadcast / concatenated / multiplied
   */
  public Map<String, TensorInfo> inferShapes(Map<String, long[]> inputShapes) {
    return ShapeInference.infer(this, inputShapes);
  }

  /**
   * Approximate FLOPs of every node for one example, in topological order (see {@link NodeCost}
   * for the formulas).
   *
   * @param inputShapes as for {@link #inferShapes}
   * @return one cost per node; {@code flopsPerExample} is {@code -1} where a needed shape is unknown
   * @throws IllegalArgumentException as for {@link #inferShapes}
   */
  public List<NodeCost> nodeCosts(Map<String, long[]> inputShapes) {
    return Costs.nodeCosts(this, inferShapes(inputShapes));
  }

  /**
   * Total FLOPs of the whole graph for one example.
   *
   * @param inputShapes as for {@link #inferShapes}
   * @return the sum of {@link #nodeCosts}, or {@code -1} if any node's cost is unknown
   * @throws IllegalArgumentException as for {@link #inferShapes}
   */
  public long flopsPerExample(Map<String, long[]> inputShapes) {
    return Costs.total(nodeCosts(inputShapes));
  }

  /**
   * A plain-text table for {@code models inspect}: one row per activation with its name, producing
   * op, shape ({@code N} = batch, {@code ?} = unknown), element type, bytes per example and the
   * cumulative FLOPs per example of every node needed to compute it (what a cut ending there costs).
   *
   * @param inputShapes as for {@link #inferShapes}
   * @return the table, one line per tensor plus a header, {@code ?} for unknown values
   * @throws IllegalArgumentException as for {@link #inferShapes}
   */
  public String describe(Map<String, long[]> inputShapes) {
    return InspectTable.render(this, inferShapes(inputShapes));
  }

  /**
   * Extracts the minimal subgraph that computes {@code outputs} from {@code inputs}: only the
   * nodes on a path from the inputs to the outputs (topological order), only the initializers
   * they use; the inputs become graph inputs and the outputs graph outputs, declared with the
   * element type and shape inferred from the declared graph inputs, the batch dimension (dim 0)
   * and unknown dims as symbolic {@code dim_param}s. IR version, opset imports, producer and
   * metadata are kept.
   *
   * <p>Example: cutting MobileNetV2 at {@code [block_5_add] -> [block_6_expand_relu]} gives a graph
   * with input {@code block_5_add [N, 32, H, W] float32}.
   *
   * @param inputs tensors that become the graph inputs (from {@link #tensorNames()})
   * @param outputs tensors that become the graph outputs (from {@link #tensorNames()})
   * @return the cut model, named {@code sourceName [inputs] -> [outputs]}
   * @throws IllegalArgumentException if a set is empty, a name is unknown (the message lists valid
   *     names), an output is also an input, the inputs do not separate an output from an original
   *     graph input (the message names both and the path), an input is not needed to compute the
   *     outputs (ONNX Runtime would accept such a dangling input, but it is always a mistake in
   *     the cut), or an input's element type cannot be inferred
   */
  public OnnxModel cut(Collection<String> inputs, Collection<String> outputs) {
    return Cutter.cut(this, inputs, outputs);
  }

  /**
   * Answers "can {@code outputs} be computed from {@code inputs} alone?" without building the cut
   * and without exceptions: the check {@link #cut} performs first.
   *
   * @param inputs tensors that would become the cut's inputs
   * @param outputs tensors that would become the cut's outputs
   * @return empty when the cut is possible, else the reason it is not (an unknown tensor, an
   *     output that also depends on a graph input not among {@code inputs} — e.g. a residual
   *     connection crossing the cut — or an input not needed for the outputs)
   */
  public Optional<String> cutProblem(Collection<String> inputs, Collection<String> outputs) {
    return Optional.ofNullable(Cutter.problem(this, inputs, outputs));
  }

  /** Wraps a proto built by this package; it is valid by construction. */
  static OnnxModel derived(ModelProto proto, String sourceName) {
    try {
      return of(proto, sourceName);
    } catch (ModelFormatException e) {
      throw new IllegalStateException("Argus built an invalid ONNX graph: " + e.getMessage(), e);
    }
  }

  /** Builds a value info {@code name: elemType[shape]} with {@code N} for the batch dim. */
  static ValueInfoProto valueInfo(String name, int elemType, long[] shape) {
    TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder().setElemType(elemType);
    if (shape != null) {
      TensorShapeProto.Builder sp = TensorShapeProto.newBuilder();
      for (int i = 0; i < shape.length; i++) {
        TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
        if (shape[i] >= 0) {
          d.setDimValue(shape[i]);
        } else {
          d.setDimParam(i == 0 ? "N" : name + "_d" + i);
        }
        sp.addDim(d);
      }
      tt.setShape(sp);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tt))
        .build();
  }

  /** Readable summary: source, node count, inputs, outputs and the sha256 prefix. */
  @Override
  public String toString() {
    return "OnnxModel[" + sourceName + ", " + nodeCount() + " nodes, inputs " + inputNames()
        + ", outputs " + outputNames() + ", sha256 " + sha256.substring(0, 12) + "…]";
  }
}
