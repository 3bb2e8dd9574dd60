package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.argus.model.roster.Roster;
import org.argus.plan.Pooling;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.argus.surfaces.sql.BatchedFunction;
import org.argus.surfaces.sql.SqlBatching;

/**
 * SQL functions over roster models, registered per SparkSession by {@link #registerFunctions}:
 *
 * <ul>
 *   <li>{@code argus_featurize(model STRING, layer STRING, image)} → {@code array<float>}: the
 *       layer's activation of one image (a Spark image struct or encoded image bytes), max-pooled
 *       to a 2×2 grid when 4-D (Vista's default, {@link Pooling#VISTA_DEFAULT}; C·2·2 floats,
 *       channel-major, as {@link DeepImageFeaturizer} with {@code pooling=max:2}), flattened
 *       otherwise, at the model's default input size and preprocessing;
 *   <li>{@code argus_predict(model STRING, image, k INT)} → {@code
 *       array<struct<label:string,probability:float>>}: the k most probable classes of the
 *       model's classifier head with the roster's labels;
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

  private static final Map<String, Prepared> PREPARED = new ConcurrentHashMap<>();

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
   * Registers a fitted {@code [DeepImageFeaturizer, PredictionModel]} pipeline as the SQL function
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
    if (stages.length != 2 || !(stages[0] instanceof DeepImageFeaturizer f)
        || !(stages[1] instanceof PredictionModel<?, ?> predictor)) {
      StringBuilder kinds = new StringBuilder();
      for (org.apache.spark.ml.Transformer t : stages) {
        kinds.append(kinds.length() == 0 ? "" : ", ").append(t.getClass().getSimpleName());
      }
      throw new IllegalArgumentException("registerPipeline(" + name + "): supported pipelines are "
          + "[DeepImageFeaturizer, a PredictionModel such as LogisticRegressionModel]; found ["
          + kinds + "]");
    }
    if (f.getLayers().length != 1 || !f.getOutputType().equals("vector")) {
      throw new IllegalArgumentException("registerPipeline(" + name + "): the featurizer must "
          + "compute one layer as a vector, found layers " + java.util.Arrays.toString(f.getLayers())
          + " as " + f.getOutputType());
    }
    StageModels.Resolved r = f.resolved();
    List<String> layers = List.of(f.getLayers());
    StageModels.checkLayers(r, layers);
    StageModels.Cut cut = StageModels.cut(r, layers);
    org.apache.spark.broadcast.Broadcast<byte[]> graph =
        StageModels.broadcast(spark.sparkContext(), cut);
    Pooling pooling = Pooling.parse(f.getPooling());
    PipelineUdf udf = new PipelineUdf(cut.sha256(), graph, r.inputTensor(), r.spec(), layers,
        pooling, f.getIntraOpThreads(), predictor);
    SqlBatching.register(spark, name, functions.udf(udf, DataTypes.DoubleType),
        new PipelineBatched(name, r, cut, pooling, f.getIntraOpThreads(), predictor));
  }

  /** @return whether {@code t} is an image column type: Spark's image struct or binary bytes */
  private static boolean isImage(DataType t) {
    return t instanceof BinaryType || ImageModelStage.isImageStruct(t);
  }

  private static String constant(Object value, String function, String argument) {
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException(function + ": " + argument + " must be a non-empty string, "
          + "found " + (value == null ? "NULL" : "'" + value + "'"));
    }
    return s;
  }

  /**
   * The batched kernel of a call: an {@link ImageBatchFunction} over one-column rows holding the
   * call's images ({@code handleInvalid=keep}, so an invalid image is reported here by its origin).
   */
  private static BatchedFunction.Kernel kernel(SparkSession spark, String call,
      StageModels.Resolved r, StageModels.Cut cut, DataType type, Pooling pooling,
      ImageBatchFunction.Emit emit, int topK, int threads, int batchSize,
      PredictionModel<?, ?> predictor) {
    ThreadBudget.check(call, spark.sparkContext().getConf(), threads,
        Runtime.getRuntime().availableProcessors());
    LongAccumulator images = spark.sparkContext().longAccumulator("argus.sql.images");
    LongAccumulator invalid = spark.sparkContext().longAccumulator("argus.sql.invalid");
    ImageBatchFunction fn = new ImageBatchFunction(call, 0, type instanceof BinaryType, -1, cut,
        StageModels.broadcast(spark.sparkContext(), cut), r.inputTensor(), r.spec(), pooling, emit,
        topK, r.labels(), batchSize, threads, "keep", images, invalid);
    return new ImageKernel(call, fn, predictor);
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

  /** Executor side of a batched call: one ORT call for the batch's images. */
  private static final class ImageKernel implements BatchedFunction.Kernel {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final ImageBatchFunction fn;
    private final PredictionModel<?, ?> predictor;

    ImageKernel(String call, ImageBatchFunction fn, PredictionModel<?, ?> predictor) {
      this.call = call;
      this.fn = fn;
      this.predictor = predictor;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<?> apply(List<Object> values) {
      List<Row> rows = new ArrayList<>(values.size());
      for (Object v : values) {
        rows.add(RowFactory.create(v));
      }
      Iterator<Row> it;
      try {
        it = fn.call(rows.iterator());
      } catch (InferenceException e) {
        throw new IllegalStateException(call + ": " + e.getMessage(), e);
      }
      List<Object> out = new ArrayList<>(values.size());
      while (it.hasNext()) {
        Row r = it.next(); // [image, output, invalid reason]
        if (!r.isNullAt(2)) {
          throw new IllegalArgumentException(call + ": invalid image " + describe(values.get(out.size()))
              + ": " + r.getString(2));
        }
        Object o = r.get(1);
        out.add(predictor == null ? o : ((PredictionModel<Vector, ?>) predictor).predict((Vector) o));
      }
      return out;
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
      StageModels.Resolved r = StageModels.resolve(model, "", "", 0);
      List<String> layers = List.of(layer);
      StageModels.checkLayers(r, layers);
      return kernel(spark, "argus_featurize('" + model + "', '" + layer + "', image)", r,
          StageModels.cut(r, layers), type, Pooling.VISTA_DEFAULT, ImageBatchFunction.Emit.ARRAY,
          0, sqlThreads(spark), batchSize, null);
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
      StageModels.Resolved r = StageModels.resolve(model, "", "", 0);
      List<String> outputs = List.of(r.outputTensor());
      return kernel(spark, "argus_predict('" + model + "', image, " + n + ")", r,
          StageModels.cut(r, outputs), type, Pooling.VISTA_DEFAULT,
          ImageBatchFunction.Emit.PREDICT_TOPK_ONLY, n, sqlThreads(spark), batchSize, null);
    }
  }

  /** Batched {@code name(image)} of a registered pipeline. */
  private static final class PipelineBatched implements BatchedFunction {
    private final String name;
    private final StageModels.Resolved model;
    private final StageModels.Cut cut;
    private final Pooling pooling;
    private final int threads;
    private final PredictionModel<?, ?> predictor;

    PipelineBatched(String name, StageModels.Resolved model, StageModels.Cut cut, Pooling pooling,
        int threads, PredictionModel<?, ?> predictor) {
      this.name = name;
      this.model = model;
      this.cut = cut;
      this.pooling = pooling;
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
      return kernel(spark, name + "(image)", model, cut, type, pooling,
          ImageBatchFunction.Emit.VECTOR, 0, threads, batchSize, predictor);
    }
  }

  private static final class PipelineUdf
      implements org.apache.spark.sql.api.java.UDF1<Object, Double> {
    private static final long serialVersionUID = 1L;
    private final String sha256;
    private final org.apache.spark.broadcast.Broadcast<byte[]> graph;
    private final String input;
    private final org.argus.model.roster.PreprocessingSpec spec;
    private final List<String> layers;
    private final Pooling pooling;
    private final int threads;
    private final PredictionModel<?, ?> predictor;

    PipelineUdf(String sha256, org.apache.spark.broadcast.Broadcast<byte[]> graph, String input,
        org.argus.model.roster.PreprocessingSpec spec, List<String> layers, Pooling pooling,
        int threads, PredictionModel<?, ?> predictor) {
      this.sha256 = sha256;
      this.graph = graph;
      this.input = input;
      this.spec = spec;
      this.layers = layers;
      this.pooling = pooling;
      this.threads = threads;
      this.predictor = predictor;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Double call(Object image) throws InferenceException {
      if (image == null) {
        return null;
      }
      float[] in = new float[spec.floatsPerExample()];
      String reason = ImageBatchFunction.fillImage(image, image instanceof byte[],
          new ImagePreprocessor(spec), in, 0);
      if (reason != null) {
        throw new IllegalArgumentException("invalid image: " + reason);
      }
      ModelSession s = SessionCache.get(sha256, graph::value, threads);
      ModelSession.Output out = s.run(input, in, spec.batchShape(1), layers).get(0);
      long[] sh = out.shape();
      float[] f;
      if (sh.length == 4) {
        f = new float[pooling.outputDim((int) sh[1], (int) sh[2], (int) sh[3])];
        pooling.apply(out.values(), 0, (int) sh[1], (int) sh[2], (int) sh[3], f, 0);
      } else {
        f = out.values();
      }
      double[] d = new double[f.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = f[i];
      }
      return ((PredictionModel<Vector, ?>) predictor).predict(Vectors.dense(d));
    }
  }

  /** A roster model cut at one output, preprocessing ready (one per executor JVM). */
  private record Prepared(StageModels.Resolved model, StageModels.Cut cut) {}

  private static Prepared prepare(String model, String output) {
    return PREPARED.computeIfAbsent(model + "|" + output, k -> {
      StageModels.Resolved r = StageModels.resolve(model, "", "", 0);
      String out = output == null ? r.outputTensor() : output;
      StageModels.checkLayers(r, List.of(out));
      return new Prepared(r, StageModels.cut(r, List.of(out)));
    });
  }

  /** Runs one image through a prepared cut; null for a null image. */
  private static ModelSession.Output run(Prepared p, Object image) {
    if (image == null) {
      return null;
    }
    ImagePreprocessor pre = new ImagePreprocessor(p.model().spec());
    float[] in = new float[p.model().spec().floatsPerExample()];
    String reason = ImageBatchFunction.fillImage(image, image instanceof byte[], pre, in, 0);
    if (reason != null) {
      throw new IllegalArgumentException("argus: invalid image for " + p.model().name() + ": " + reason);
    }
    try {
      ModelSession s = SessionCache.get(p.cut().sha256(), p.cut()::bytes, 1);
      return s.run(p.model().inputTensor(), in, p.model().spec().batchShape(1), p.cut().outputs())
          .get(0);
    } catch (InferenceException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static final class Featurize implements UDF3<String, String, Object, Float[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public Float[] call(String model, String layer, Object image) {
      ModelSession.Output out = run(prepare(model, layer), image);
      if (out == null) {
        return null;
      }
      long[] s = out.shape();
      float[] f;
      if (s.length == 4) {
        Pooling p = Pooling.VISTA_DEFAULT;
        f = new float[p.outputDim((int) s[1], (int) s[2], (int) s[3])];
        p.apply(out.values(), 0, (int) s[1], (int) s[2], (int) s[3], f, 0);
      } else {
        f = out.values();
      }
      return ImageBatchFunction.boxed(f);
    }
  }

  private static final class Predict implements UDF3<String, Object, Integer, Row[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public Row[] call(String model, Object image, Integer k) {
      if (k == null || k < 1) {
        throw new IllegalArgumentException("argus_predict: k must be ≥ 1, found " + k);
      }
      ModelSession.Output out = run(prepare(model, null), image);
      if (out == null) {
        return null;
      }
      return ImageBatchFunction.topK(out.values(), k, Roster.get(model).labels());
    }
  }
}
