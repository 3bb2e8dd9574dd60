package org.argus.surfaces.ml;

import org.apache.spark.ml.param.Params;

/**
 * A stage whose behaviour depends on an ONNX graph: what {@link StagePersistence} needs to record
 * the graph's sha256 and, for a file-backed model, embed its bytes.
 */
interface ModelBackedStage extends Params {
  /** @return the roster model name, or empty for a file-backed model */
  String getModelName();

  /** @return the ONNX file path, or empty for a roster model */
  String getModelPath();

  /** @return whether save copies the ONNX file into the saved directory */
  boolean getEmbedModel();

  /**
   * @param path new ONNX file path (set on load to the embedded copy)
   * @return this stage
   */
  Object setModelPath(String path);

  /** @return sha256 of the full graph the params resolve to */
  String modelSha256();
}
