package org.argus.execution.transfer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.Metadata;

/**
 * Trains and scores the downstream model of one layer: assembles the layer's pooled CNN features
 * and the structured columns into one vector ({@link VectorAssembler}), fits the spec's MLlib
 * learner on the training split — or chooses its params by k-fold {@link CrossValidator} over the
 * spec's grid, folds by {@code pmod(xxhash64(string(id), seed, "fold"), k)} — and computes
 * accuracy, macro-F1 (and AUC for two classes) on the test split from a confusion aggregate (at
 * most labels² rows reach the driver).
 */
final class DownstreamTraining {
  private final TransferSpec spec;
  private final List<String> xCols;
  private final Metadata labelMetadata;
  private final int slots;

  /**
   * @param spec the run's spec (learner, grid, folds, metric, seed)
   * @param xCols the structured feature columns (internal names)
   * @param numClasses labels' max index + 1, recorded as the label's ML metadata so classifiers
   *     need no pass over the data to find it
   * @param slots partitions the training data is coalesced to (L-BFGS runs one job per iteration)
   */
  DownstreamTraining(TransferSpec spec, List<String> xCols, int numClasses, int slots) {
    this.spec = spec;
    this.xCols = List.copyOf(xCols);
    this.labelMetadata = NominalAttribute.defaultAttr().withName(Columns.LABEL).withNumValues(numClasses).toMetadata();
    this.slots = slots;
  }

  /**
   * What training one layer produced.
   *
   * @param model the fitted model (the best grid point refitted, with cross-validation)
   * @param crossValidation what cross-validation chose, or null
   * @param metrics {accuracy, macro-F1, test rows}
   * @param auc area under ROC for a binary label, else NaN
   * @param dim the feature vector's dimension (CNN features + structured columns)
   */
  record Outcome(PredictionModel<?, ?> model, TransferResult.CrossValidation crossValidation, double[] metrics,
      double auc, int dim) {}

  /**
   * @param rows the layer's rows: {@code _id, _split, features array<float>, _label} and the
   *     structured columns
   * @param featuresCol the CNN features column
   * @param cnnDim its dimension
   * @param layer the layer (for messages)
   * @return the fitted model and its test metrics
   * @throws IllegalArgumentException when the learner rejects the features (naming the learner, the
   *     layer and the dimension)
   */
  Outcome fitAndScore(Dataset<Row> rows, String featuresCol, int cnnDim, String layer) {
    int dim = cnnDim + xCols.size();
    List<String> have = Arrays.asList(rows.columns());
    Column[] keep = new Column[3 + xCols.size()];
    keep[0] = col(Columns.ID);
    keep[1] = col(featuresCol).as("_cnn");
    keep[2] = have.contains(Columns.LABEL) ? col(Columns.LABEL) : lit(null).cast("double").as(Columns.LABEL);
    for (int i = 0; i < xCols.size(); i++) {
      keep[3 + i] = col(xCols.get(i));
    }
    Dataset<Row> tr = vectors(rows.filter(col(Columns.SPLIT).equalTo("train")).select(keep).coalesce(slots));
    Dataset<Row> te = vectors(rows.filter(col(Columns.SPLIT).equalTo("test")).select(keep).coalesce(slots));
    @SuppressWarnings({"rawtypes"})
    Predictor learner = (Predictor) spec.learner().copy(ParamMap.empty());
    learner.setFeaturesCol(Columns.FV);
    learner.setLabelCol(Columns.LABEL);
    PredictionModel<?, ?> fitted;
    TransferResult.CrossValidation cv = null;
    try {
      if (spec.crossValidates()) {
        CrossValidatorModel m = crossValidator(learner).fit(tr.withColumn(Columns.FOLD, foldColumn()));
        fitted = (PredictionModel<?, ?>) m.bestModel();
        cv = chosen(m);
      } else {
        fitted = (PredictionModel<?, ?>) learner.fit(tr);
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("downstream learner " + spec.learner().getClass().getSimpleName()
          + " failed on layer '" + layer + "' with feature dimension " + dim + ": "
          + TransferLayers.firstLine(e.getMessage()), e);
    }
    Dataset<Row> scored = fitted.transform(te);
    List<Row> confusion = scored.groupBy(Columns.LABEL, fitted.getPredictionCol()).count().collectAsList();
    double[] metrics = confusionMetrics(confusion);
    double auc = Double.NaN;
    if (labelCount(confusion) == 2 && fitted.hasParam("rawPredictionCol")
        && Arrays.asList(scored.columns()).contains("rawPrediction")) {
      auc = new BinaryClassificationEvaluator().setLabelCol(Columns.LABEL).setRawPredictionCol("rawPrediction")
          .setMetricName("areaUnderROC").evaluate(scored);
    }
    return new Outcome(fitted, cv, metrics, auc, dim);
  }

  /**
   * Adds the feature vector (CNN features, then the structured columns): id, FV, label.
   *
   * <p>The {@code array<float>} → {@code vector} conversion is a typed map, not Spark ML's {@code
   * array_to_vector}: under Spark 4.2 that function evaluates an interpreted {@code exists} over
   * every element, and each element read builds a {@code ReadOnlySQLConf} on the executor (JFR
   * allocation profile of a MobileNetV2 transfer: half of all bytes allocated).
   */
  private Dataset<Row> vectors(Dataset<Row> d) {
    d = toVector(d, "_cnn", "_cnn_v");
    if (!xCols.isEmpty()) {
      List<String> in = new ArrayList<>(List.of("_cnn_v"));
      in.addAll(xCols);
      d = new VectorAssembler().setInputCols(in.toArray(new String[0])).setOutputCol(Columns.FV).transform(d);
    } else {
      d = d.withColumnRenamed("_cnn_v", Columns.FV);
    }
    return d.select(col(Columns.ID), col(Columns.FV), col(Columns.LABEL).as(Columns.LABEL, labelMetadata));
  }

  /**
   * Replaces {@code arrayCol} ({@code array<float>}) by {@code vectorCol} (an ml {@code DenseVector}).
   *
   * @throws IllegalArgumentException in the task for a null array or element (quarantined rows never get here)
   */
  static Dataset<Row> toVector(Dataset<Row> d, String arrayCol, String vectorCol) {
    org.apache.spark.sql.types.StructType in = d.schema();
    int idx = in.fieldIndex(arrayCol);
    java.util.List<org.apache.spark.sql.types.StructField> fields = new ArrayList<>();
    for (org.apache.spark.sql.types.StructField f : in.fields()) {
      fields.add(f.name().equals(arrayCol)
          ? org.apache.spark.sql.types.DataTypes.createStructField(vectorCol,
              org.apache.spark.ml.linalg.SQLDataTypes.VectorType(), false)
          : f);
    }
    return d.map(new ToVector(idx), org.apache.spark.sql.Encoders.row(
        org.apache.spark.sql.types.DataTypes.createStructType(fields)));
  }

  /** Row → row with one {@code array<float>} cell turned into a {@code DenseVector}. */
  private static final class ToVector implements org.apache.spark.api.java.function.MapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final int idx;

    ToVector(int idx) {
      this.idx = idx;
    }

    @Override
    public Row call(Row r) {
      Object[] values = new Object[r.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = r.get(i);
      }
      Object cell = values[idx];
      double[] v;
      if (cell instanceof float[] f) {
        v = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          v[i] = f[i];
        }
      } else {
        java.util.List<Object> l = r.getList(idx);
        v = new double[l.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = ((Number) l.get(i)).doubleValue();
        }
      }
      values[idx] = org.apache.spark.ml.linalg.Vectors.dense(v);
      return org.apache.spark.sql.RowFactory.create(values);
    }
  }

  private Column foldColumn() {
    return org.apache.spark.sql.functions.pmod(
        org.apache.spark.sql.functions.xxhash64(col(Columns.ID).cast("string"), lit(spec.seed()), lit("fold")),
        lit((long) spec.folds())).cast("int");
  }

  /** Spark ML's {@link CrossValidator} over the grid, folds from a column, one model at a time. */
  @SuppressWarnings({"rawtypes"})
  private CrossValidator crossValidator(Predictor learner) {
    ParamMap[] grid = grid();
    return new CrossValidator()
        .setEstimator(learner)
        .setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setLabelCol(Columns.LABEL)
            .setPredictionCol(learner.getPredictionCol()).setMetricName(spec.cvMetric()))
        .setNumFolds(spec.folds())
        .setFoldCol(Columns.FOLD)
        .setSeed(spec.seed())
        .setParallelism(1);
  }

  private ParamMap[] grid() {
    return spec.paramGrid().isEmpty() ? new ParamMap[] {ParamMap.empty()} : spec.paramGrid().toArray(new ParamMap[0]);
  }

  private TransferResult.CrossValidation chosen(CrossValidatorModel m) {
    double[] avg = m.avgMetrics();
    int best = 0;
    for (int i = 1; i < avg.length; i++) {
      if (avg[i] > avg[best]) { // the first of equal maxima, as CrossValidator picks
        best = i;
      }
    }
    Map<String, String> chosen = new TreeMap<>();
    for (ParamPair<?> pair : grid()[best].toList()) {
      chosen.put(pair.param().name(), LearnerParams.valueString(pair.value()));
    }
    return new TransferResult.CrossValidation(spec.folds(), spec.cvMetric(), chosen, avg[best],
        Arrays.stream(avg).boxed().toList());
  }

  private static long labelCount(List<Row> confusion) {
    Set<Double> labels = new HashSet<>();
    for (Row r : confusion) {
      labels.add(r.getDouble(0));
    }
    return labels.size();
  }

  /** @return {accuracy, macro-F1, test rows} from (label, prediction, count) rows */
  static double[] confusionMetrics(List<Row> confusion) {
    Map<Double, Long> tp = new HashMap<>();
    Map<Double, Long> predicted = new HashMap<>();
    Map<Double, Long> actual = new HashMap<>();
    long total = 0;
    long correct = 0;
    for (Row r : confusion) {
      double y = r.getDouble(0);
      double pr = r.getDouble(1);
      long n = r.getLong(2);
      total += n;
      actual.merge(y, n, Long::sum);
      predicted.merge(pr, n, Long::sum);
      if (y == pr) {
        correct += n;
        tp.merge(y, n, Long::sum);
      }
    }
    double f1 = 0;
    for (double y : actual.keySet()) {
      long t = tp.getOrDefault(y, 0L);
      double precision = predicted.getOrDefault(y, 0L) == 0 ? 0 : (double) t / predicted.get(y);
      double recall = (double) t / actual.get(y);
      f1 += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
    return new double[] {total == 0 ? 0 : (double) correct / total, actual.isEmpty() ? 0 : f1 / actual.size(), total};
  }
}
