package org.argus.plan.cost;

import java.util.List;
import java.util.Objects;

/**
 * The sizes a feature-transfer plan is costed on (Vista §4.2: the inputs of the memory model).
 *
 * @param layers requested layers, bottom to top (topological order)
 * @param pixelInput the model's image input tensor
 * @param pixelFloats floats of the preprocessed input per image ({@code 3·H·W})
 * @param modelBytes bytes of the full model's weights (ONNX file size)
 * @param imageRows rows of the image table
 * @param imageBytesPerRow bytes of one image row as read (the decoded image struct plus id)
 * @param structuredRows rows of the structured table (0 when there is none)
 * @param structuredBytesPerRow bytes of one structured row (id, label and feature columns)
 * @param joinedRows rows that survive the id join (equal to {@code imageRows} without a table)
 * @param precision the precision inference stages run in ({@code int8} stages cost {@link
 *     #INT8_FLOP_FACTOR} of their FLOPs)
 * @param calibrationImages images of the int8 calibration pass (0 for fp32): one fp32 pass from the
 *     pixels to the top layer, the same for every plan
 */
public record Workload(
    List<LayerCost> layers,
    String pixelInput,
    long pixelFloats,
    long modelBytes,
    long imageRows,
    long imageBytesPerRow,
    long structuredRows,
    long structuredBytesPerRow,
    long joinedRows,
    org.argus.model.quantize.Precision precision,
    long calibrationImages) {

  /**
   * Cost of an int8 (QDQ) stage relative to its fp32 FLOPs: 0.5, from the ≈ 2× throughput ONNX
   * Runtime reaches with uint8 activations and int8 weights on AVX-512 VNNI CPUs (issue "Int8
   * featurization"; measured in {@code bench/results/featurize.md}).
   */
  public static final double INT8_FLOP_FACTOR = 0.5;

  /**
   * An fp32 workload.
   *
   * @param layers as the canonical constructor
   * @param pixelInput as the canonical constructor
   * @param pixelFloats as the canonical constructor
   * @param modelBytes as the canonical constructor
   * @param imageRows as the canonical constructor
   * @param imageBytesPerRow as the canonical constructor
   * @param structuredRows as the canonical constructor
   * @param structuredBytesPerRow as the canonical constructor
   * @param joinedRows as the canonical constructor
   */
  public Workload(List<LayerCost> layers, String pixelInput, long pixelFloats, long modelBytes, long imageRows,
      long imageBytesPerRow, long structuredRows, long structuredBytesPerRow, long joinedRows) {
    this(layers, pixelInput, pixelFloats, modelBytes, imageRows, imageBytesPerRow, structuredRows,
        structuredBytesPerRow, joinedRows, org.argus.model.quantize.Precision.FP32, 0);
  }

  /** @return the factor an inference stage's FLOPs are costed at (1 for fp32) */
  public double flopFactor() {
    return precision == org.argus.model.quantize.Precision.INT8 ? INT8_FLOP_FACTOR : 1;
  }

  /** Copies the list; validates sizes. */
  public Workload {
    layers = List.copyOf(layers);
    Objects.requireNonNull(pixelInput, "pixelInput");
    Objects.requireNonNull(precision, "precision");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a workload needs at least one layer");
    }
    if (pixelFloats < 1 || modelBytes < 0 || imageRows < 0 || imageBytesPerRow < 0
        || structuredRows < 0 || structuredBytesPerRow < 0 || joinedRows < 0) {
      throw new IllegalArgumentException(
          "workload sizes must be non-negative (pixel floats ≥ 1), found pixels " + pixelFloats
              + ", model " + modelBytes + " B, images " + imageRows + "×" + imageBytesPerRow
              + " B, table " + structuredRows + "×" + structuredBytesPerRow + " B, joined " + joinedRows);
    }
  }

  /** @return true when a structured table is joined */
  public boolean hasTable() {
    return structuredRows > 0 || structuredBytesPerRow > 0;
  }
}
