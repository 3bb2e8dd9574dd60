package org.argus.model.roster;

import java.util.List;
import java.util.Objects;

/**
 * One named pretrained CNN of the {@link Roster}: where it comes from, its input tensor, its
 * preprocessing per stage (feature extraction vs the classifier head), the layers curated for
 * feature transfer and its classifier head's labels.
 *
 * @param name roster name, e.g. {@code mobilenet_v2}
 * @param description one line for {@code argus models list}
 * @param source provenance of the weights (package, version, licence, what was retrained)
 * @param inputTensor the ONNX graph input, {@code [N, H, W, 3] float32 NHWC} for imported Keras
 *     models
 * @param preprocessing the default preprocessing for feature extraction (featurizer, feature
 *     transfer, training on features), at the native size
 * @param predictorPreprocessing the default preprocessing for the classifier head ({@code
 *     DeepImagePredictor}): what the head was trained with, at the native size
 * @param minInputSize the smallest square input the conv body accepts, in pixels
 * @param featureLayers layers curated for feature transfer, bottom to top (Keras layer names)
 * @param outputTensor the classifier head's output tensor ({@code [N, labels] float32}, softmax)
 * @param labels class names of the head, in output order
 */
public record RosterModel(
    String name,
    String description,
    String source,
    String inputTensor,
    PreprocessingSpec preprocessing,
    PreprocessingSpec predictorPreprocessing,
    int minInputSize,
    List<String> featureLayers,
    String outputTensor,
    List<String> labels) {

  /**
   * Validates and copies the lists.
   *
   * @throws NullPointerException when {@code name}, {@code inputTensor}, a preprocessing or a list
   *     is null
   */
  public RosterModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(inputTensor, "inputTensor");
    Objects.requireNonNull(preprocessing, "preprocessing");
    Objects.requireNonNull(predictorPreprocessing, "predictorPreprocessing");
    featureLayers = List.copyOf(featureLayers);
    labels = List.copyOf(labels);
  }
}
