package org.argus.execution;

import static org.apache.spark.sql.functions.col;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Trains and evaluates the downstream model of feature transfer on one layer's features: MLlib
 * {@link LogisticRegression} (multinomial, L-BFGS, standardized features) on the training rows,
 * accuracy and macro-F1 on the held-out rows.
 *
 * @param maxIter L-BFGS iterations (≥ 1)
 * @param regParam L2 regularization strength (≥ 0)
 */
public record DownstreamClassifier(int maxIter, double regParam) {

  /** @throws IllegalArgumentException for maxIter below 1 or a negative regParam */
  public DownstreamClassifier {
    if (maxIter < 1 || regParam < 0) {
      throw new IllegalArgumentException(
          "maxIter must be ≥ 1 and regParam ≥ 0, found " + maxIter + ", " + regParam);
    }
  }

  /**
   * Metrics of one fitted downstream model.
   *
   * @param accuracy fraction of test rows predicted right, in [0, 1]
   * @param macroF1 unweighted mean over the labels present in the test rows of per-label F1
   * @param trainRows training rows used
   * @param testRows test rows scored
   * @param seconds wall seconds to fit and score
   * @param model the fitted model (saveable with {@code write().save(dir)})
   */
  public record Evaluation(
      double accuracy,
      double macroF1,
      long trainRows,
      long testRows,
      double seconds,
      LogisticRegressionModel model) {}

  /**
   * Fits on {@code train} and scores {@code test}.
   *
   * @param train rows with {@code featuresCol array<float>} and an integer {@code labelCol}
   * @param test same columns, held out
   * @return metrics and the fitted model
   */
  public Evaluation fitAndEvaluate(
      Dataset<Row> train, Dataset<Row> test, String featuresCol, String labelCol) {
    long t0 = System.nanoTime();
    Dataset<Row> tr =
        train.select(
            functions.array_to_vector(col(featuresCol)).as("fv"),
            col(labelCol).cast("double").as("y"));
    Dataset<Row> te =
        test.select(
            functions.array_to_vector(col(featuresCol)).as("fv"),
            col(labelCol).cast("double").as("y"));
    LogisticRegression lr =
        new LogisticRegression()
            .setFeaturesCol("fv")
            .setLabelCol("y")
            .setMaxIter(maxIter)
            .setRegParam(regParam)
            .setElasticNetParam(0.0)
            .setFamily("multinomial")
            .setStandardization(true);
    LogisticRegressionModel model = lr.fit(tr);
    // The confusion counts are an aggregate of at most labels² rows: safe to bring to the driver.
    List<Row> confusion =
        model.transform(te).groupBy("y", "prediction").count().collectAsList();
    long trainRows = tr.count();
    Map<Double, Long> tp = new HashMap<>();
    Map<Double, Long> predicted = new HashMap<>();
    Map<Double, Long> actual = new HashMap<>();
    Set<Double> labels = new HashSet<>();
    long total = 0;
    long correct = 0;
    for (Row r : confusion) {
      double y = r.getDouble(0);
      double p = r.getDouble(1);
      long n = r.getLong(2);
      total += n;
      labels.add(y);
      actual.merge(y, n, Long::sum);
      predicted.merge(p, n, Long::sum);
      if (y == p) {
        correct += n;
        tp.merge(y, n, Long::sum);
      }
    }
    double f1sum = 0;
    for (double y : labels) {
      long t = tp.getOrDefault(y, 0L);
      long pr = predicted.getOrDefault(y, 0L);
      long ac = actual.getOrDefault(y, 0L);
      double precision = pr == 0 ? 0 : (double) t / pr;
      double recall = ac == 0 ? 0 : (double) t / ac;
      f1sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Evaluation(
        total == 0 ? 0 : (double) correct / total,
        labels.isEmpty() ? 0 : f1sum / labels.size(),
        trainRows,
        total,
        seconds,
        model);
  }
}
