package org.argus.model.quantize;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mergeable per-tensor statistics of observed activation values: minimum and maximum (first pass)
 * and, for {@link CalibrationMethod#PERCENTILE}, a {@link CalibrationMethod#BINS}-bin histogram over
 * fixed per-tensor bounds (second pass, bounds = the first pass's [min, max]). One instance per Spark
 * partition, merged on the driver; NaN and infinite values are counted and ignored.
 */
public final class RangeStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<String> tensors;
  private final float[] min;
  private final float[] max;
  private final float[][] bounds; // null for a min/max pass
  private final long[][] hist;
  private long images;
  private long nonFinite;

  /**
   * @param tensors the tensors observed, in a fixed order
   * @param bounds per tensor {@code [lo, hi]} of the histogram, or null for a min/max-only pass
   */
  public RangeStats(List<String> tensors, float[][] bounds) {
    this.tensors = List.copyOf(tensors);
    this.min = new float[tensors.size()];
    this.max = new float[tensors.size()];
    Arrays.fill(min, Float.POSITIVE_INFINITY);
    Arrays.fill(max, Float.NEGATIVE_INFINITY);
    this.bounds = bounds;
    this.hist = bounds == null ? null : new long[tensors.size()][CalibrationMethod.BINS];
  }

  /**
   * Observes values of one tensor.
   *
   * @param t the tensor's index in {@link #tensors()}
   * @param values a float32 buffer
   * @param from first index
   * @param to end index (exclusive)
   */
  public void observe(int t, float[] values, int from, int to) {
    float lo = min[t];
    float hi = max[t];
    long[] h = hist == null ? null : hist[t];
    float b0 = h == null ? 0 : bounds[t][0];
    double width = h == null ? 1 : Math.max(bounds[t][1] - b0, Float.MIN_NORMAL) / CalibrationMethod.BINS;
    for (int i = from; i < to; i++) {
      float v = values[i];
      if (!Float.isFinite(v)) {
        nonFinite++;
        continue;
      }
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (h != null) {
        int bin = (int) ((v - b0) / width);
        h[Math.max(0, Math.min(CalibrationMethod.BINS - 1, bin))]++;
      }
    }
    min[t] = lo;
    max[t] = hi;
  }

  /** @param n images observed (for the record) */
  public void countImages(long n) {
    images += n;
  }

  /**
   * @param other statistics of the same tensors and bounds
   * @return this, with {@code other} added
   */
  public RangeStats merge(RangeStats other) {
    for (int t = 0; t < min.length; t++) {
      min[t] = Math.min(min[t], other.min[t]);
      max[t] = Math.max(max[t], other.max[t]);
      if (hist != null) {
        for (int b = 0; b < hist[t].length; b++) {
          hist[t][b] += other.hist[t][b];
        }
      }
    }
    images += other.images;
    nonFinite += other.nonFinite;
    return this;
  }

  /** @return the tensors, in order */
  public List<String> tensors() {
    return tensors;
  }

  /** @return images observed */
  public long images() {
    return images;
  }

  /** @return NaN or infinite values seen (ignored) */
  public long nonFinite() {
    return nonFinite;
  }

  /** @return per tensor {@code [min, max]} observed (infinite when never observed) */
  public float[][] minMax() {
    float[][] r = new float[min.length][];
    for (int t = 0; t < min.length; t++) {
      r[t] = new float[] {min[t], max[t]};
    }
    return r;
  }

  /**
   * @param method how to read a range
   * @return tensor → calibrated {@code [min, max]}
   * @throws IllegalStateException for {@link CalibrationMethod#PERCENTILE} on a min/max-only pass
   */
  public Map<String, float[]> ranges(CalibrationMethod method) {
    Map<String, float[]> r = new HashMap<>();
    for (int t = 0; t < min.length; t++) {
      if (method == CalibrationMethod.MINMAX) {
        r.put(tensors.get(t), new float[] {min[t], max[t]});
      } else {
        if (hist == null) {
          throw new IllegalStateException("percentile ranges need a histogram pass");
        }
        r.put(tensors.get(t), percentiles(t));
      }
    }
    return r;
  }

  private float[] percentiles(int t) {
    long total = Arrays.stream(hist[t]).sum();
    if (total == 0) {
      return new float[] {min[t], max[t]};
    }
    double width = Math.max(bounds[t][1] - bounds[t][0], Float.MIN_NORMAL) / CalibrationMethod.BINS;
    long cut = (long) Math.floor(total * (100 - CalibrationMethod.UPPER_PERCENTILE) / 100);
    int lo = 0;
    long acc = 0;
    while (lo < hist[t].length - 1 && acc + hist[t][lo] <= cut) {
      acc += hist[t][lo++];
    }
    int hi = hist[t].length - 1;
    acc = 0;
    while (hi > lo && acc + hist[t][hi] <= cut) {
      acc += hist[t][hi--];
    }
    float a = (float) (bounds[t][0] + lo * width);
    float b = (float) (bounds[t][0] + (hi + 1) * width);
    // a range that starts at the observed minimum keeps it (e.g. 0 after a ReLU stays exact)
    return new float[] {lo == 0 ? min[t] : Math.max(a, min[t]), hi == hist[t].length - 1 ? max[t] : Math.min(b, max[t])};
  }
}
