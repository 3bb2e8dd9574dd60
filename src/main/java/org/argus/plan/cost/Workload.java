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
    long joinedRows) {

  /** Copies the list; validates sizes. */
  public Workload {
    layers = List.copyOf(layers);
    Objects.requireNonNull(pixelInput, "pixelInput");
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
