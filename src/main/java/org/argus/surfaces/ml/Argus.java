package org.argus.surfaces.ml;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.model.roster.Roster;
import org.argus.plan.Pooling;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * SQL functions over roster models, registered per SparkSession by {@link #registerFunctions}:
 *
 * <ul>
 *   <li>{@code argus_featurize(model STRING, layer STRING, image)} → {@code array<float>}: the
 *       layer's activation of one image (a Spark image struct or encoded image bytes), max-pooled
 *       to a 2×2 grid when 4-D (Vista's default, {@link Pooling#VISTA_DEFAULT}), at the model's
 *       default input size and preprocessing;
 *   <li>{@code argus_predict(model STRING, image, k INT)} → {@code
 *       array<struct<label:string,probability:float>>}: the k most probable classes of the
 *       model's classifier head with the roster's labels;
 *   <li>a fitted featurizer + classifier pipeline under a name of your choice, through {@link
 *       #registerPipeline}.
 * </ul>
 *
 * <p>Each executor JVM resolves (provisions) the roster model and cuts it once per (model, layer)
 * and runs one shared ONNX Runtime session per cut (1 intra-op thread). SQL scalar functions are
 * evaluated row by row, so each row is one ORT call of batch 1; for batched throughput use {@link
 * DeepImageFeaturizer} / {@link DeepImagePredictor} on a DataFrame. A null image yields null; an
 * undecodable one fails the query with the reason (use the stages' {@code handleInvalid} to skip
 * or keep bad rows).
 */
public final class Argus {
  private static final Map<String, Prepared> PREPARED = new ConcurrentHashMap<>();

  private Argus() {}

  /**
   * Registers {@code argus_featurize} and {@code argus_predict} in {@code spark}'s function
   * registry (temporary functions of that session).
   *
   * @param spark the session
   */
  public static void registerFunctions(SparkSession spark) {
    spark.udf().register("argus_featurize", new Featurize(),
        DataTypes.createArrayType(DataTypes.FloatType, false));
    StructType entry = new StructType()
        .add("label", DataTypes.StringType, false)
        .add("probability", DataTypes.FloatType, false);
    spark.udf().register("argus_predict", new Predict(), DataTypes.createArrayType(entry, false));
  }

  /**
   * Registers a fitted {@code [DeepImageFeaturizer, PredictionModel]} pipeline as the SQL function
   * {@code name(image) → double} (the predicted label, as the pipeline's {@code prediction}
   * column), e.g. {@code SELECT id, fmnist(image) FROM imgs}. The featurizer must compute one layer
   * as a {@code vector}; its graph cut is broadcast once and run per row (batch 1) on the
   * executor's cached session. A null image yields null; an invalid one fails the query.
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
    PipelineUdf udf = new PipelineUdf(cut.sha256(), graph, r.inputTensor(), r.spec(), layers,
        Pooling.parse(f.getPooling()), f.getIntraOpThreads(), predictor);
    spark.udf().register(name, udf, DataTypes.DoubleType);
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
