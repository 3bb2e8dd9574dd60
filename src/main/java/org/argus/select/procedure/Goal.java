package org.argus.select.procedure;

import java.io.Serializable;

/**
 * The selection metric and its direction (Spark's {@code Evaluator.isLargerBetter}). Cerebro's
 * published Spark backend sorted accuracy ascending and kept the worst model; the direction here is
 * explicit and every comparison goes through {@link #better(double, double)}.
 *
 * @param metric metric name, e.g. {@code accuracy} or {@code loss}
 * @param maximize true if larger is better
 */
public record Goal(String metric, boolean maximize) implements Serializable {
  /**
   * @param metric name
   * @return larger-is-better goal
   */
  public static Goal maximize(String metric) {
    return new Goal(metric, true);
  }

  /**
   * @param metric name
   * @return smaller-is-better goal
   */
  public static Goal minimize(String metric) {
    return new Goal(metric, false);
  }

  /**
   * @param a a metric value (NaN is worst)
   * @param b another
   * @return true if {@code a} is strictly better than {@code b}
   */
  public boolean better(double a, double b) {
    return Double.compare(key(a), key(b)) > 0;
  }

  /**
   * @param v a metric value
   * @return a sort key where larger is better and NaN is -infinity
   */
  public double key(double v) {
    if (Double.isNaN(v)) {
      return Double.NEGATIVE_INFINITY;
    }
    return maximize ? v : -v;
  }

  /** @return e.g. {@code max accuracy} */
  @Override
  public String toString() {
    return (maximize ? "max " : "min ") + metric;
  }
}
