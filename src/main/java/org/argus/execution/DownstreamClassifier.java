package org.argus.execution;

import static org.apache.spark.sql.functions.col;

import java.util.List;
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
    double[] m = FeatureTransfer.confusionMetrics(confusion);
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Evaluation(
        m[0],
        m[1],
        trainRows,
        (long) m[2],
        seconds,
        model);
  }
}
