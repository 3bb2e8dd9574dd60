package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.Transformer;
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
import org.apache.spark.sql.types.StructType;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.GraphSource;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;
import org.argus.runtime.InferenceException;
import org.argus.runtime.SessionCache;

/**
 * Spark ML transformer running any ONNX model over numeric and boolean columns: for non-image
 * models and for features computed by earlier stages (e.g. an unpooled activation from {@link
 * DeepImageFeaturizer} fed to the graph cut above that layer).
 *
 * <p><b>Inputs.</b> Column {@code inputCols[i]} feeds graph input {@code inputTensors[i]}
 * (default: the graph's inputs in order) with per-example shape {@code inputShapes[i]}
 * (comma-separated dims without the batch dim, e.g. {@code 192,6,6}; default: the declared shape;
 * a given shape must equal every static dim the model declares). Column types per the input's
 * element type: float, float16, double ← {@code array<float|double|tinyint|smallint|int|bigint>},
 * ml {@code vector} or a numeric scalar; int8, uint8, int16, int32, int64 ← {@code
 * array<tinyint|smallint|int|bigint>} or an integer scalar (each value checked against the type's
 * range); bool ← {@code array<boolean>} or {@code boolean}. Rows are stacked {@code batchSize} at a
 * time into {@code [N, dims...]} tensors; a graph that declares a fixed batch size {@code B} gets
 * exactly {@code B} rows per call, a partition's last batch padded with zeros whose outputs are
 * dropped. With {@code batchMode=tensor} each row holds each input's whole tensor, batch axis
 * included (shape = the declared one or {@code inputShapes}), one call per row.
 *
 * <p><b>Outputs.</b> Each tensor {@code outputTensors[j]} (default: the graph's outputs; any
 * intermediate tensor works too — the graph is then cut so that it is an output) becomes column
 * {@code outputCols[j]} (default: the tensor name), flattened per example: float and float16 as
 * {@code array<float>}, double as {@code array<double>} (either as an ml {@code vector} with {@code
 * outputType=vector}), int8/uint8/int16/int32 as {@code array<int>}, int64 as {@code
 * array<bigint>}, bool as {@code array<boolean>}.
 *
 * <p><b>Refusals before any job</b> ({@code transformSchema}/{@code transform}, naming the model's
 * path): element types other than the above (strings, sequences, maps, …), a
 * column type that cannot feed its input, shapes contradicting the declared static dims, symbolic
 * dims without {@code inputShapes}, and any graph ONNX Runtime cannot load (the driver creates the
 * session once). <b>Invalid rows</b> (null, wrong length, a null element, a value out of the
 * type's range) go by {@code handleInvalid} as in the image stages: {@code error} (default) fails
 * the task naming the row, column and reason, {@code skip} drops and counts it, {@code keep} keeps it
 * with null outputs and the reason. Rows go through the one inference kernel ({@code
 * org.argus.execution.inference}).
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
  private final Param<String> batchMode;

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
    batchMode = new Param<>(this, "batchMode",
        "rows: each row is one example, rows are stacked along the graph's batch axis (padded to a fixed batch "
            + "size when the graph declares one); tensor: each row holds each input's whole tensor, batch axis "
            + "included, one ONNX Runtime call per row",
        ParamValidators.inArray(new String[] {"rows", "tensor"}));
    setDefault(batchMode, "rows");
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

  /** @return the batch mode param ({@code rows} | {@code tensor}; default rows) */
  public Param<String> batchMode() {
    return batchMode;
  }

  /**
   * @param value {@code rows} (a row is one example) or {@code tensor} (a row is a whole tensor,
   *     batch axis included)
   * @return this stage
   */
  public OnnxTransformer setBatchMode(String value) {
    set(batchMode, value);
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
    String path = getModelPath();
    String version;
    try {
      version = StageModels.versionKey(path);
    } catch (IllegalArgumentException gone) {
      OnnxModel last = LAST_READ.get(path);
      if (last != null) {
        return last; // the file is gone: the graph this JVM read from it last
      }
      throw gone;
    }
    OnnxModel m = MODELS.computeIfAbsent(version, key -> {
      try {
        return OnnxModel.fromBytes(StageModels.readBytes(path), path);
      } catch (ModelFormatException e) {
        throw new IllegalArgumentException("modelPath " + path + " is not a valid ONNX model: " + e.getMessage(), e);
      }
    });
    LAST_READ.put(path, m);
    return m;
  }

  /** The graph last read from each path (used when the file has since been deleted). */
  private static final java.util.Map<String, OnnxModel> LAST_READ = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Driver-side per-JVM cache of the ONNX files read, by path, length and modification time (a
   * replaced file is read again; documented cache).
   */
  private static final java.util.Map<String, OnnxModel> MODELS = new java.util.concurrent.ConcurrentHashMap<>();

  /** @return the columns bound to the graph, checked (see {@link OnnxBinding#resolve}) */
  private OnnxBinding binding() {
    return OnnxBinding.resolve(model(), getModelPath(), $(inputCols), $(inputTensors), $(inputShapes),
        $(outputTensors), $(outputCols), $(batchMode).equals("tensor"));
  }

  /**
   * Checks everything that can be checked without running the graph: the input
   * and output tensors and their element types, shapes against the declared static dims, the
   * input columns' types against the inputs' element types.
   *
   * @param schema the input schema
   * @return the input columns, the output columns (types per the class table), then the reason
   *     column with {@code handleInvalid=keep}
   * @throws IllegalArgumentException naming the model path and the tensor or column (see {@link
   *     OnnxBinding#resolve} and {@link OnnxBinding#checkColumns})
   */
  @Override
  public StructType transformSchema(StructType schema) {
    return outputSchema(binding(), schema);
  }

  private StructType outputSchema(OnnxBinding b, StructType schema) {
    b.checkColumns(schema, getModelPath());
    return InferenceStage.outputSchema("OnnxTransformer " + uid, schema, InferenceStage.all(schema.size()),
        b.stageOutputs($(outputType).equals("vector")), HandleInvalid.parse($(handleInvalid)), $(invalidReasonCol));
  }

  /**
   * Checks the schema ({@link #transformSchema}), creates the graph's ONNX Runtime session once on
   * the driver (so a graph ONNX Runtime cannot load — an operator it does not implement, an opset it
   * does not know — is refused here, naming the path, before any job; in local mode the executors
   * reuse that session) and returns the lazily transformed DataFrame.
   *
   * @param dataset rows with the input columns
   * @return the rows with the output columns added
   * @throws IllegalArgumentException for everything {@link #transformSchema} refuses, or a graph
   *     ONNX Runtime cannot load
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType schema = dataset.schema();
    OnnxBinding b = binding(); // resolved (and, for intermediate outputs, cut) once per call
    outputSchema(b, schema);
    OnnxModel m = b.model();
    SparkContext sc = dataset.sparkSession().sparkContext();
    int threads = (Integer) $(intraOpThreads);
    ThreadBudget.check("OnnxTransformer " + uid, sc.getConf(), threads, Runtime.getRuntime().availableProcessors());
    byte[] bytes = m.toBytes();
    try (SessionCache.Lease loaded = SessionCache.acquire(m.sha256(), () -> bytes, threads)) {
      loaded.session(); // loads now: a graph ORT refuses fails here, on the driver, not in a task
    } catch (InferenceException e) {
      boolean old = m.proto().getOpsetImportList().stream()
          .anyMatch(o -> (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) && o.getVersion() < 7);
      throw new IllegalArgumentException("OnnxTransformer: ONNX Runtime cannot load model " + getModelPath()
          + " (opsets " + opsets(m) + ")" + (old ? "; ONNX Runtime implements some operators only from opset 7 on: "
          + "convert the model to a newer opset (e.g. onnx.version_converter.convert_version(model, 13))" : "")
          + ": " + e.getMessage(), e);
    }
    List<InferenceStage.Input> inputs = new ArrayList<>();
    for (OnnxBinding.In in : b.inputs()) {
      inputs.add(new InferenceStage.Input(in.tensor(), new TensorSource.Numbers(schema.fieldIndex(in.column()),
          in.column(), in.tensor(), in.shape(), in.type(), b.wholeTensor())));
    }
    int batch = b.wholeTensor() ? 1 : b.fixedBatch() > 0 ? b.fixedBatch() : (Integer) $(batchSize);
    GraphSource graph = GraphSource.broadcast(m.sha256(), StageModels.broadcast(sc, m.sha256(), bytes));
    InferenceStage stage = new InferenceStage("OnnxTransformer " + uid + " (" + getModelPath() + ")", graph,
        inputs, b.stageOutputs($(outputType).equals("vector")), InferenceStage.all(schema.size()), -1, batch,
        threads, HandleInvalid.parse($(handleInvalid)), $(invalidReasonCol), b.fixedBatch());
    return Inference.apply(dataset.toDF(), stage, Counters.forStage(sc, uid));
  }

  private static String opsets(OnnxModel m) {
    return String.join(", ", m.proto().getOpsetImportList().stream()
        .map(o -> (o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain()) + " " + o.getVersion()).toList());
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
