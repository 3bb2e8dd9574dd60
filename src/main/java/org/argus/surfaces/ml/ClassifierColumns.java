package org.argus.surfaces.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.mop.SelectionResult;
import org.argus.plan.mop.EpochRecord;
import org.argus.store.RunDirectory;

/**
 * Column checks and small aggregates shared by {@link DeepImageClassifier} and {@link
 * DeepImageClassificationModel}: input types, output columns, class count and input shape.
 */
final class ClassifierColumns {
  private ClassifierColumns() {}

  /**
   * @throws IllegalArgumentException when the features column is missing or not a vector, {@code
   *     array<float|double>} or image struct, or the label column (when not null) is missing or not
   *     numeric — naming the column, its type and what is valid
   */
  static void check(StructType schema, String features, String label) {
    List<String> names = Arrays.asList(schema.fieldNames());
    if (!names.contains(features)) {
      throw new IllegalArgumentException("features column '" + features + "' not found; columns: " + names);
    }
    DataType t = schema.apply(features).dataType();
    if (!isImage(t) && !isVector(t) && !isNumberArray(t)) {
      throw new IllegalArgumentException("features column '" + features + "' has type " + t.simpleString()
          + "; valid: vector, array<float>, array<double> or an image struct (height, width, nChannels, data)");
    }
    if (label == null) {
      return;
    }
    if (!names.contains(label)) {
      throw new IllegalArgumentException("label column '" + label + "' not found; columns: " + names);
    }
    DataType lt = schema.apply(label).dataType();
    if (!(lt instanceof NumericType)) {
      throw new IllegalArgumentException("label column '" + label + "' has type " + lt.simpleString()
          + "; valid: a numeric class index 0…K−1 (index strings with StringIndexer first)");
    }
  }

  /**
   * @return the schema with {@code probability vector} and {@code prediction double} appended
   * @throws IllegalArgumentException when either output column exists
   */
  static StructType output(StructType schema, String prediction, String probability, String rawPrediction) {
    for (String c : List.of(probability, prediction, rawPrediction)) {
      if (!c.isEmpty() && Arrays.asList(schema.fieldNames()).contains(c)) {
        throw new IllegalArgumentException("output column '" + c + "' already exists; set another name");
      }
    }
    StructType out = schema.add(probability, SQLDataTypes.VectorType(), false)
        .add(prediction, DataTypes.DoubleType, false);
    return rawPrediction.isEmpty() ? out : out.add(rawPrediction, SQLDataTypes.VectorType(), false);
  }

  /** The doc of {@code rawPredictionCol}, shared by the estimator and its model. */
  static final String RAW_PREDICTION_DOC = "output: ln(probability) per class (vector of K; softmax logits up to a"
      + " per-row constant, Spark's rawPrediction role); empty for no such column";

  /**
   * Appends {@code rawPrediction} = ln(p) per class from the probability vector column.
   *
   * @param d rows with {@code probability}, a vector of K probabilities
   * @param probability its name
   * @param rawPrediction the new column's name; empty to add nothing
   * @return {@code d} with the new vector column last (a probability of 0 gives −∞)
   */
  static Dataset<Row> withRawPrediction(Dataset<Row> d, String probability, String rawPrediction) {
    if (rawPrediction.isEmpty()) {
      return d;
    }
    Column logs = org.apache.spark.sql.functions.transform(
        org.apache.spark.ml.functions.vector_to_array(col(probability), "float64"),
        (Column x) -> org.apache.spark.sql.functions.ln(x));
    return d.withColumn(rawPrediction, org.apache.spark.ml.functions.array_to_vector(logs));
  }

  static boolean isImage(DataType t) {
    return ImageColumns.isImageStruct(t);
  }

  static boolean isVector(DataType t) {
    return t.typeName().equals("vector");
  }

  static boolean isNumberArray(DataType t) {
    return t instanceof ArrayType a
        && (a.elementType() == DataTypes.FloatType || a.elementType() == DataTypes.DoubleType);
  }

  /**
   * @return the class count K = largest label + 1
   * @throws IllegalArgumentException for no rows, a negative or non-integer label, or K &lt; 2
   */
  static int classes(Dataset<Row> d, String label) {
    Row r = d.agg(min(col(label)).cast("double"), max(col(label)).cast("double"),
        countDistinct(col(label))).first();
    if (r.isNullAt(0)) {
      throw new IllegalArgumentException("no training rows (every " + label + " is null or the data is empty)");
    }
    double lo = r.getDouble(0);
    double hi = r.getDouble(1);
    if (lo < 0 || hi != Math.rint(hi) || hi > Integer.MAX_VALUE - 1) {
      throw new IllegalArgumentException("label column '" + label + "' has values in [" + lo + ", " + hi
          + "]; valid: integer class indices 0…K−1");
    }
    if (hi < 1) {
      throw new IllegalArgumentException("label column '" + label + "' has one class (" + hi
          + "); a classifier needs at least two");
    }
    return (int) hi + 1;
  }

  /**
   * @return the per-example input shape: {@code [C, H, W]} for images, {@code [F]} for features
   * @throws IllegalArgumentException when images differ in size or arrays in length
   */
  static long[] inputShape(Dataset<Row> d, String features, boolean images) {
    if (images) {
      Dataset<Row> dims = d.select(col(features + ".nChannels"), col(features + ".height"), col(features + ".width"))
          .distinct().limit(2);
      List<Row> rows = dims.collectAsList();
      if (rows.size() != 1) {
        throw new IllegalArgumentException("images in '" + features + "' differ in size (e.g. " + rows
            + " as [channels, height, width]); resize them to one size first");
      }
      Row r = rows.get(0);
      return new long[] {r.getInt(0), r.getInt(1), r.getInt(2)};
    }
    if (isNumberArray(d.schema().apply(features).dataType())) {
      Row r = d.agg(min(size(col(features))), max(size(col(features)))).first();
      if (r.getInt(0) != r.getInt(1)) {
        throw new IllegalArgumentException("arrays in '" + features + "' have lengths " + r.getInt(0) + " to "
            + r.getInt(1) + "; every row needs the same length");
      }
      return new long[] {r.getInt(0)};
    }
    org.apache.spark.ml.linalg.Vector v = (org.apache.spark.ml.linalg.Vector) d.select(features).first().get(0);
    return new long[] {v.size()};
  }

  /**
   * @return per epoch of one trial: {@code [epoch, train loss, validation loss, validation
   *     accuracy]}
   * @throws IllegalStateException when the run's epoch table cannot be read
   */
  static List<double[]> epochMetrics(SelectionResult r, int trial) {
    List<double[]> out = new ArrayList<>();
    try {
      for (EpochRecord e : new RunDirectory(r.runDir()).readEpochs()) {
        if (e.trial() == trial) {
          out.add(new double[] {e.epoch(), e.trainLoss(), e.valLoss(), e.valAccuracy()});
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the epoch table of " + r.runDir() + ": " + e.getMessage(), e);
    }
    out.sort((a, b) -> Double.compare(a[0], b[0]));
    return out;
  }
}
