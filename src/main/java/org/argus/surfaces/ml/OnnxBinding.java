package org.argus.surfaces.ml;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.InferenceStage;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.onnx.ElementType;

/**
 * How an {@link OnnxTransformer}'s columns bind to its ONNX graph, resolved and checked on the
 * driver before any job: which column feeds which graph input with which per-example shape and
 * element type, which graph tensors become which output columns with which Spark types, whether the
 * graph has a fixed batch size, and the graph to run (the model itself, or the model cut so that
 * requested intermediate tensors are outputs). Every refusal names the model's path, the input or
 * output, and what was declared against what was given.
 *
 * @param model the graph to run
 * @param inputs one per input column, in column order
 * @param outputs one per output column, in order
 * @param fixedBatch the graph's static batch size, or 0 for a dynamic batch axis (always 0 with
 *     {@code wholeTensor})
 * @param wholeTensor true when a row holds each input's whole tensor, batch axis included
 */
record OnnxBinding(OnnxModel model, List<In> inputs, List<Out> outputs, int fixedBatch, boolean wholeTensor) {

  /**
   * @param column the input column
   * @param tensor the graph input it feeds
   * @param shape per-example shape (batch axis excluded), or the whole tensor's shape with {@code
   *     wholeTensor}
   * @param type the graph input's element type
   */
  record In(String column, String tensor, long[] shape, ElementType type) {}

  /**
   * @param column the output column
   * @param tensor the graph tensor it holds
   * @param type the tensor's element type
   */
  record Out(String column, String tensor, ElementType type) {}

  /**
   * Resolves the binding.
   *
   * @param m the model as read from {@code path}
   * @param path the model's path, for messages
   * @param cols input columns
   * @param inputTensors graph inputs fed by the columns (empty: the graph's inputs in order)
   * @param shapeText per-input shapes as {@code "d1,d2,…"} (empty: the declared ones)
   * @param outputTensors graph tensors to fetch (empty: the graph's outputs)
   * @param outputCols output columns (empty: the tensor names)
   * @param wholeTensor true when a row holds a whole tensor, batch axis included
   * @return the binding
   * @throws IllegalArgumentException naming the path and the tensor for: unknown inputs or outputs, list lengths that differ, element types Argus does
   *     not support, shapes that contradict the declared static dims, symbolic dims without a given
   *     shape, inputs with different fixed batch sizes
   */
  static OnnxBinding resolve(OnnxModel m, String path, String[] cols, String[] inputTensors, String[] shapeText,
      String[] outputTensors, String[] outputCols, boolean wholeTensor) {
    if (cols.length == 0) {
      throw new IllegalArgumentException("OnnxTransformer: set inputCols (graph inputs of " + path + ": "
          + m.inputNames() + ")");
    }
    List<String> graphInputs = m.inputNames();
    List<String> tensors = inputTensors.length == 0 ? graphInputs : List.of(inputTensors);
    if (tensors.size() != cols.length) {
      throw new IllegalArgumentException("OnnxTransformer: " + cols.length + " inputCols " + Arrays.toString(cols)
          + " but " + tensors.size() + " input tensors " + tensors + " in " + path + "; give one column per graph input");
    }
    if (shapeText.length != 0 && shapeText.length != cols.length) {
      throw new IllegalArgumentException("OnnxTransformer: " + shapeText.length + " inputShapes for " + cols.length
          + " inputs; give one per input or none");
    }
    List<In> ins = new ArrayList<>();
    int fixed = -1;
    for (int i = 0; i < tensors.size(); i++) {
      String t = tensors.get(i);
      ValueInfoProto v = m.proto().getGraph().getInputList().stream().filter(x -> x.getName().equals(t)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("OnnxTransformer: unknown input tensor '" + t + "' in "
              + path + "; graph inputs: " + graphInputs));
      ElementType type = elementType(v, path, "input");
      long[] declared = dims(v);
      long[] shape = shape(declared, shapeText.length == 0 ? null : shapeText[i], t, path, wholeTensor);
      ins.add(new In(cols[i], t, shape, type));
      long b = declared == null || declared.length == 0 ? -1 : declared[0];
      if (!wholeTensor && b > 0) {
        if (fixed > 0 && fixed != b) {
          throw new IllegalArgumentException("OnnxTransformer: inputs of " + path + " declare different fixed batch "
              + "sizes (" + fixed + " and " + b + " for '" + t + "'); rows cannot be batched for both");
        }
        fixed = (int) b;
      }
    }
    List<String> outs = outputTensors.length == 0 ? m.outputNames() : List.of(outputTensors);
    List<String> outCols = outputCols.length == 0 ? outs : List.of(outputCols);
    if (outCols.size() != outs.size()) {
      throw new IllegalArgumentException("OnnxTransformer: " + outCols.size() + " outputCols for " + outs.size()
          + " output tensors " + outs);
    }
    OnnxModel run = withOutputs(m, path, tensors, outs);
    List<Out> os = new ArrayList<>();
    for (int j = 0; j < outs.size(); j++) {
      String o = outs.get(j);
      ValueInfoProto v = run.proto().getGraph().getOutputList().stream().filter(x -> x.getName().equals(o))
          .findFirst().orElseThrow();
      os.add(new Out(outCols.get(j), o, elementType(v, path, "output")));
    }
    return new OnnxBinding(run, List.copyOf(ins), List.copyOf(os), Math.max(0, fixed), wholeTensor);
  }

  /** @return the graph with every requested tensor as an output: the model itself, or a cut of it */
  private static OnnxModel withOutputs(OnnxModel m, String path, List<String> inputs, List<String> outs) {
    for (String o : outs) {
      if (!m.tensorNames().contains(o)) {
        throw new IllegalArgumentException("OnnxTransformer: unknown output tensor '" + o + "' in " + path
            + "; graph outputs: " + m.outputNames() + " (any of the graph's " + m.tensorNames().size()
            + " tensors works too)");
      }
    }
    if (m.outputNames().containsAll(outs)) {
      return m;
    }
    Optional<String> problem = m.cutProblem(m.inputNames(), outs);
    if (problem.isPresent()) {
      throw new IllegalArgumentException("OnnxTransformer: cannot fetch " + outs + " from " + path + ": "
          + problem.get());
    }
    return m.cut(m.inputNames(), outs);
  }

  private static ElementType elementType(ValueInfoProto v, String path, String what) {
    TypeProto t = v.getType();
    if (!t.hasTensorType()) {
      throw new IllegalArgumentException("OnnxTransformer: " + what + " '" + v.getName() + "' of " + path + " is a "
          + t.getValueCase().name().toLowerCase(java.util.Locale.ROOT).replace("_type", "")
          + ", not a tensor; OnnxTransformer feeds and reads tensors of " + ElementType.supported());
    }
    int code = t.getTensorType().getElemType();
    return ElementType.fromOnnx(code).orElseThrow(() -> new IllegalArgumentException("OnnxTransformer: " + what + " '"
        + v.getName() + "' of " + path + " has element type " + ElementType.onnxName(code)
        + "; supported: " + ElementType.supported()));
  }

  /** @return declared dims, −1 for symbolic or unknown ones; null when the input declares no shape */
  private static long[] dims(ValueInfoProto v) {
    if (!v.getType().getTensorType().hasShape()) {
      return null;
    }
    List<TensorShapeProto.Dimension> d = v.getType().getTensorType().getShape().getDimList();
    return d.stream().mapToLong(x -> x.hasDimValue() ? x.getDimValue() : -1).toArray();
  }

  /**
   * @return the per-example shape (or the whole shape with {@code whole}): the given one checked
   *     against the declared static dims, else the declared one
   */
  private static long[] shape(long[] declared, String given, String tensor, String path, boolean whole) {
    if (declared == null) {
      if (given == null) {
        throw new IllegalArgumentException("OnnxTransformer: input '" + tensor + "' of " + path + " declares no "
            + "shape; set inputShapes to the " + (whole ? "whole tensor's" : "per-example") + " shape");
      }
      return parse(given, tensor);
    }
    long[] want = whole ? declared : Arrays.copyOfRange(declared, Math.min(1, declared.length), declared.length);
    String declaredText = Arrays.toString(Arrays.stream(declared).mapToObj(x -> x < 0 ? "?" : Long.toString(x))
        .toArray());
    if (given == null) {
      for (int i = 0; i < want.length; i++) {
        if (want[i] < 0) {
          throw new IllegalArgumentException("OnnxTransformer: input '" + tensor + "' of " + path + " is declared "
              + declaredText + " with a symbolic dim " + (whole ? i : i + 1) + "; set inputShapes to the "
              + (whole ? "whole tensor's" : "per-example") + " shape");
        }
      }
      return want;
    }
    long[] s = parse(given, tensor);
    boolean ok = s.length == want.length;
    for (int i = 0; ok && i < want.length; i++) {
      ok = want[i] < 0 || want[i] == s[i];
    }
    if (!ok) {
      throw new IllegalArgumentException("OnnxTransformer: inputShapes '" + given + "' contradicts input '" + tensor
          + "' of " + path + ", declared " + declaredText + "; give the " + (whole ? "whole tensor's" : "per-example")
          + " shape" + (whole ? "" : " without the batch dim") + ", equal to every static dim");
    }
    return s;
  }

  /** @return the dims of {@code "d1,d2,…"} (each ≥ 0; {@code ""} is a scalar) */
  private static long[] parse(String given, String tensor) {
    if (given.isBlank()) {
      return new long[0];
    }
    try {
      long[] s = Arrays.stream(given.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
      if (Arrays.stream(s).allMatch(x -> x >= 0)) {
        return s;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("OnnxTransformer: input shape '" + given + "' for '" + tensor
        + "' must be comma-separated dims ≥ 0, e.g. 192,6,6 (empty for a scalar)");
  }

  /**
   * Checks each input column's Spark type against its graph input's element type.
   *
   * @param schema the input schema
   * @param path the model's path
   * @throws IllegalArgumentException for a missing column or a type that cannot feed the input
   *     (names the column, its type, the input, its element type and the column types that would)
   */
  void checkColumns(StructType schema, String path) {
    List<String> names = Arrays.asList(schema.fieldNames());
    for (In in : inputs) {
      if (!names.contains(in.column())) {
        throw new IllegalArgumentException("OnnxTransformer: input column '" + in.column() + "' not found; columns: "
            + String.join(", ", names));
      }
      DataType t = schema.apply(in.column()).dataType();
      DataType element = t instanceof ArrayType a ? a.elementType() : t;
      boolean scalar = !(t instanceof ArrayType) && !(t instanceof VectorUDT);
      boolean ok;
      String valid;
      if (in.type().isFloating()) {
        ok = t instanceof VectorUDT || isNumeric(element);
        valid = "array<float|double|tinyint|smallint|int|bigint>, vector, or a numeric scalar";
      } else if (in.type().isInteger()) {
        ok = isIntegral(element);
        valid = "array<tinyint|smallint|int|bigint> or an integer scalar (cast floating columns first)";
      } else {
        ok = element == DataTypes.BooleanType;
        valid = "array<boolean> or boolean";
      }
      if (!ok) {
        throw new IllegalArgumentException("OnnxTransformer: input column '" + in.column() + "' has type "
            + t.simpleString() + " but input '" + in.tensor() + "' of " + path + " takes " + in.type().onnxName()
            + "; valid column types: " + valid);
      }
      long per = Arrays.stream(in.shape()).reduce(1, (x, y) -> x * y);
      if (scalar && per != 1) {
        throw new IllegalArgumentException("OnnxTransformer: input column '" + in.column() + "' is a scalar "
            + t.simpleString() + " but input '" + in.tensor() + "' of " + path + " takes " + per
            + " values per " + (wholeTensor ? "tensor " : "example ") + Arrays.toString(in.shape())
            + "; use an array column");
      }
    }
  }

  private static boolean isIntegral(DataType t) {
    return t == DataTypes.ByteType || t == DataTypes.ShortType || t == DataTypes.IntegerType || t == DataTypes.LongType;
  }

  private static boolean isNumeric(DataType t) {
    return isIntegral(t) || t == DataTypes.FloatType || t == DataTypes.DoubleType;
  }

  /**
   * @param vector true to emit floating outputs as ml vectors
   * @return one stage output per output column
   */
  List<InferenceStage.Output> stageOutputs(boolean vector) {
    List<InferenceStage.Output> out = new ArrayList<>();
    for (Out o : outputs) {
      out.add(new InferenceStage.Output(o.column(), o.tensor(), new Emit.Tensor(o.type(), vector && o.type().isFloating())));
    }
    return out;
  }
}
