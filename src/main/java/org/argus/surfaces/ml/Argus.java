package org.argus.surfaces.ml;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.GraphSource;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.Pooling;
import org.argus.surfaces.sql.BatchedFunction;
import org.argus.surfaces.sql.SqlBatching;

/**
 * SQL functions over roster models and ONNX files, registered per SparkSession by {@link
 * #registerFunctions}. A {@code model} argument is a roster name or the path of an ONNX file (one
 * ending in {@code .onnx}, or an existing file) that records its preprocessing spec and labels in
 * its metadata — a spliced model ({@link org.argus.model.splice.HeadSplice}) does, so {@code
 * argus_predict('/runs/r1/best/model.onnx', image, 3)} serves a fused selection's winner:
 *
 * <ul>
 *   <li>{@code argus_featurize(model STRING, layer STRING, image)} → {@code array<float>}: the
 *       layer's activation of one image (a Spark image struct or encoded image bytes), max-pooled
 *       to a 2×2 grid when 4-D (Vista's default, {@link Pooling#VISTA_DEFAULT}; C·2·2 floats,
 *       channel-major, as {@link DeepImageFeaturizer} with {@code pooling=max:2}), flattened
 *       otherwise, at the model's default input size and preprocessing;
 *   <li>{@code argus_predict(model STRING, image, k INT)} → {@code
 *       array<struct<label:string,probability:float>>}: the k most probable classes of the
 *       model's classifier head with the roster's labels (a file's: those in its metadata, else
 *       class indices);
 *   <li>a fitted featurizer + classifier pipeline under a name of your choice, through {@link
 *       #registerPipeline}.
 * </ul>
 *
 * <p>Batched: a call in a {@code SELECT} list whose model, layer and k are constants, e.g. {@code
 * SELECT id, argus_featurize('mobilenet_v2', 'block_13_expand_relu', image) FROM imgs}, runs
 * batched ({@link SqlBatching}): the physical plan holds an {@code ArgusBatchEval} node that groups
 * each partition's rows into batches of {@code spark.argus.sql.batchSize} (default 32) and runs one
 * ONNX Runtime call per batch, as {@link DeepImageFeaturizer} / {@link DeepImagePredictor} do (the
 * graph cut is made on the driver once and broadcast). Calls elsewhere ({@code WHERE}, aggregates,
 * conditional branches, non-constant model names) run per row: one ORT call of batch 1 per row,
 * on a cut each executor JVM resolves (provisions) and caches once per (model, layer). Both paths
 * give the same values (up to ORT's batch-size-dependent rounding, well within 1e-5).
 *
 * <p>Threads: every session runs {@code spark.argus.sql.intraOpThreads} intra-op threads in batched
 * calls (default 1; checked against the executor's task slots by {@link ThreadBudget} like the
 * stages) and 1 in per-row calls. A null image yields null; an undecodable one fails the query
 * with the reason (use the stages' {@code handleInvalid} to skip or keep bad rows).
 */
public final class Argus {
  /** SQL conf key: ONNX Runtime intra-op threads of the batched SQL calls (default 1). */
  public static final String INTRA_OP_THREADS = "spark.argus.sql.intraOpThreads";

  /**
   * SQL conf key: what a call does with an invalid image — {@code error} (default: the query fails
   * naming the image and the reason) or {@code keep} (the call returns null; the image is counted
   * in the {@code argus.sql.invalid} accumulator). {@code skip} cannot drop a row from a
   * projection and is refused.
   */
  public static final String HANDLE_INVALID = "spark.argus.sql.handleInvalid";

  /** Executor-side per-JVM cache of per-row calls' kernels, by model and output (documented). */
  private static final Map<String, Inference.Batches> PER_ROW = new ConcurrentHashMap<>();

  private Argus() {}

  /**
   * Registers {@code argus_featurize} and {@code argus_predict} in {@code spark}'s function
   * registry (temporary functions of that session) and installs batched evaluation in the session
   * ({@link SqlBatching#install}). Idempotent: registering again replaces the functions and adds
   * no second optimizer rule.
   *
   * @param spark the session
   */
  public static void registerFunctions(SparkSession spark) {
    SqlBatching.register(spark, "argus_featurize",
        functions.udf(new Featurize(), DataTypes.createArrayType(DataTypes.FloatType, false)),
        new FeaturizeBatched());
    StructType entry = new StructType()
        .add("label", DataTypes.StringType, false)
        .add("probability", DataTypes.FloatType, false);
    SqlBatching.register(spark, "argus_predict",
        functions.udf(new Predict(), DataTypes.createArrayType(entry, false)),
        new PredictBatched());
  }

  /**
   * Registers a fitted {@code [DeepImageFeaturizer, PredictionModel]} pipeline (the second stage
   * a Spark ML {@code PredictionModel} over vectors or a {@link DeepImageClassificationModel},
   * e.g. the best model of a {@link ModelSelector}) as the SQL function
   * {@code name(image) → double} (the predicted label, as the pipeline's {@code prediction}
   * column), e.g. {@code SELECT id, fmnist(image) FROM imgs}. The featurizer must compute one layer
   * as a {@code vector}; its graph cut is broadcast once and run on the executor's cached session
   * with the featurizer's {@code intraOpThreads}: batched ({@code spark.argus.sql.batchSize} images
   * per ORT call, see {@link SqlBatching}) in a {@code SELECT} list, else per row (batch 1). A null
   * image yields null; an invalid one fails the query.
   *
   * @param spark the session to register in
   * @param name SQL function name
   * @param model the fitted pipeline
   * @throws IllegalArgumentException if the pipeline has another shape, naming its stages
   */
  public static void registerPipeline(SparkSession spark, String name, PipelineModel model) {
    org.apache.spark.ml.Transformer[] stages = model.stages();
    FeaturePredictor predictor = stages.length == 2 ? FeaturePredictor.of(stages[1]) : null;
    if (stages.length != 2 || !(stages[0] instanceof DeepImageFeaturizer f) || predictor == null) {
      StringBuilder kinds = new StringBuilder();
      for (org.apache.spark.ml.Transformer t : stages) {
        kinds.append(kinds.length() == 0 ? "" : ", ").append(t.getClass().getSimpleName());
      }
      throw new IllegalArgumentException("registerPipeline(" + name + "): supported pipelines are "
          + "[DeepImageFeaturizer, a PredictionModel such as LogisticRegressionModel or a"
          + " DeepImageClassificationModel]; found ["
          + kinds + "]");
    }
    if (f.getLayers().length != 1 || !f.getOutputType().equals("vector")) {
      throw new IllegalArgumentException("registerPipeline(" + name + "): the featurizer must "
          + "compute one layer as a vector, found layers " + java.util.Arrays.toString(f.getLayers())
          + " as " + f.getOutputType());
    }
    if (!f.getPrecision().equals("fp32")) {
      throw new IllegalArgumentException("registerPipeline(" + name + "): the featurizer has precision "
          + f.getPrecision() + ", which calibrates on the rows it transforms, and a SQL function has none at "
          + "registration; valid: precision fp32, or write an int8 graph (Int8Graphs.cut(…).bytes()) to a file and "
          + "set modelPath to it (an already quantized model is used as is)");
    }
    ResolvedModel r = f.resolved();
    String layer = r.orderLayers(List.of(f.getLayers())).get(0);
    Emit emit = new Emit.Features(Pooling.parse(f.getPooling()), true);
    ImageKernel structs = kernel(spark, name + "(image)", r, layer, emit, f.getIntraOpThreads(), 1,
        ImageColumns.IMAGE_STRUCT, predictor);
    ImageKernel encoded = kernel(spark, name + "(image)", r, layer, emit, f.getIntraOpThreads(), 1,
        DataTypes.BinaryType, predictor);
    SqlBatching.register(spark, name, functions.udf(new PipelineUdf(structs, encoded), DataTypes.DoubleType),
        new PipelineBatched(name, r, layer, emit, f.getIntraOpThreads(), predictor));
  }

  /**
   * @param model a function's model argument: a roster name, or the path of an ONNX file that
   *     records its preprocessing (and labels) in its metadata, e.g. a spliced model ({@link
   *     org.argus.model.splice.HeadSplice}); a path is one ending in {@code .onnx} or an existing file
   * @return the resolved model
   */
  private static ResolvedModel resolve(String model) {
    return ModelRef.parse(model, null, 0).isFile()
        ? StageModels.resolve("", model, "", 0)
        : StageModels.resolve(model, "", "", 0);
  }

  /** @return whether {@code t} is an image column type: Spark's image struct or binary bytes */
  private static boolean isImage(DataType t) {
    return t instanceof BinaryType || ImageColumns.isImageStruct(t);
  }

  private static String constant(Object value, String function, String argument) {
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException(function + ": " + argument + " must be a non-empty string, "
          + "found " + (value == null ? "NULL" : "'" + value + "'"));
    }
    return s;
  }

  /**
   * The kernel of a call: one-column rows holding the call's images through the inference kernel
   * ({@code handleInvalid=keep}, so an invalid image is reported by the call, naming it).
   *
   * @param type the image argument's type (binary: encoded bytes, else the image struct)
   */
  private static ImageKernel kernel(SparkSession spark, String call, ResolvedModel r, String output, Emit emit,
      int threads, int batchSize, DataType type, FeaturePredictor predictor) {
    ThreadBudget.check(call, spark.sparkContext().getConf(), threads, Runtime.getRuntime().availableProcessors());
    GraphCut cut = r.cutFromPixels(List.of(output));
    InferenceStage stage = stage(call, StageModels.graph(spark.sparkContext(), cut), r, output, emit,
        type instanceof BinaryType, threads, batchSize);
    return new ImageKernel(call, Inference.batches(stage, Counters.create(spark.sparkContext(), "argus.sql")),
        predictor, handleInvalid(spark));
  }

  private static InferenceStage stage(String call, GraphSource graph, ResolvedModel r, String output, Emit emit,
      boolean encoded, int threads, int batchSize) {
    return new InferenceStage(call, graph,
        List.of(new InferenceStage.Input(r.pixelInput(), new TensorSource.Images(0, encoded, r.preprocessing()))),
        List.of(new InferenceStage.Output("out", output, emit)), new int[0], -1, batchSize, threads,
        HandleInvalid.KEEP, "reason");
  }

  /** @return {@link #INTRA_OP_THREADS} of the session */
  private static int sqlThreads(SparkSession spark) {
    String v = spark.conf().get(INTRA_OP_THREADS, "1");
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(INTRA_OP_THREADS + " must be an integer ≥ 1, found '" + v + "'");
  }

  /** @return {@link #HANDLE_INVALID} of the session: error or keep */
  private static HandleInvalid handleInvalid(SparkSession spark) {
    HandleInvalid h = HandleInvalid.parse(spark.conf().get(HANDLE_INVALID, "error"));
    if (h == HandleInvalid.SKIP) {
      throw new IllegalArgumentException(HANDLE_INVALID + " 'skip' cannot drop rows from a SQL projection; "
          + "valid: error, keep (the call returns null)");
    }
    return h;
  }

  /** Executor side of a call: one ORT call for a batch of the call's images. */
  private static final class ImageKernel implements BatchedFunction.Kernel {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final Inference.Batches batches;
    private final FeaturePredictor predictor;
    private final HandleInvalid handleInvalid;

    ImageKernel(String call, Inference.Batches batches, FeaturePredictor predictor, HandleInvalid handleInvalid) {
      this.call = call;
      this.batches = batches;
      this.predictor = predictor;
      this.handleInvalid = handleInvalid;
    }

    @Override
    public List<?> apply(List<Object> values) {
      List<Row> rows = new ArrayList<>(values.size());
      for (Object v : values) {
        rows.add(RowFactory.create(v));
      }
      List<Row> outs = batches.run(rows);
      List<Object> out = new ArrayList<>(values.size());
      List<Integer> valid = new ArrayList<>();
      for (Row r : outs) { // [output, reason]
        if (!r.isNullAt(1)) {
          if (handleInvalid == HandleInvalid.ERROR) {
            throw new IllegalArgumentException(call + ": invalid image " + describe(values.get(out.size()))
                + ": " + r.getString(1) + " (set " + HANDLE_INVALID + "=keep to return null for such images)");
          }
          out.add(null);
          continue;
        }
        valid.add(out.size());
        out.add(r.get(0));
      }
      if (predictor != null && !valid.isEmpty()) {
        List<Vector> features = new ArrayList<>(valid.size());
        valid.forEach(i -> features.add((Vector) out.get(i)));
        List<Double> labels = predictor.predict(features);
        for (int k = 0; k < valid.size(); k++) {
          out.set(valid.get(k), labels.get(k));
        }
      }
      return out;
    }

    /** The call on one value (per-row path); null for a null value. */
    Object one(Object value) {
      return value == null ? null : apply(List.of(value)).get(0);
    }

    private static String describe(Object image) {
      if (image instanceof Row img && !img.isNullAt(0)) {
        return "'" + img.get(0) + "'";
      }
      return image instanceof byte[] b ? "(" + b.length + " bytes)" : "(no origin)";
    }
  }

  /** Batched {@code argus_featurize(model, layer, image)}. */
  private static final class FeaturizeBatched implements BatchedFunction {
    @Override
    public int batchedArgument() {
      return 2;
    }

    @Override
    public boolean accepts(DataType type) {
      return isImage(type);
    }

    @Override
    public Kernel bind(SparkSession spark, Object[] constants, DataType type, int batchSize) {
      String model = constant(constants[0], "argus_featurize", "model");
      String layer = constant(constants[1], "argus_featurize", "layer");
      ResolvedModel r = resolve(model);
      r.orderLayers(List.of(layer));
      return kernel(spark, "argus_featurize('" + model + "', '" + layer + "', image)", r, layer,
          new Emit.Features(Pooling.VISTA_DEFAULT, false), sqlThreads(spark), batchSize, type, null);
    }
  }

  /** Batched {@code argus_predict(model, image, k)}. */
  private static final class PredictBatched implements BatchedFunction {
    @Override
    public int batchedArgument() {
      return 1;
    }

    @Override
    public boolean accepts(DataType type) {
      return isImage(type);
    }

    @Override
    public Kernel bind(SparkSession spark, Object[] constants, DataType type, int batchSize) {
      String model = constant(constants[0], "argus_predict", "model");
      Object k = constants[2];
      if (!(k instanceof Integer n) || n < 1) {
        throw new IllegalArgumentException("argus_predict: k must be ≥ 1, found " + k);
      }
      ResolvedModel r = resolve(model);
      String out = r.outputTensor().orElseThrow();
      return kernel(spark, "argus_predict('" + model + "', image, " + n + ")", r, out,
          new Emit.TopK(n, r.labels()), sqlThreads(spark), batchSize, type, null);
    }
  }

  /** Batched {@code name(image)} of a registered pipeline. */
  private static final class PipelineBatched implements BatchedFunction {
    private final String name;
    private final ResolvedModel model;
    private final String layer;
    private final Emit emit;
    private final int threads;
    private final FeaturePredictor predictor;

    PipelineBatched(String name, ResolvedModel model, String layer, Emit emit, int threads,
        FeaturePredictor predictor) {
      this.name = name;
      this.model = model;
      this.layer = layer;
      this.emit = emit;
      this.threads = threads;
      this.predictor = predictor;
    }

    @Override
    public int batchedArgument() {
      return 0;
    }

    @Override
    public boolean accepts(DataType type) {
      return isImage(type);
    }

    @Override
    public Kernel bind(SparkSession spark, Object[] constants, DataType type, int batchSize) {
      return kernel(spark, name + "(image)", model, layer, emit, threads, batchSize, type, predictor);
    }
  }

  /** Per-row {@code name(image)} of a registered pipeline (batch of one). */
  private static final class PipelineUdf implements org.apache.spark.sql.api.java.UDF1<Object, Double> {
    private static final long serialVersionUID = 1L;
    private final ImageKernel structs;
    private final ImageKernel encoded;

    PipelineUdf(ImageKernel structs, ImageKernel encoded) {
      this.structs = structs;
      this.encoded = encoded;
    }

    @Override
    public Double call(Object image) {
      return (Double) (image instanceof byte[] ? encoded : structs).one(image);
    }
  }

  /**
   * The per-row kernel of a roster model's output, resolved and cut on the executor that runs the
   * call (provisioning the model there once) and cached per JVM.
   */
  private static Inference.Batches perRow(String model, String output, Emit emit, boolean encoded) {
    String key = model + "|" + output + "|" + emit + "|" + encoded;
    return PER_ROW.computeIfAbsent(key, k -> {
      ResolvedModel r = resolve(model);
      String out = output == null ? r.outputTensor().orElseThrow() : output;
      r.orderLayers(List.of(out));
      GraphCut cut = r.cutFromPixels(List.of(out));
      byte[] bytes = cut.bytes();
      GraphSource graph = GraphSource.supplied(cut.sha256(), (java.util.function.Supplier<byte[]> & Serializable) () -> bytes);
      String call = "argus(" + model + ", " + out + ")";
      return Inference.batches(stage(call, graph, r, out, emit, encoded, 1, 1), Counters.none());
    });
  }

  /** Runs one image through a per-row kernel; null for a null image; an invalid image fails. */
  private static Object runOne(String function, String model, String output, Emit emit, Object image) {
    if (image == null) {
      return null;
    }
    Row r = perRow(model, output, emit, image instanceof byte[]).run(List.of(RowFactory.create(image))).get(0);
    if (!r.isNullAt(1)) {
      throw new IllegalArgumentException(function + ": invalid image for " + model + ": " + r.getString(1));
    }
    return r.get(0);
  }

  private static final class Featurize implements UDF3<String, String, Object, float[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public float[] call(String model, String layer, Object image) {
      return (float[]) runOne("argus_featurize", model, layer, new Emit.Features(Pooling.VISTA_DEFAULT, false), image);
    }
  }

  private static final class Predict implements UDF3<String, Object, Integer, Row[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public Row[] call(String model, Object image, Integer k) {
      if (k == null || k < 1) {
        throw new IllegalArgumentException("argus_predict: k must be ≥ 1, found " + k);
      }
      return (Row[]) runOne("argus_predict", model, null, new Emit.TopK(k, resolve(model).labels()), image);
    }
  }
}
