package org.argus.model.quantize;

import java.util.Arrays;
import java.util.Locale;

/**
 * The numeric precision a CNN graph runs in: {@code fp32} (the graph as imported) or {@code int8}
 * (statically quantized: uint8 activations, int8 per-channel weights; see the package comment).
 */
public enum Precision {
  /** float32 everywhere: the graph as imported. */
  FP32,
  /** Calibrated static quantization (QDQ form, fused by ONNX Runtime into quantized kernels). */
  INT8;

  /** @return the lower-case name used by params, CLI options and reports ({@code fp32}, {@code int8}) */
  public String paramValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a user's value.
   *
   * @param s {@code fp32} or {@code int8} (case-insensitive)
   * @return the precision
   * @throws IllegalArgumentException naming the value and the valid ones
   */
  public static Precision parse(String s) {
    for (Precision p : values()) {
      if (p.paramValue().equalsIgnoreCase(s == null ? "" : s.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + s + "'; valid: "
        + Arrays.stream(values()).map(Precision::paramValue).toList());
  }
}
