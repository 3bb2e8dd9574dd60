package org.argus.surfaces.ml;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.PredictionModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.Vector;

/**
 * The last stage of a pipeline registered as a SQL function ({@link Argus#registerPipeline}):
 * a batch of feature vectors → the predicted labels. Runs on the executors.
 */
interface FeaturePredictor extends Serializable {
  /**
   * @param features one {@code [F]} vector per row
   * @return the predicted label of each row, in order
   */
  List<Double> predict(List<Vector> features);

  /**
   * @param stage a Spark ML {@code PredictionModel} over vectors (row by row) or a {@link
   *     DeepImageClassificationModel} (one DJL batch)
   * @return the predictor, or null for another stage
   */
  @SuppressWarnings("unchecked")
  static FeaturePredictor of(Transformer stage) {
    if (stage instanceof DeepImageClassificationModel m) {
      return m::predictLabels;
    }
    if (stage instanceof PredictionModel<?, ?> p) {
      PredictionModel<Vector, ?> model = (PredictionModel<Vector, ?>) p;
      return features -> {
        List<Double> out = new ArrayList<>(features.size());
        for (Vector v : features) {
          out.add(model.predict(v));
        }
        return out;
      };
    }
    return null;
  }
}
