package org.argus.surfaces.ml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.mop.Examples;
import org.argus.provision.Sha256;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.GraphSource;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;
import org.argus.model.onnx.ElementType;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.OnnxExport;
import org.argus.runtime.InferenceException;
import org.argus.runtime.SessionCache;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;

/**
 * The network a {@link DeepImageClassifier} trained: appends {@code probabilityCol} (an ML {@code
 * Vector} of K class probabilities, softmax of the logits) and {@code predictionCol} (the most
 * probable class index, double) to every row — Spark ML's classifier output columns (no {@code
 * rawPrediction}).
 *
 * <p>Predicts on the executors. A {@code head} or {@code mlp} over a feature column is exported to
 * ONNX ({@link OnnxExport}: Gemm/Relu layers, Softmax) and runs in ONNX Runtime through the one
 * inference kernel, like every other stage ({@code batchSize} rows per call, the graph broadcast
 * once); the prediction is the first most probable class. A {@code cnn}, or any family over an
 * image column, runs in DJL (PyTorch engine): per partition one network is built from the trained
 * state and fed batches of {@code batchSize} rows ({@code [n, C, H, W]} float32 = pixel / 255, as
 * in training). A row whose features are null fails the task with a message naming the column.
 *
 * <p>Saved with {@code write().save(path)} (Spark's params metadata, {@code
 * argus/classifier.json} with the family, input shape, classes, hyperparameters, per-epoch
 * metrics and the sha256 of {@code argus/state.bin}, the trained weights); {@link #load} refuses a
 * state file whose sha256 differs.
 */
public final class DeepImageClassificationModel extends Model<DeepImageClassificationModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  /** The {@code argus/classifier.json} format this code writes and reads. */
  static final int FORMAT_VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final String uid;
  private final Param<String> featuresCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;
  private final IntParam batchSize;
  private State state;
  private transient byte[] sqlGraph;
  private transient String sqlGraphSha;

  /**
   * What training produced.
   *
   * @param family the built-in family ({@code head}, {@code mlp}, {@code cnn})
   * @param inputShape per-example input shape, {@code [F]} or {@code [C, H, W]}
   * @param classes K
   * @param hyperparameters the trained config ({@code optimizer, lr, batch, wd, width, depth})
   * @param weights the trainer's full state ({@code Trainer.exportState})
   * @param skippedRows rows {@code fit} dropped for a null feature or label ({@code handleInvalid=skip})
   * @param epochMetrics per epoch {@code [epoch, train loss, validation loss, validation accuracy]}
   * @param runDir the run directory of the fit (checkpoints and tables)
   */
  public record State(String family, long[] inputShape, int classes, Map<String, Object> hyperparameters,
      byte[] weights, long skippedRows, List<double[]> epochMetrics, String runDir, FineTuning fineTuning)
      implements Serializable {}

  /** The saved description (everything but the weights). */
  record SavedState(int format, String family, long[] inputShape, int classes, Map<String, Object> hyperparameters,
      long skippedRows, List<double[]> epochMetrics, String runDir, String weightsSha256, FineTuning fineTuning) {}

  /**
   * Creates an untrained model (for Spark's reader; {@link #transform} refuses until the state is
   * loaded).
   *
   * @param uid the stage's unique id
   */
  public DeepImageClassificationModel(String uid) {
    this.uid = uid;
    featuresCol = new Param<>(this, "featuresCol", "input: vector, array<float|double> or image struct column");
    predictionCol = new Param<>(this, "predictionCol", "output: predicted class index (double)");
    probabilityCol = new Param<>(this, "probabilityCol", "output: class probabilities (vector of K)");
    rawPredictionCol = new Param<>(this, "rawPredictionCol", ClassifierColumns.RAW_PREDICTION_DOC);
    batchSize = new IntParam(this, "batchSize", "rows per prediction batch (≥ 1)", ParamValidators.gtEq(1));
    setDefault(featuresCol, "features");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
    setDefault(batchSize, 32);
  }

  DeepImageClassificationModel(String uid, State state) {
    this(uid);
    this.state = state;
  }

  /** Creates an untrained model with a random uid (for Spark's reader). */
  public DeepImageClassificationModel() {
    this(Identifiable$.MODULE$.randomUID("DeepImageClassificationModel"));
  }

  @Override
  public String uid() {
    return uid;
  }

  /** @return the input column param */
  public Param<String> featuresCol() {
    return featuresCol;
  }

  /** @return the prediction column param */
  public Param<String> predictionCol() {
    return predictionCol;
  }

  /** @return the probability column param */
  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  /** @return the raw-prediction column param (empty: no such column) */
  public Param<String> rawPredictionCol() {
    return rawPredictionCol;
  }

  /** @param v raw-prediction column, empty for none @return this */
  public DeepImageClassificationModel setRawPredictionCol(String v) {
    set(rawPredictionCol, v);
    return this;
  }

  /** @return the prediction batch-size param */
  public IntParam batchSize() {
    return batchSize;
  }

  /** @param v input column @return this */
  public DeepImageClassificationModel setFeaturesCol(String v) {
    set(featuresCol, v);
    return this;
  }

  /** @param v prediction column @return this */
  public DeepImageClassificationModel setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  /** @param v probability column @return this */
  public DeepImageClassificationModel setProbabilityCol(String v) {
    set(probabilityCol, v);
    return this;
  }

  /** @return K, the number of classes */
  public int numClasses() {
    return trained().classes();
  }

  /** @return rows {@code fit} dropped for a null feature or label */
  public long skippedRows() {
    return trained().skippedRows();
  }

  /**
   * @return per epoch {@code [epoch, training loss, validation loss, validation accuracy]} (losses:
   *     mean cross-entropy per example, nats)
   */
  public List<double[]> epochMetrics() {
    return trained().epochMetrics().stream().map(double[]::clone).toList();
  }

  /** @return the trained config's hyperparameters, as {@code argus select} names them */
  public Map<String, Object> hyperparameters() {
    return Map.copyOf(trained().hyperparameters());
  }

  /** @return the trained state (package tests compare the ONNX and DJL paths) */
  State state() {
    return trained();
  }

  private State trained() {
    if (state == null) {
      throw new IllegalStateException("model " + uid + " has no trained state; fit a DeepImageClassifier or load a"
          + " saved model");
    }
    return state;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    ClassifierColumns.check(schema, $(featuresCol), null);
    if (state != null && state.fineTuning() != null && !ClassifierColumns.isImage(schema.apply($(featuresCol)).dataType())) {
      throw new IllegalArgumentException("model " + uid + " fine-tuned " + state.fineTuning().model() + " and predicts"
          + " from Spark image structs; '" + $(featuresCol) + "' is " + schema.apply($(featuresCol)).dataType().simpleString());
    }
    return ClassifierColumns.output(schema, $(predictionCol), $(probabilityCol), $(rawPredictionCol));
  }

  /**
   * @param dataset rows with the features column
   * @return the rows with the probability and prediction columns appended
   * @throws IllegalArgumentException for a missing or mistyped features column, or existing output
   *     columns (before any job)
   * @throws IllegalStateException when the model has no trained state
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    Dataset<Row> d = dataset.toDF();
    String f = $(featuresCol);
    int index = d.schema().fieldIndex(f);
    boolean images = ClassifierColumns.isImage(d.schema().apply(f).dataType());
    Dataset<Row> p;
    if (trained().fineTuning() != null) {
      p = fineTuned(d, f);
    } else if (!images && OnnxExport.supports(trained().family())) {
      p = onnx(d, index, f);
    } else {
      p = d.mapPartitions(new DjlPredict(trained(), trainerFactory(), f, index, images, (int) $(batchSize)),
          Encoders.row(ClassifierColumns.output(d.schema(), $(predictionCol), $(probabilityCol), "")));
    }
    return ClassifierColumns.withRawPrediction(p, $(probabilityCol), $(rawPredictionCol));
  }

  /** Layer L's activations by the featurizer (ONNX Runtime), then the fine-tuned layers in DJL. */
  private Dataset<Row> fineTuned(Dataset<Row> d, String f) {
    String acts = DeepImageClassifier.ACTIVATIONS;
    Dataset<Row> a = trained().fineTuning().featurizer(f, acts).transform(d);
    StructType s = ClassifierColumns.output(a.schema(), $(predictionCol), $(probabilityCol), "");
    return a.mapPartitions(new DjlPredict(trained(), trainerFactory(), acts, a.schema().fieldIndex(acts), false,
        (int) $(batchSize)), Encoders.row(s)).drop(acts);
  }

  /** @return the factory that rebuilds the trained network for prediction (DJL) */
  TrainerFactory trainerFactory() {
    State s = trained();
    if (s.fineTuning() != null) {
      return s.fineTuning().factory(s.classes(), 0);
    }
    return DjlTrainerFactory.builtIn(s.family(), s.inputShape(), s.classes());
  }

  /**
   * @return the exported ONNX graph of a {@code head} or {@code mlp} ({@link OnnxExport})
   * @throws IllegalStateException for another family or a malformed state
   */
  byte[] onnxGraph() {
    State s = trained();
    try {
      return OnnxExport.export(s.family(), new Hyperparameters(s.hyperparameters()), s.inputShape(), s.classes(),
          s.weights());
    } catch (TrainingException e) {
      throw new IllegalStateException("model " + uid + ": " + e.getMessage(), e);
    }
  }

  /** Predicts through the inference kernel on the exported graph; prediction = first most probable class. */
  private Dataset<Row> onnx(Dataset<Row> d, int index, String f) {
    byte[] bytes = onnxGraph();
    String sha = Sha256.of(bytes);
    org.apache.spark.SparkContext sc = d.sparkSession().sparkContext();
    InferenceStage stage = new InferenceStage("DeepImageClassificationModel " + uid + " (" + trained().family() + ")",
        GraphSource.broadcast(sha, StageModels.broadcast(sc, sha, bytes)),
        List.of(new InferenceStage.Input(OnnxExport.INPUT,
            new TensorSource.Numbers(index, f, OnnxExport.INPUT, trained().inputShape()))),
        List.of(new InferenceStage.Output($(probabilityCol), OnnxExport.OUTPUT, new Emit.Tensor(ElementType.FLOAT, true))),
        InferenceStage.all(d.schema().size()), -1, (int) $(batchSize), 1, HandleInvalid.ERROR, null, 0);
    Dataset<Row> p = Inference.apply(d, stage, Counters.forStage(sc, uid));
    org.apache.spark.sql.Column probs = org.apache.spark.ml.functions.vector_to_array(
        org.apache.spark.sql.functions.col($(probabilityCol)), "float64");
    return p.withColumn($(predictionCol), org.apache.spark.sql.functions.array_position(probs,
        org.apache.spark.sql.functions.array_max(probs)).minus(1).cast("double"));
  }

  /**
   * Predicts a batch of feature vectors on the calling thread (the SQL function of a registered
   * pipeline): in ONNX Runtime through the per-JVM session cache for a {@code head} or {@code mlp}
   * (the exported graph, as {@link #transform} runs it; 1 intra-op thread), else with the DJL
   * network built for the call.
   *
   * @param features one {@code [F]} vector per row, F as trained
   * @return the predicted class index of each row
   * @throws IllegalArgumentException when a vector's length differs from the trained input
   * @throws IllegalStateException when the model has no trained state or ONNX Runtime / DJL fails
   */
  List<Double> predictLabels(List<org.apache.spark.ml.linalg.Vector> features) {
    State s = trained();
    int dim = (int) java.util.Arrays.stream(s.inputShape()).reduce(1, (a, b) -> a * b);
    float[] x = new float[features.size() * dim];
    for (int i = 0; i < features.size(); i++) {
      float[] f = Examples.features(features.get(i));
      if (f.length != dim) {
        throw new IllegalArgumentException("a feature vector has " + f.length + " values; model " + uid
            + " was trained on " + java.util.Arrays.toString(s.inputShape()));
      }
      System.arraycopy(f, 0, x, i * dim, dim);
    }
    float[] p = probabilities(s, x, features.size());
    List<Double> out = new ArrayList<>(features.size());
    for (int i = 0; i < features.size(); i++) {
      int best = 0;
      for (int c = 1; c < s.classes(); c++) {
        if (p[i * s.classes() + c] > p[i * s.classes() + best]) {
          best = c;
        }
      }
      out.add((double) best);
    }
    return out;
  }

  /** {@code [n, K]} probabilities of {@code n} flattened inputs. */
  private float[] probabilities(State s, float[] x, int n) {
    try {
      if (s.fineTuning() == null && OnnxExport.supports(s.family())) {
        if (sqlGraphSha == null) { // once per deserialized instance (per task of a SQL query)
          sqlGraph = onnxGraph();
          sqlGraphSha = Sha256.of(sqlGraph);
        }
        byte[] graph = sqlGraph;
        long[] shape = new long[s.inputShape().length + 1];
        shape[0] = n;
        System.arraycopy(s.inputShape(), 0, shape, 1, s.inputShape().length);
        return org.argus.execution.inference.TaskSessions.get(sqlGraphSha, () -> graph, 1)
            .run(OnnxExport.INPUT, x, shape, List.of(OnnxExport.OUTPUT)).get(0).values();
      }
      try (Trainer t = trainerFactory().create(new Hyperparameters(s.hyperparameters()), 0)) {
        t.importState(s.weights());
        return t.predict(new Batch(x, new int[n]));
      }
    } catch (TrainingException | InferenceException e) {
      throw new IllegalStateException("model " + uid + ": " + e.getMessage(), e);
    }
  }

  @Override
  public DeepImageClassificationModel copy(ParamMap extra) {
    DeepImageClassificationModel m = new DeepImageClassificationModel(uid, state);
    copyValues(m, extra);
    return m.setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** @return the reader used by {@code DeepImageClassificationModel.load} and {@code PipelineModel.load} */
  public static MLReader<DeepImageClassificationModel> read() {
    return new Reader();
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the model
   * @throws IllegalArgumentException when the directory is not a saved model, is of a newer format,
   *     or its weights' sha256 differs from the recorded one
   */
  public static DeepImageClassificationModel load(String path) {
    return read().load(path);
  }

  private static final class Writer extends MLWriter {
    private final DeepImageClassificationModel model;

    Writer(DeepImageClassificationModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      State s = model.trained();
      DefaultParamsWriter.saveMetadata(model, path, sparkSession());
      SavedState saved = new SavedState(FORMAT_VERSION, s.family(), s.inputShape(), s.classes(), s.hyperparameters(),
          s.skippedRows(), s.epochMetrics(), s.runDir(), Sha256.of(s.weights()), s.fineTuning());
      try {
        write(new Path(path, "argus/state.bin"), s.weights());
        write(new Path(path, "argus/classifier.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(saved));
      } catch (IOException e) {
        throw new IllegalStateException("cannot write " + path + "/argus: " + e.getMessage(), e);
      }
    }

    private void write(Path p, byte[] bytes) throws IOException {
      FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
      try (OutputStream out = fs.create(p, shouldOverwrite())) {
        out.write(bytes);
      }
    }
  }

  private static final class Reader extends MLReader<DeepImageClassificationModel> {
    @Override
    public DeepImageClassificationModel load(String path) {
      SavedState saved;
      byte[] weights;
      try {
        saved = JSON.readValue(read(new Path(path, "argus/classifier.json")), SavedState.class);
        weights = read(new Path(path, "argus/state.bin"));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(path + "/argus/classifier.json is not a saved classifier: "
            + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + path + "/argus (is this a saved"
            + " DeepImageClassificationModel?): " + e.getMessage(), e);
      }
      if (saved.format() > FORMAT_VERSION) {
        throw new IllegalArgumentException(path + " was saved in classifier format " + saved.format()
            + "; this Argus reads at most " + FORMAT_VERSION);
      }
      String sha = Sha256.of(weights);
      if (!sha.equals(saved.weightsSha256())) {
        throw new IllegalArgumentException(path + "/argus/state.bin has sha256 " + sha + " but was saved with "
            + saved.weightsSha256() + "; the file changed after it was saved");
      }
      DefaultParamsReader<Params> params = new DefaultParamsReader<>();
      params.session(sparkSession());
      DeepImageClassificationModel m = (DeepImageClassificationModel) params.load(path);
      m.state = new State(saved.family(), saved.inputShape(), saved.classes(), saved.hyperparameters(), weights,
          saved.skippedRows(), saved.epochMetrics(), saved.runDir(), saved.fineTuning());
      return m;
    }

    private byte[] read(Path p) throws IOException {
      FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
      if (fs instanceof org.apache.hadoop.fs.ChecksumFileSystem c) {
        fs = c.getRawFileSystem(); // the recorded sha256 is checked instead, with a message that says so
      }
      try (InputStream in = fs.open(p)) {
        return in.readAllBytes();
      }
    }
  }
}
