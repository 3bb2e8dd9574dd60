package org.argus.plan.cost;

import java.util.Objects;

/**
 * What the cost model knows about one requested layer, from the ONNX graph at the chosen input
 * size ({@code OnnxModel.inferShapes} and {@code nodeCosts}); no Spark involved.
 *
 * @param layer the layer (tensor) name
 * @param stagedInput the input of this layer's stage in the staged plan: the previous layer, or the
 *     pixel input for the first layer and for a layer that is not computable from the previous one
 *     alone (a fallback cut from the pixels)
 * @param activationFloats floats of the layer's activation per image ({@code C·H·W})
 * @param featureFloats floats per image after pooling (what the downstream model sees)
 * @param flopsFromPixels FLOPs per image of the cut {@code pixels → layer}
 * @param flopsStaged FLOPs per image of the staged cut {@code stagedInput → layer}
 * @param peakTensorFloats the largest single activation (floats per image) inside the staged cut,
 *     a proxy for ONNX Runtime's working set per image
 */
public record LayerCost(
    String layer,
    String stagedInput,
    long activationFloats,
    long featureFloats,
    long flopsFromPixels,
    long flopsStaged,
    long peakTensorFloats) {

  /** @throws IllegalArgumentException for a non-positive size or negative FLOPs */
  public LayerCost {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(stagedInput, "stagedInput");
    if (activationFloats < 1 || featureFloats < 1 || flopsFromPixels < 0 || flopsStaged < 0
        || peakTensorFloats < 1) {
      throw new IllegalArgumentException(
          "layer " + layer + ": sizes must be ≥ 1 and FLOPs ≥ 0, found activation " + activationFloats
              + ", features " + featureFloats + ", FLOPs " + flopsFromPixels + "/" + flopsStaged
              + ", peak " + peakTensorFloats);
    }
  }
}
