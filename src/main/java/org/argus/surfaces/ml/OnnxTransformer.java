package org.argus.surfaces.ml;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.GraphSource;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;

/**
 * Spark ML transformer running any ONNX model (float32 inputs and outputs) over numeric columns:
 * for non-image models and for features computed by earlier stages (e.g. an unpooled activation
 * from {@link DeepImageFeaturizer} fed to the graph cut above that layer).
 *
 * <p>Input {@code inputCols[i]} ({@code array<float>}, {@code array<double>} or ml {@code Vector})
 * feeds graph input {@code inputTensors[i]} (default: the graph's inputs in order) with per-example
 * shape {@code inputShapes[i]} (comma-separated dims without the batch dim, e.g. {@code 192,6,6};
 * default: the graph's declared static shape). Rows are batched {@code batchSize} at a time into
 * {@code [N, dims...]} float32 tensors. Each output tensor {@code outputTensors[j]} (default: all
 * graph outputs) becomes column {@code outputCols[j]} (default: the tensor name), flattened per
 * example, as {@code array<float>} or ml {@code vector}. A null input or one whose length differs
 * from the shape's product is an invalid row, handled by {@code handleInvalid} as in the image
 * stages: {@code error} (default) fails the task naming the row, column, length and shape, {@code
 * skip} drops it, {@code keep} keeps it with null outputs and the reason. Rows go through the one
 * inference kernel ({@code org.argus.execution.inference}).
 *
 * <p>The ONNX file is read through the Hadoop FileSystem API on the driver and broadcast once;
 * executors share one ONNX Runtime session per JVM. On save the bytes are embedded by default.
 */
public final class OnnxTransformer extends Transformer implements MLWritable, ModelBackedStage {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> modelPath;
  private final StringArrayParam inputCols;
  private final StringArrayParam inputTensors;
  private final StringArrayParam inputShapes;
  private final StringArrayParam outputTensors;
  private final StringArrayParam outputCols;
  private final Param<String> outputType;
  private final IntParam batchSize;
  private final IntParam intraOpThreads;
  private final BooleanParam embedModel;
  private final Param<String> handleInvalid;
  private final Param<String> invalidReasonCol;

  /** Creates a transformer with a random uid. */
  public OnnxTransformer() {
    this(Identifiable.randomUID("onnxTransformer"));
  }

  /** @param uid the stage's unique id */
  public OnnxTransformer(String uid) {
    this.uid = uid;
    modelPath = new Param<>(this, "modelPath", "Hadoop-FS path of the ONNX model");
    inputCols = new StringArrayParam(this, "inputCols",
        "numeric columns (array<float|double> or vector), one per graph input");
    inputTensors = new StringArrayParam(this, "inputTensors",
        "graph input names fed by inputCols, same order; empty = the graph's inputs in order");
    inputShapes = new StringArrayParam(this, "inputShapes",
        "per-example shape of each input without the batch dim, e.g. '192,6,6'; empty = declared");
    outputTensors = new StringArrayParam(this, "outputTensors",
        "graph tensors to fetch; empty = all graph outputs");
    outputCols = new StringArrayParam(this, "outputCols",
        "output column per output tensor; empty = the tensor names");
    outputType = new Param<>(this, "outputType", "array (array<float>) or vector (ml vector)",
        ParamValidators.inArray(new String[] {"array", "vector"}));
    batchSize = new IntParam(this, "batchSize", "rows per ONNX Runtime call",
        ParamValidators.gtEq(1));
    intraOpThreads = new IntParam(this, "intraOpThreads",
        "ONNX Runtime intra-op threads per session", ParamValidators.gtEq(1));
    embedModel = new BooleanParam(this, "embedModel",
        "on save, copy the ONNX bytes into the saved directory");
    handleInvalid = new Param<>(this, "handleInvalid",
        "what to do with a row whose input is null or has the wrong number of values: error (fail the job), "
            + "skip (drop and count), keep (null outputs plus a reason in invalidReasonCol)",
        ParamValidators.inArray(HandleInvalid.NAMES));
    invalidReasonCol = new Param<>(this, "invalidReasonCol",
        "string column added when handleInvalid=keep: null for valid rows, the reason otherwise");
    setDefault(handleInvalid, "error");
    setDefault(invalidReasonCol, "invalid_reason");
    setDefault(modelPath, "");
    setDefault(inputCols, new String[0]);
    setDefault(inputTensors, new String[0]);
    setDefault(inputShapes, new String[0]);
    setDefault(outputTensors, new String[0]);
    setDefault(outputCols, new String[0]);
    setDefault(outputType, "array");
    setDefault(batchSize, 64);
    setDefault(intraOpThreads, 1);
    setDefault(embedModel, true);
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the model path param */
  public Param<String> modelPath() {
    return modelPath;
  }

  /** @return the input columns param */
  public StringArrayParam inputCols() {
    return inputCols;
  }

  /** @return the input tensors param */
  public StringArrayParam inputTensors() {
    return inputTensors;
  }

  /** @return the input shapes param */
  public StringArrayParam inputShapes() {
    return inputShapes;
  }

  /** @return the output tensors param */
  public StringArrayParam outputTensors() {
    return outputTensors;
  }

  /** @return the output columns param */
  public StringArrayParam outputCols() {
    return outputCols;
  }

  /** @return the output type param (default array) */
  public Param<String> outputType() {
    return outputType;
  }

  /** @return the batch size param (default 64) */
  public IntParam batchSize() {
    return batchSize;
  }

  /** @return the intra-op threads param (default 1) */
  public IntParam intraOpThreads() {
    return intraOpThreads;
  }

  /** @return the handleInvalid param ({@code error} | {@code skip} | {@code keep}; default error) */
  public Param<String> handleInvalid() {
    return handleInvalid;
  }

  /** @return the reason column param used by handleInvalid=keep (default {@code invalid_reason}) */
  public Param<String> invalidReasonCol() {
    return invalidReasonCol;
  }

  /**
   * @param value {@code error}, {@code skip} or {@code keep}
   * @return this stage
   */
  public OnnxTransformer setHandleInvalid(String value) {
    set(handleInvalid, value);
    return this;
  }

  /**
   * @param value reason column name for handleInvalid=keep
   * @return this stage
   */
  public OnnxTransformer setInvalidReasonCol(String value) {
    set(invalidReasonCol, value);
    return this;
  }

  /** @return the embedModel param (default true) */
  public BooleanParam embedModel() {
    return embedModel;
  }

  @Override
  public String getModelName() {
    return "";
  }

  @Override
  public String getModelPath() {
    return $(modelPath);
  }

  @Override
  public boolean getEmbedModel() {
    return (Boolean) $(embedModel);
  }

  /**
   * @param value Hadoop-FS path of an ONNX file
   * @return this stage
   */
  @Override
  public OnnxTransformer setModelPath(String value) {
    set(modelPath, value);
    return this;
  }

  /**
   * @param value input columns, one per graph input
   * @return this stage
   */
  public OnnxTransformer setInputCols(String... value) {
    set(inputCols, value);
    return this;
  }

  /**
   * @param value graph input names, same order as the input columns
   * @return this stage
   */
  public OnnxTransformer setInputTensors(String... value) {
    set(inputTensors, value);
    return this;
  }

  /**
   * @param value per-example shapes, e.g. {@code "192,6,6"}
   * @return this stage
   */
  public OnnxTransformer setInputShapes(String... value) {
    set(inputShapes, value);
    return this;
  }

  /**
   * @param value graph tensors to fetch
   * @return this stage
   */
  public OnnxTransformer setOutputTensors(String... value) {
    set(outputTensors, value);
    return this;
  }

  /**
   * @param value output column names, one per output tensor
   * @return this stage
   */
  public OnnxTransformer setOutputCols(String... value) {
    set(outputCols, value);
    return this;
  }

  /**
   * @param value array or vector
   * @return this stage
   */
  public OnnxTransformer setOutputType(String value) {
    set(outputType, value);
    return this;
  }

  /**
   * @param value rows per ORT call, ≥ 1
   * @return this stage
   */
  public OnnxTransformer setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  /**
   * @param value ORT intra-op threads, ≥ 1
   * @return this stage
   */
  public OnnxTransformer setIntraOpThreads(int value) {
    set(intraOpThreads, value);
    return this;
  }

  /**
   * @param value whether save embeds the ONNX bytes
   * @return this stage
   */
  public OnnxTransformer setEmbedModel(boolean value) {
    set(embedModel, value);
    return this;
  }

  @Override
  public String modelSha256() {
    return model().sha256();
  }

  private OnnxModel model() {
    if (getModelPath().isEmpty()) {
      throw new IllegalArgumentException("OnnxTransformer " + uid + ": set modelPath");
    }
    return MODELS.computeIfAbsent(getModelPath(), path -> {
      try {
        return OnnxModel.fromBytes(StageModels.readBytes(path), path);
      } catch (ModelFormatException e) {
        throw new IllegalArgumentException("modelPath " + path + " is not a valid ONNX model: " + e.getMessage(), e);
      }
    });
  }

  /** Driver-side per-JVM cache of the ONNX files read, by path (documented cache). */
  private static final java.util.Map<String, OnnxModel> MODELS = new java.util.concurrent.ConcurrentHashMap<>();

  /** The resolved mapping: tensors, per-example shapes, outputs and column names. */
  private record Plan(List<String> inputs, List<long[]> shapes, List<String> outputs,
      List<String> cols) {}

  private Plan plan(OnnxModel m) {
    String[] cols = $(inputCols);
    if (cols.length == 0) {
      throw new IllegalArgumentException("OnnxTransformer " + uid + ": set inputCols");
    }
    List<String> graphInputs = m.inputNames();
    List<String> tensors = $(inputTensors).length == 0 ? graphInputs : List.of($(inputTensors));
    if (tensors.size() != cols.length) {
      throw new IllegalArgumentException("OnnxTransformer: " + cols.length + " inputCols "
          + Arrays.toString(cols) + " but " + tensors.size() + " input tensors " + tensors
          + "; give one column per graph input");
    }
    for (String t : tensors) {
      if (!graphInputs.contains(t)) {
        throw new IllegalArgumentException(
            "OnnxTransformer: unknown input tensor '" + t + "'; graph inputs: " + graphInputs);
      }
    }
    String[] shapeText = $(inputShapes);
    if (shapeText.length != 0 && shapeText.length != cols.length) {
      throw new IllegalArgumentException("OnnxTransformer: " + shapeText.length
          + " inputShapes for " + cols.length + " inputs; give one per input or none");
    }
    List<long[]> shapes = new ArrayList<>();
    for (int i = 0; i < tensors.size(); i++) {
      shapes.add(shapeText.length == 0 ? declared(m, tensors.get(i)) : parseShape(shapeText[i]));
    }
    List<String> outs = $(outputTensors).length == 0 ? m.outputNames() : List.of($(outputTensors));
    for (String o : outs) {
      if (!m.tensorNames().contains(o)) {
        throw new IllegalArgumentException("OnnxTransformer: unknown output tensor '" + o
            + "'; graph outputs: " + m.outputNames());
      }
    }
    List<String> outCols = $(outputCols).length == 0 ? outs : List.of($(outputCols));
    if (outCols.size() != outs.size()) {
      throw new IllegalArgumentException("OnnxTransformer: " + outCols.size() + " outputCols for "
          + outs.size() + " output tensors " + outs);
    }
    return new Plan(List.copyOf(tensors), shapes, List.copyOf(outs), List.copyOf(outCols));
  }

  private static long[] parseShape(String s) {
    try {
      return Arrays.stream(s.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "input shape '" + s + "' must be comma-separated positive dims, e.g. 192,6,6", e);
    }
  }

  private static long[] declared(OnnxModel m, String tensor) {
    for (ValueInfoProto v : m.proto().getGraph().getInputList()) {
      if (v.getName().equals(tensor)) {
        List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
        long[] shape = new long[Math.max(0, dims.size() - 1)];
        for (int i = 1; i < dims.size(); i++) {
          if (!dims.get(i).hasDimValue()) {
            throw new IllegalArgumentException("input '" + tensor + "' has a symbolic dim "
                + i + " (" + dims.get(i).getDimParam() + "); set inputShapes");
          }
          shape[i - 1] = dims.get(i).getDimValue();
        }
        return shape;
      }
    }
    throw new IllegalArgumentException("graph has no input '" + tensor + "'");
  }

  @Override
  public StructType transformSchema(StructType schema) {
    Plan p = plan(model());
    checkInputColumns(schema);
    return InferenceStage.outputSchema("OnnxTransformer " + uid, schema, InferenceStage.all(schema.size()),
        outputs(p), HandleInvalid.parse($(handleInvalid)), $(invalidReasonCol));
  }

  private void checkInputColumns(StructType schema) {
    List<String> names = Arrays.asList(schema.fieldNames());
    for (String c : $(inputCols)) {
      if (!names.contains(c)) {
        throw new IllegalArgumentException("OnnxTransformer: input column '" + c
            + "' not found; columns: " + String.join(", ", names));
      }
      DataType t = schema.apply(c).dataType();
      boolean ok = t instanceof VectorUDT || (t instanceof ArrayType a
          && (a.elementType() == DataTypes.FloatType || a.elementType() == DataTypes.DoubleType));
      if (!ok) {
        throw new IllegalArgumentException("OnnxTransformer: input column '" + c + "' has type "
            + t.simpleString() + "; expected array<float>, array<double> or vector");
      }
    }
  }

  /** @return one output column per output tensor, flattened per example */
  private List<InferenceStage.Output> outputs(Plan p) {
    Emit emit = new Emit.Features(null, $(outputType).equals("vector"));
    List<InferenceStage.Output> out = new ArrayList<>();
    for (int i = 0; i < p.outputs().size(); i++) {
      out.add(new InferenceStage.Output(p.cols().get(i), p.outputs().get(i), emit));
    }
    return out;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType schema = dataset.schema();
    transformSchema(schema);
    OnnxModel m = model();
    Plan p = plan(m);
    SparkContext sc = dataset.sparkSession().sparkContext();
    ThreadBudget.check("OnnxTransformer " + uid, sc.getConf(), (Integer) $(intraOpThreads),
        Runtime.getRuntime().availableProcessors());
    List<InferenceStage.Input> inputs = new ArrayList<>();
    String[] cols = $(inputCols);
    for (int i = 0; i < cols.length; i++) {
      inputs.add(new InferenceStage.Input(p.inputs().get(i), new TensorSource.Numbers(schema.fieldIndex(cols[i]),
          cols[i], p.inputs().get(i), p.shapes().get(i))));
    }
    GraphSource graph = GraphSource.broadcast(m.sha256(), StageModels.broadcast(sc, m.sha256(), m.toBytes()));
    InferenceStage stage = new InferenceStage("OnnxTransformer " + uid + " (" + getModelPath() + ")", graph,
        inputs, outputs(p), InferenceStage.all(schema.size()), -1, (Integer) $(batchSize),
        (Integer) $(intraOpThreads), HandleInvalid.parse($(handleInvalid)), $(invalidReasonCol));
    return Inference.apply(dataset.toDF(), stage, Counters.create(sc, "argus." + uid));
  }

  @Override
  public OnnxTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new StagePersistence.Writer(this);
  }

  /** @return the reader used by {@code load} and {@code PipelineModel.load} */
  public static MLReader<OnnxTransformer> read() {
    return new StagePersistence.Reader<>(OnnxTransformer.class);
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the loaded stage
   * @throws IllegalArgumentException if the directory is not a saved OnnxTransformer
   */
  public static OnnxTransformer load(String path) {
    return read().load(path);
  }
}
