package org.argus.execution.inference;

import org.apache.spark.util.AccumulatorV2;

/** A Spark accumulator of the largest value added (tasks merge by max; starts at −1 = none). */
final class MaxAccumulator extends AccumulatorV2<Long, Long> {
  private static final long serialVersionUID = 1L;
  private long max = -1;

  @Override
  public boolean isZero() {
    return max == -1;
  }

  @Override
  public AccumulatorV2<Long, Long> copy() {
    MaxAccumulator a = new MaxAccumulator();
    a.max = max;
    return a;
  }

  @Override
  public void reset() {
    max = -1;
  }

  @Override
  public void add(Long v) {
    max = Math.max(max, v);
  }

  @Override
  public void merge(AccumulatorV2<Long, Long> other) {
    max = Math.max(max, other.value());
  }

  @Override
  public Long value() {
    return max;
  }
}
