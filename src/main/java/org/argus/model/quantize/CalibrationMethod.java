package org.argus.model.quantize;

import java.util.Locale;

/**
 * How a tensor's calibrated range is taken from the values observed on the calibration sample.
 *
 * <ul>
 *   <li>{@link #MINMAX}: the observed minimum and maximum (ONNX Runtime's {@code MinMax} calibrator);
 *   <li>{@link #PERCENTILE}: the 0.01 and 99.99 percentiles of the observed values, from a
 *       2048-bin histogram over the observed [min, max] (ONNX Runtime's {@code Percentile}
 *       calibrator, Wu et al., "Integer Quantization for Deep Learning Inference", arXiv:2004.09602,
 *       §4.1): outliers no longer stretch the range, so the bulk of the values gets finer steps, at
 *       the price of clipping the extreme ones.
 * </ul>
 */
public enum CalibrationMethod {
  /** Observed minimum and maximum. */
  MINMAX,
  /** 0.01 / 99.99 percentiles of the observed values. */
  PERCENTILE;

  /** The percentile {@link #PERCENTILE} keeps at the top (and {@code 100 −} it at the bottom). */
  public static final double UPPER_PERCENTILE = 99.99;

  /** Histogram bins per tensor for {@link #PERCENTILE}. */
  public static final int BINS = 2048;

  /** @return the lower-case name used by params and reports */
  public String paramValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param s {@code minmax} or {@code percentile} (case-insensitive)
   * @return the method
   * @throws IllegalArgumentException naming the value and the valid ones
   */
  public static CalibrationMethod parse(String s) {
    for (CalibrationMethod m : values()) {
      if (m.paramValue().equalsIgnoreCase(s == null ? "" : s.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown calibration method '" + s + "'; valid: [minmax, percentile]");
  }
}
