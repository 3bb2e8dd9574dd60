package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import static org.apache.spark.sql.functions.col;
import org.argus.execution.inference.Int8Graphs;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Precision;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.roster.PreprocessingSpec;

/**
 * Params and machinery shared by the image stages ({@link DeepImageFeaturizer}, {@link
 * DeepImagePredictor}): which model (a roster name, or an ONNX file plus preprocessing spec), the
 * input column (Spark image struct or {@code binaryFile} content), batching, the ORT thread budget
 * and {@code handleInvalid}. Subclasses say which tensors to compute and how they become columns.
 *
 * <p>Thread budget: each Spark task runs its batches on a JVM-wide ONNX Runtime session with
 * {@code intraOpThreads} threads, so task slots per executor × {@code intraOpThreads} should not
 * exceed the executor's cores (the default, 1, is always within budget); {@code transform} checks
 * this with {@link ThreadBudget} against the driver's core count (executors are assumed alike).
 */
public abstract class ImageModelStage<S extends ImageModelStage<S>> extends Transformer
    implements MLWritable, ModelBackedStage {
  private static final long serialVersionUID = 1L;

  /** {@code handleInvalid} values, as in Spark's own stages. */
  public static final String[] HANDLE_INVALID = HandleInvalid.NAMES;

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> modelName;
  private final Param<String> modelPath;
  private final Param<String> preprocessing;
  private final IntParam imageSize;
  private final IntParam batchSize;
  private final IntParam intraOpThreads;
  private final Param<String> handleInvalid;
  private final Param<String> invalidReasonCol;
  private final BooleanParam embedModel;
  private final Param<String> precision;
  private final IntParam calibrationSize;
  private final Param<String> calibrationMethod;
  private final LongParam calibrationSeed;

  /** @param uid the stage's unique id */
  protected ImageModelStage(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol",
        "input column: a Spark image struct (origin, height, width, nChannels, mode, data BGR) or "
            + "binary encoded image bytes (the content column of the binaryFile source)");
    modelName = new Param<>(this, "modelName",
        "roster model name (e.g. mobilenet_v2, inception_v3); empty when modelPath is set");
    modelPath = new Param<>(this, "modelPath",
        "Hadoop-FS path of an ONNX model with one pixel input; needs preprocessing unless the file "
            + "records it in its metadata (argus.preprocessing, as a spliced model does)");
    preprocessing = new Param<>(this, "preprocessing",
        "preprocessing spec SIZE:ORDER:SCALING:LAYOUT[:RESIZE] (e.g. 224:rgb:tf:nhwc); empty = the "
            + "roster model's own for this stage (the predictor's: nsfwjs's x/255, align_corners)");
    imageSize = new IntParam(this, "imageSize",
        "input side in pixels the images are resized to; 0 = the model's default size",
        ParamValidators.gtEq(0));
    batchSize = new IntParam(this, "batchSize",
        "images per ONNX Runtime call (bounds the memory held per task); default 8: on CPU with one "
            + "intra-op thread larger batches leave the caches (MobileNetV2 224²: 6.8 ms/image at 8, "
            + "7.8 at 32; InceptionV3 299²: flat), on GPUs or many threads raise it", ParamValidators.gtEq(1));
    intraOpThreads = new IntParam(this, "intraOpThreads",
        "ONNX Runtime intra-op threads per session; task slots x this should be <= executor cores",
        ParamValidators.gtEq(1));
    handleInvalid = new Param<>(this, "handleInvalid",
        "what to do with null, undecodable or malformed images: error (fail the job), skip (drop "
            + "and count), keep (null outputs plus a reason in invalidReasonCol)",
        ParamValidators.inArray(HANDLE_INVALID));
    invalidReasonCol = new Param<>(this, "invalidReasonCol",
        "string column added when handleInvalid=keep: null for valid rows, the reason otherwise");
    embedModel = new BooleanParam(this, "embedModel",
        "on save, copy the ONNX bytes of a modelPath model into the saved directory (roster models "
            + "are referenced by name and sha256)");
    precision = new Param<>(this, "precision",
        "fp32 (the graph as imported) or int8 (static quantization calibrated on a seeded sample of the "
            + "input rows: uint8 activations, int8 per-channel weights; about 2x faster on CPUs with VNNI)",
        ParamValidators.inArray(new String[] {"fp32", "int8"}));
    calibrationSize = new IntParam(this, "calibrationSize",
        "images in the int8 calibration sample (>= " + CalibrationSpec.MIN_IMAGES + ")",
        ParamValidators.gtEq(CalibrationSpec.MIN_IMAGES));
    calibrationMethod = new Param<>(this, "calibrationMethod",
        "how int8 ranges are read from the calibration sample: minmax or percentile (99.99)",
        ParamValidators.inArray(new String[] {"minmax", "percentile"}));
    calibrationSeed = new LongParam(this, "calibrationSeed", "seed of the int8 calibration sample draw");
    setDefault(precision, "fp32");
    setDefault(calibrationSize, CalibrationSpec.DEFAULT_SAMPLE_SIZE);
    setDefault(calibrationMethod, "minmax");
    setDefault(calibrationSeed, 42L);
    setDefault(inputCol, "image");
    setDefault(modelName, "");
    setDefault(modelPath, "");
    setDefault(preprocessing, "");
    setDefault(imageSize, 0);
    setDefault(batchSize, 8);
    setDefault(intraOpThreads, 1);
    setDefault(handleInvalid, "error");
    setDefault(invalidReasonCol, "invalid_reason");
    setDefault(embedModel, true);
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the input column param (default {@code image}) */
  public Param<String> inputCol() {
    return inputCol;
  }

  /** @return the roster model name param (default empty) */
  public Param<String> modelName() {
    return modelName;
  }

  /** @return the ONNX model path param (default empty) */
  public Param<String> modelPath() {
    return modelPath;
  }

  /** @return the preprocessing spec param (default empty: the roster model's) */
  public Param<String> preprocessing() {
    return preprocessing;
  }

  /** @return the image size param (pixels per side; default 0: the model's size) */
  public IntParam imageSize() {
    return imageSize;
  }

  /** @return the batch size param (images per ORT call; default 32) */
  public IntParam batchSize() {
    return batchSize;
  }

  /** @return the ORT intra-op threads param (default 1) */
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

  /** @return the embedModel param (default true) */
  public BooleanParam embedModel() {
    return embedModel;
  }

  /** @return the input column */
  public String getInputCol() {
    return $(inputCol);
  }

  /** @return the roster model name, or empty */
  @Override
  public String getModelName() {
    return $(modelName);
  }

  /** @return the ONNX model path, or empty */
  @Override
  public String getModelPath() {
    return $(modelPath);
  }

  /** @return the preprocessing spec text, or empty */
  public String getPreprocessing() {
    return $(preprocessing);
  }

  /** @return the image side in pixels, 0 for the model's default */
  public int getImageSize() {
    return (Integer) $(imageSize);
  }

  /** @return images per ORT call */
  public int getBatchSize() {
    return (Integer) $(batchSize);
  }

  /** @return ORT intra-op threads per session */
  public int getIntraOpThreads() {
    return (Integer) $(intraOpThreads);
  }

  /** @return error, skip or keep */
  public String getHandleInvalid() {
    return $(handleInvalid);
  }

  /** @return the reason column name used by handleInvalid=keep */
  public String getInvalidReasonCol() {
    return $(invalidReasonCol);
  }

  /** @return whether save embeds a modelPath model's bytes */
  @Override
  public boolean getEmbedModel() {
    return (Boolean) $(embedModel);
  }

  /** @return this stage as its concrete type */
  @SuppressWarnings("unchecked")
  protected final S self() {
    return (S) this;
  }

  /**
   * @param value input column name (image struct or binary)
   * @return this stage
   */
  public S setInputCol(String value) {
    set(inputCol, value);
    return self();
  }

  /**
   * @param value roster model name; clears nothing else (set modelPath to "" when switching)
   * @return this stage
   */
  public S setModelName(String value) {
    set(modelName, value);
    return self();
  }

  /**
   * @param value Hadoop-FS path of an ONNX file (one pixel input); needs {@link #setPreprocessing}
   *     unless the file records its spec in its metadata (a spliced model, {@link
   *     org.argus.model.splice.HeadSplice})
   * @return this stage
   */
  @Override
  public S setModelPath(String value) {
    set(modelPath, value);
    return self();
  }

  /**
   * @param value preprocessing spec {@code SIZE:ORDER:SCALING:LAYOUT}, e.g. {@code 224:rgb:tf:nhwc}
   * @return this stage
   * @throws IllegalArgumentException if the spec does not parse
   */
  public S setPreprocessing(String value) {
    if (!value.isEmpty()) {
      PreprocessingSpec.parse(value);
    }
    set(preprocessing, value);
    return self();
  }

  /**
   * @param value pixels per side the images are resized to (≥ the model's minimum), 0 = default
   * @return this stage
   */
  public S setImageSize(int value) {
    set(imageSize, value);
    return self();
  }

  /**
   * @param value images per ONNX Runtime call, ≥ 1
   * @return this stage
   */
  public S setBatchSize(int value) {
    set(batchSize, value);
    return self();
  }

  /**
   * @param value ORT intra-op threads per session, ≥ 1
   * @return this stage
   */
  public S setIntraOpThreads(int value) {
    set(intraOpThreads, value);
    return self();
  }

  /**
   * @param value {@code error}, {@code skip} or {@code keep}
   * @return this stage
   */
  public S setHandleInvalid(String value) {
    set(handleInvalid, value);
    return self();
  }

  /**
   * @param value reason column name for handleInvalid=keep
   * @return this stage
   */
  public S setInvalidReasonCol(String value) {
    set(invalidReasonCol, value);
    return self();
  }

  /**
   * @param value whether save copies a modelPath model's ONNX bytes into the saved directory
   * @return this stage
   */
  public S setEmbedModel(boolean value) {
    set(embedModel, value);
    return self();
  }

  /** @return the precision param ({@code fp32} | {@code int8}; default fp32) */
  public Param<String> precision() {
    return precision;
  }

  /** @return the calibration sample size param (images; default 256) */
  public IntParam calibrationSize() {
    return calibrationSize;
  }

  /** @return the calibration method param ({@code minmax} | {@code percentile}; default minmax) */
  public Param<String> calibrationMethod() {
    return calibrationMethod;
  }

  /** @return the calibration seed param (default 42) */
  public LongParam calibrationSeed() {
    return calibrationSeed;
  }

  /** @return fp32 or int8 */
  public String getPrecision() {
    return $(precision);
  }

  /**
   * @param value {@code fp32} or {@code int8}
   * @return this stage
   * @throws IllegalArgumentException for another value (names it and the valid ones)
   */
  public S setPrecision(String value) {
    set(precision, Precision.parse(value).paramValue());
    return self();
  }

  /**
   * @param images images in the int8 calibration sample (≥ 8)
   * @param method {@code minmax} or {@code percentile}
   * @param seed seed of the sample draw
   * @return this stage
   * @throws IllegalArgumentException for a sample below 8 images or an unknown method
   */
  public S setCalibration(int images, String method, long seed) {
    CalibrationSpec spec = new CalibrationSpec(CalibrationMethod.parse(method), images, seed);
    set(calibrationSize, spec.sampleSize());
    set(calibrationMethod, spec.method().paramValue());
    set(calibrationSeed, spec.seed());
    return self();
  }

  /** @return the int8 calibration spec of the current params */
  public CalibrationSpec getCalibration() {
    return new CalibrationSpec(CalibrationMethod.parse($(calibrationMethod)), (Integer) $(calibrationSize),
        (Long) $(calibrationSeed));
  }

  /**
   * Checks the model params and this stage's outputs without any data: the model resolves (a roster
   * name, or an ONNX file on any Hadoop file system with its preprocessing) and has the outputs
   * (layers or tensors) this stage is set to. {@link #transformSchema} checks the same, and the input
   * column; a command calls this first, so a misspelt layer is refused before it starts Spark.
   *
   * @return this
   * @throws IllegalArgumentException for an unknown model, layer or output tensor (listing the valid
   *     names), or a model file without a preprocessing spec
   */
  public S checkModel() {
    outputs(resolved());
    return self();
  }

  /** @return the resolved model (driver-side, cached) for the current params */
  ResolvedModel resolved() {
    return StageModels.resolve(getModelName(), getModelPath(), getPreprocessing(), getImageSize());
  }

  /**
   * The columns this stage appends, each made from one graph output.
   *
   * @param r the resolved model
   * @return the output columns, in order
   * @throws IllegalArgumentException for an unknown layer or output tensor (listing valid names)
   */
  abstract List<InferenceStage.Output> outputs(ResolvedModel r);

  /** @return a name for messages: class, uid and model */
  private String stageName(ResolvedModel r) {
    return getClass().getSimpleName() + " " + uid + " (" + r.name() + ")";
  }

  @Override
  public StructType transformSchema(StructType schema) {
    ImageColumns.index(getClass().getSimpleName(), schema, getInputCol());
    ResolvedModel r = resolved();
    return InferenceStage.outputSchema(stageName(r), schema, InferenceStage.all(schema.size()), outputs(r),
        HandleInvalid.parse(getHandleInvalid()), getInvalidReasonCol());
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType in = dataset.schema();
    transformSchema(in);
    int idx = ImageColumns.index(getClass().getSimpleName(), in, getInputCol());
    ResolvedModel r = resolved();
    List<InferenceStage.Output> outputs = outputs(r);
    List<String> layers = outputs.stream().map(InferenceStage.Output::tensor).distinct().toList();
    GraphCut cut = r.cutFromPixels(layers);
    SparkSession spark = dataset.sparkSession();
    boolean binary = in.apply(idx).dataType() instanceof BinaryType;
    if (Precision.parse(getPrecision()) == Precision.INT8) {
      cut = Int8Graphs.calibrate(r, layers, dataset.toDF(), ImageColumns.rowId(in, getInputCol(), binary), col(getInputCol()), binary,
          getCalibration(), getIntraOpThreads()).cutFromPixels(layers);
    }
    ThreadBudget.check(getClass().getSimpleName() + " " + uid, spark.sparkContext().getConf(),
        getIntraOpThreads(), Runtime.getRuntime().availableProcessors());
    InferenceStage stage = new InferenceStage(
        stageName(r),
        StageModels.graph(spark.sparkContext(), cut),
        List.of(new InferenceStage.Input(r.pixelInput(), new TensorSource.Images(idx, binary, r.preprocessing()))),
        outputs,
        InferenceStage.all(in.size()),
        Arrays.asList(in.fieldNames()).indexOf("path"),
        getBatchSize(),
        getIntraOpThreads(),
        HandleInvalid.parse(getHandleInvalid()),
        getInvalidReasonCol());
    return Inference.apply(dataset.toDF(), stage, Counters.forStage(spark.sparkContext(), uid));
  }

  @Override
  public S copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new StagePersistence.Writer(this);
  }

  /** @return the sha256 of the full model graph these params resolve to */
  @Override
  public String modelSha256() {
    return resolved().sha256();
  }

  /** @return the preprocessing actually applied (after imageSize), e.g. {@code 64x64:rgb:tf:nhwc} */
  public String effectivePreprocessing() {
    PreprocessingSpec s = resolved().preprocessing();
    return s.compact();
  }
}
