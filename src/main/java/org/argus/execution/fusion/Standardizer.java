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
   * @return the fitted standardizer (one pass, one Spark job: Σx and Σx² in double per feature,
   *     tree-aggregated; the length is taken from the rows as they come, not by a job of its own)
   * @throws IllegalArgumentException if {@code rows} is empty
   * @throws org.apache.spark.SparkException wrapping an IllegalArgumentException if rows differ in length
   */
  public static Standardizer fit(JavaRDD<Example> rows) {
    double[] s = rows.treeAggregate(new double[0], (acc, e) -> {
      float[] x = e.x();
      int dim = x.length;
      double[] a = acc.length == 0 ? new double[2 * dim + 1] : acc;
      if (a.length != 2 * dim + 1) {
        throw new IllegalArgumentException("cannot standardize rows of different lengths: "
            + (a.length - 1) / 2 + " and " + dim + " features");
      }
      for (int i = 0; i < dim; i++) {
        a[i] += x[i];
        a[dim + i] += (double) x[i] * x[i];
      }
      a[2 * dim]++;
      return a;
    }, (a, b) -> {
      if (a.length == 0 || b.length == 0) {
        return a.length == 0 ? b : a;
      }
      if (a.length != b.length) {
        throw new IllegalArgumentException("cannot standardize rows of different lengths: "
            + (a.length - 1) / 2 + " and " + (b.length - 1) / 2 + " features");
      }
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
      return a;
    });
    if (s.length == 0) {
      throw new IllegalArgumentException("cannot standardize: no training rows");
    }
    int dim = (s.length - 1) / 2;
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
