package org.argus.runtime.train;

import java.io.Serializable;

/**
 * A sum of per-example loss gradients over some examples, with the loss and accuracy sums of the
 * same examples: the value data-parallel training adds up across partitions ({@code
 * treeAggregate}). Mutable on purpose: {@link #addInPlace} accumulates without allocating a model-
 * sized array per merge; an instance belongs to one task or to the aggregation that receives it.
 */
public final class GradientSum implements Serializable {
  private static final long serialVersionUID = 1L;
  private float[][] sum;
  private Metrics metrics;

  /**
   * @param sum per-parameter sums of per-example gradients (flattened row-major, parameter order
   *     of {@link DataParallelTrainer#weights()}), or null for none (no examples, or diverged)
   * @param metrics the examples' loss and accuracy sums
   */
  public GradientSum(float[][] sum, Metrics metrics) {
    this.sum = sum;
    this.metrics = metrics;
  }

  /** @return an empty sum (no examples): the zero of {@link #addInPlace} */
  public static GradientSum zero() {
    return new GradientSum(null, Metrics.EMPTY);
  }

  /** @return the gradient sums (not copied), or null when there are none */
  public float[][] sum() {
    return sum;
  }

  /** @return the loss and accuracy sums */
  public Metrics metrics() {
    return metrics;
  }

  /**
   * Adds {@code o} into this sum element-wise. Once either side is diverged the result is diverged
   * and holds no gradient.
   *
   * @param o another sum over other examples of the same model
   * @return this
   * @throws IllegalArgumentException if the two sums' arrays differ in number or length
   */
  public GradientSum addInPlace(GradientSum o) {
    metrics = metrics.plus(o.metrics);
    if (metrics.diverged()) {
      sum = null;
      return this;
    }
    if (o.sum == null) {
      return this;
    }
    if (sum == null) {
      sum = new float[o.sum.length][];
      for (int i = 0; i < sum.length; i++) {
        sum[i] = o.sum[i].clone();
      }
      return this;
    }
    if (sum.length != o.sum.length) {
      throw new IllegalArgumentException(
          "cannot add gradient sums of " + sum.length + " and " + o.sum.length + " parameters");
    }
    for (int i = 0; i < sum.length; i++) {
      float[] a = sum[i];
      float[] b = o.sum[i];
      if (a.length != b.length) {
        throw new IllegalArgumentException("cannot add gradient sums: parameter " + i + " has "
            + a.length + " vs " + b.length + " elements");
      }
      for (int j = 0; j < a.length; j++) {
        a[j] += b[j];
      }
    }
    return this;
  }
}
