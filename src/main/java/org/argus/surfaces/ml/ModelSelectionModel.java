package org.argus.surfaces.ml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What a {@link ModelSelector} chose: the best config's fitted model ({@link #bestModel()}: a
 * {@link DeepImageClassificationModel}, or a {@code PipelineModel} of the fitted stages before the
 * classifier plus it), which {@link #transform} applies, the leaderboard, every config's metrics per
 * epoch ({@link #selectionMetrics}), and the run directory with the checkpoints.
 *
 * <p>Saved with {@code write().save(path)}: Spark's params metadata, the best model under {@code
 * bestModel/} (its own writer) and {@code argus/selection.json} (leaderboard and per-epoch
 * metrics).
 */
public final class ModelSelectionModel extends Model<ModelSelectionModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final String uid;
  private Model<?> bestModel;
  private SelectionTables tables;

  /**
   * Creates an empty model (for Spark's reader).
   *
   * @param uid the stage's unique id
   */
  public ModelSelectionModel(String uid) {
    this.uid = uid;
  }

  ModelSelectionModel(String uid, Model<?> bestModel, SelectionTables tables) {
    this(uid);
    this.bestModel = bestModel;
    this.tables = tables;
  }

  @Override
  public String uid() {
    return uid;
  }

  /**
   * @return the best config's fitted model (a {@link DeepImageClassificationModel} or a {@code
   *     PipelineModel} ending in one)
   */
  public Model<?> bestModel() {
    return loaded().bestModel;
  }

  /** @return the best config's trial id */
  public int bestTrial() {
    return loaded().tables.bestTrial();
  }

  /** @return the best config as the run tables print it, e.g. {@code batch=32,lr=0.01,…} */
  public String bestConfig() {
    SelectionTables t = loaded().tables;
    return t.leaderboard().stream().filter(e -> e.trial() == t.bestTrial()).findFirst().orElseThrow().config();
  }

  /** @return the run directory (checkpoints, unit log, epoch and trial tables) */
  public String runDir() {
    return loaded().tables.runDir();
  }

  /**
   * {@link #selectionMetrics(SparkSession)} in the active session.
   *
   * @return every config's metrics per epoch
   * @throws IllegalStateException when no session is active
   */
  public Dataset<Row> selectionMetrics() {
    return selectionMetrics(SparkSession.active());
  }

  /**
   * Every config's metrics per epoch, best config first, then by trial and epoch.
   *
   * @param spark the session to build the (small, driver-side) DataFrame in
   * @return {@code trial int, config string, epoch int, train_loss double, val_loss double,
   *     val_accuracy double, rank int} (rank 1 = best; losses are mean cross-entropy in nats)
   */
  public Dataset<Row> selectionMetrics(SparkSession spark) {
    SelectionTables t = loaded().tables;
    List<Integer> order = t.leaderboard().stream().map(SelectionTables.Entry::trial).toList();
    List<Row> rows = new ArrayList<>();
    for (SelectionTables.Epoch e : t.epochs()) {
      rows.add(RowFactory.create(e.trial(), e.config(), e.epoch(), e.trainLoss(), e.valLoss(), e.valAccuracy(),
          order.indexOf(e.trial()) + 1));
    }
    rows.sort((a, b) -> a.getInt(6) != b.getInt(6) ? Integer.compare(a.getInt(6), b.getInt(6))
        : Integer.compare(a.getInt(2), b.getInt(2)));
    StructType schema = new StructType().add("trial", DataTypes.IntegerType).add("config", DataTypes.StringType)
        .add("epoch", DataTypes.IntegerType).add("train_loss", DataTypes.DoubleType)
        .add("val_loss", DataTypes.DoubleType).add("val_accuracy", DataTypes.DoubleType)
        .add("rank", DataTypes.IntegerType);
    return spark.createDataFrame(rows, schema);
  }

  private ModelSelectionModel loaded() {
    if (bestModel == null || tables == null) {
      throw new IllegalStateException("model selection " + uid + " holds no result; fit a ModelSelector or load a"
          + " saved ModelSelectionModel");
    }
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return loaded().bestModel.transformSchema(schema);
  }

  /**
   * @param dataset rows for the best model
   * @return the best model's output
   * @throws IllegalArgumentException when the best model refuses the columns (before any job)
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    return loaded().bestModel.transform(dataset);
  }

  @Override
  public ModelSelectionModel copy(ParamMap extra) {
    ModelSelectionModel m = new ModelSelectionModel(uid, bestModel, tables);
    copyValues(m, extra);
    return m.setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** @return the reader used by {@code ModelSelectionModel.load} */
  public static MLReader<ModelSelectionModel> read() {
    return new Reader();
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the model
   * @throws IllegalArgumentException when the directory is not a saved selection (or its best
   *     model refuses to load, e.g. a changed weights file)
   */
  public static ModelSelectionModel load(String path) {
    return read().load(path);
  }

  private static final class Writer extends MLWriter {
    private final ModelSelectionModel model;

    Writer(ModelSelectionModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      ModelSelectionModel m = model.loaded();
      DefaultParamsWriter.saveMetadata(m, path, sparkSession());
      if (!(m.bestModel instanceof MLWritable w)) {
        throw new IllegalStateException("the best model " + m.bestModel.uid() + " cannot be saved (not MLWritable)");
      }
      Path p = new Path(path, "argus/selection.json");
      try {
        w.write().save(new Path(path, "bestModel").toString());
        FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
        try (OutputStream out = fs.create(p, shouldOverwrite())) {
          out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m.tables));
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot write " + p + ": " + e.getMessage(), e);
      }
    }
  }

  private static final class Reader extends MLReader<ModelSelectionModel> {
    @Override
    public ModelSelectionModel load(String path) {
      Path p = new Path(path, "argus/selection.json");
      SelectionTables tables;
      try {
        FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
        try (InputStream in = fs.open(p)) {
          tables = JSON.readValue(in, SelectionTables.class);
        }
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(p + " is not a saved selection: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + p + " (is this a saved ModelSelectionModel?): "
            + e.getMessage(), e);
      }
      DefaultParamsReader<Params> params = new DefaultParamsReader<>();
      params.session(sparkSession());
      ModelSelectionModel m = (ModelSelectionModel) params.load(path);
      m.bestModel = DefaultParamsReader$.MODULE$.loadParamsInstance(new Path(path, "bestModel").toString(),
          sparkSession());
      m.tables = tables;
      return m;
    }
  }
}
