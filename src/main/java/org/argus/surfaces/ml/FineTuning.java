package org.argus.surfaces.ml;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.KerasLayer;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.provision.ProvisioningException;
import org.argus.runtime.train.FineTuneTrainerFactory;
import org.argus.runtime.train.imported.KerasDjlGraph;
import org.argus.runtime.train.imported.LayerGraphBlock;

/**
 * What is fine-tuned — by {@link DeepImageClassifier} when {@code fineTuneFrom} is set, and by
 * {@code argus train --finetune MODEL --from LAYER} — resolved and checked on the driver before any
 * job: the roster model, the layer L it is frozen up to, the top layer the
 * new head reads, the input size, and L's activation shape.
 *
 * <p>L's activations are materialized once per {@code fit} by {@link DeepImageFeaturizer} (the one
 * ONNX Runtime inference kernel, pooling {@code none}: {@code [C, H, W]} float32 in C, H, W order)
 * and the layers above L train on them in DJL ({@link FineTuneTrainerFactory}, materialized mode):
 * the frozen part is never recomputed per epoch. Prediction runs the same featurizer, then the
 * trained layers in DJL.
 *
 * @param model roster name, e.g. {@code mobilenet_v2}
 * @param from the Keras layer L
 * @param top the highest pretrained layer kept (the model's top curated layer)
 * @param imageSize square input size, pixels
 * @param activationShape L's activations per image, {@code [C, H, W]}
 */
public record FineTuning(String model, String from, String top, int imageSize, long[] activationShape)
    implements Serializable {

  /**
   * Resolves and checks a fine-tuning request.
   *
   * @param model roster model name
   * @param from layer L
   * @param imageSize pixels, 0 for the model's native size
   * @return the resolved request
   * @throws IllegalArgumentException when the model is empty or unknown, L is not one of its
   *     layers (the message lists the curated ones), the size is below the model's minimum, or the
   *     model cannot be cut at L (a residual join above L reads a layer below it; the message
   *     names it) or L is the top layer
   * @throws IllegalStateException when the pretrained model cannot be provisioned
   */
  public static FineTuning resolve(String model, String from, int imageSize) {
    if (model.isEmpty()) {
      throw new IllegalArgumentException("fineTuneFrom='" + from + "' needs modelName (a roster model to fine-tune);"
          + " known: " + String.join(", ", Roster.names()));
    }
    RosterModel r = Roster.get(model);
    TfjsLayersModel keras = load(model);
    List<String> names = keras.layers().stream().map(KerasLayer::name).toList();
    if (!names.contains(from)) {
      throw new IllegalArgumentException("unknown layer '" + from + "' in " + model + "; curated: "
          + String.join(", ", r.featureLayers()) + " (any of its " + names.size() + " Keras layers can be named)");
    }
    int size = imageSize > 0 ? imageSize : r.preprocessing().height();
    if (size < r.minInputSize()) {
      throw new IllegalArgumentException("imageSize " + size + " is below " + model + "'s minimum input of "
          + r.minInputSize() + " pixels");
    }
    String top = r.featureLayers().get(r.featureLayers().size() - 1);
    try {
      KerasDjlGraph.above(keras, from, List.of(top));
      return new FineTuning(model, from, top, size, shape(keras, from, size));
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("cannot fine-tune " + model + " above '" + from + "' (to '" + top + "'): "
          + e.getMessage(), e);
    }
  }

  private static TfjsLayersModel load(String model) {
    try {
      return TfjsLayersModel.load(modelJson(model));
    } catch (ModelFormatException e) {
      throw new IllegalStateException("cannot read the pretrained " + model + ": " + e.getMessage(), e);
    }
  }

  private static Path modelJson(String model) {
    try {
      return PretrainedModels.tfjsDir(model).resolve("model.json");
    } catch (ProvisioningException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot provision the Keras (TF.js) weights of " + model
          + ", which fine-tuning rebuilds in DJL: " + e.getMessage(), e);
    }
  }

  /** L's output shape per image, by DJL's shape inference over the graph input → L. */
  private static long[] shape(TfjsLayersModel keras, String layer, int size) throws ModelFormatException {
    LayerGraphBlock g = KerasDjlGraph.build(keras, List.of(layer));
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      Shape in = new Shape(1, size, size, 3);
      g.initialize(m, DataType.FLOAT32, in);
      long[] s = g.getOutputShapes(new Shape[] {in})[0].getShape();
      return Arrays.copyOfRange(s, 1, s.length);
    }
  }

  /**
   * @param inputCol the image column
   * @param outputCol the activations column to add ({@code array<float>} of C·H·W)
   * @return the featurizer that materializes L's activations
   */
  public DeepImageFeaturizer featurizer(String inputCol, String outputCol) {
    return new DeepImageFeaturizer().setModelName(model).setLayers(from).setPooling("none").setImageSize(imageSize)
        .setOutputType("array").setInputCol(inputCol).setOutputCol(outputCol);
  }

  /**
   * @param classes K
   * @param threads PyTorch intra-op threads per trainer
   * @return the trainer factory over L's materialized activations
   */
  public FineTuneTrainerFactory factory(int classes, int threads) {
    return FineTuneTrainerFactory.builder().setModelJson(modelJson(model)).setFrom(from).setTop(top)
        .setInputShape(activationShape).setClasses(classes).optThreads(threads).build();
  }

  /**
   * Layer L's activations of every image, as training examples (computed when the RDD is first
   * evaluated; persist it when it is read more than once).
   *
   * @param images rows with a Spark image struct column and an integer-valued label column
   * @param imageCol the image column
   * @param labelCol the label column
   * @return one example per image: {@code [C·H·W]} float32 ({@link #activationShape}) and its label
   */
  public JavaRDD<Example> activations(Dataset<Row> images, String imageCol, String labelCol) {
    String col = "__argus_activations";
    return Examples.fromFeatures(featurizer(imageCol, col).transform(images), col, labelCol);
  }
}
