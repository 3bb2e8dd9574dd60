package org.argus.model.quantize;

/**
 * How to calibrate an int8 graph: the method, how many images and which (a seeded draw).
 *
 * @param method how a range is read from the observed values
 * @param sampleSize images in the calibration sample (≥ {@link #MIN_IMAGES})
 * @param seed seed of the draw (the sample is the {@code sampleSize} rows with the smallest
 *     {@code xxhash64(seed, id)}: the same rows for a seed whatever the partitioning)
 */
public record CalibrationSpec(CalibrationMethod method, int sampleSize, long seed) {
  /** Fewest decodable images a calibration accepts. */
  public static final int MIN_IMAGES = 8;

  /** Default sample size: 256 images (ONNX Runtime's examples calibrate on a few hundred). */
  public static final int DEFAULT_SAMPLE_SIZE = 256;

  /**
   * @throws IllegalArgumentException for a null method or a sample size below {@link #MIN_IMAGES}
   */
  public CalibrationSpec {
    if (method == null) {
      throw new IllegalArgumentException("calibration method must be one of [minmax, percentile], found null");
    }
    if (sampleSize < MIN_IMAGES) {
      throw new IllegalArgumentException("calibration sample size must be ≥ " + MIN_IMAGES + " images, found "
          + sampleSize);
    }
  }

  /** @return the defaults: min/max on 256 images, seed 42 */
  public static CalibrationSpec defaults() {
    return new CalibrationSpec(CalibrationMethod.MINMAX, DEFAULT_SAMPLE_SIZE, 42);
  }

  @Override
  public String toString() {
    return method.paramValue() + " on " + sampleSize + " images, seed " + seed;
  }
}
