package org.argus.execution.fusion;

import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;
import org.argus.execution.mop.Example;

/**
 * Per-feature z-scoring of shard rows, {@code x' = (x − mean) · invStd}, fitted on the training
 * split (never the test split). Pooled CNN activations differ in scale by orders of magnitude
 * between layers (ReLU6 outputs up to 6, unbounded ReLU sums far larger), so a head trained by SGD
 * at one learning rate across layers needs them on one scale — as Spark ML's LogisticRegression
 * standardizes internally ({@code standardization=true}). A constant feature gets {@code invStd =
 * 1} (it becomes 0). The deployed graph applies the same transform ({@link #slice}) before the head.
 *
 * @param mean per-feature mean, {@code [rowDim]}
 * @param invStd per-feature 1 / population standard deviation, {@code [rowDim]}
 */
public record Standardizer(float[] mean, float[] invStd) implements Serializable {

  /**
   * @param rows the training rows, all of one length
   * @return the fitted standardizer (one pass: Σx and Σx² in double per feature, tree-aggregated)
   * @throws IllegalArgumentException if {@code rows} is empty
   */
  public static Standardizer fit(JavaRDD<Example> rows) {
    int dim = rows.first().x().length;
    double[] zero = new double[2 * dim + 1];
    double[] s = rows.treeAggregate(zero, (acc, e) -> {
      float[] x = e.x();
      for (int i = 0; i < dim; i++) {
        acc[i] += x[i];
        acc[dim + i] += (double) x[i] * x[i];
      }
      acc[2 * dim]++;
      return acc;
    }, (a, b) -> {
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
      return a;
    });
    double n = s[2 * dim];
    if (n == 0) {
      throw new IllegalArgumentException("cannot standardize: no training rows");
    }
    float[] mean = new float[dim];
    float[] inv = new float[dim];
    for (int i = 0; i < dim; i++) {
      double m = s[i] / n;
      double var = Math.max(0, s[dim + i] / n - m * m);
      mean[i] = (float) m;
      inv[i] = var > 1e-12 ? (float) (1 / Math.sqrt(var)) : 1f;
    }
    return new Standardizer(mean, inv);
  }

  /**
   * @param rows rows of the fitted length
   * @return the standardized rows (lazy)
   */
  public JavaRDD<Example> apply(JavaRDD<Example> rows) {
    float[] m = mean;
    float[] inv = invStd;
    return rows.map(e -> {
      float[] x = e.x();
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = (x[i] - m[i]) * inv[i];
      }
      return new Example(e.label(), y);
    });
  }

  /**
   * @param views the row layout
   * @param v a view
   * @return the transform of the head's input for that view: {@code [v.dim + structuredDim]}
   *     (its features, then the structured columns)
   */
  public Standardizer slice(FeatureViews views, FeatureViews.View v) {
    return new Standardizer(views.slice(mean, v), views.slice(invStd, v));
  }
}
