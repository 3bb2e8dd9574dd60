package org.argus.surfaces.ml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.InferenceStage;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.roster.Roster;

/**
 * Spark ML transformer that appends a classifier's predictions for an image column: the class
 * probabilities of the model's output tensor (roster: {@code dense_3}, softmax over the nsfwjs
 * 5-class head) and the top-k classes as {@code array<struct<label:string, probability:float>>},
 * most probable first (ties: lower class index first). Labels come from {@code labelsPath} (one
 * per line, class index order), else the roster model's own or those an ONNX file records in its
 * metadata ({@code argus.labels}, as a spliced model does); with {@code decodePredictions=false}
 * or no labels a label is the class index in decimal. Input and invalid-row handling as in {@link
 * DeepImageFeaturizer}.
 *
 * <p>Preprocessing: for a roster model without an explicit {@code preprocessing} param the
 * predictor feeds the head the way the models' own client does ({@link
 * org.argus.model.roster.RosterModel#predictorPreprocessing()}: nsfwjs's {@code x/255} in {@code
 * [0, 1]} with TF.js's aligned-corners bilinear resize), not the feature-extraction default; its
 * 5 probabilities then match nsfwjs's {@code classify} within 1e-3 on images at the native size
 * ({@code NsfwjsParityTest}, bench/results/parity.md). {@code imageSize} still overrides the size.
 *
 * <p>A spliced model (a fused selection's winner, {@link org.argus.model.splice.HeadSplice}: CNN →
 * pooling → trained head → softmax in one graph, without structured columns) needs only {@code
 * setModelPath("…/best/model.onnx")}: its preprocessing spec and labels are read from the file's
 * metadata (leave {@code imageSize} at 0: the graph's pooling is fixed for the recorded size).
 */
public final class DeepImagePredictor extends ImageModelStage<DeepImagePredictor> {
  private static final long serialVersionUID = 1L;

  private final Param<String> outputCol;
  private final Param<String> probabilityCol;
  private final IntParam topK;
  private final BooleanParam decodePredictions;
  private final Param<String> labelsPath;
  private final Param<String> outputTensor;

  /** Creates a predictor with a random uid. */
  public DeepImagePredictor() {
    this(Identifiable.randomUID("deepImagePredictor"));
  }

  /** @param uid the stage's unique id */
  public DeepImagePredictor(String uid) {
    super(uid);
    outputCol = new Param<>(this, "outputCol",
        "top-k predictions column, array<struct<label:string,probability:float>>");
    probabilityCol = new Param<>(this, "probabilityCol",
        "column of all class probabilities (array<float>); empty = do not add it");
    topK = new IntParam(this, "topK", "number of top classes to keep", ParamValidators.gtEq(1));
    decodePredictions = new BooleanParam(this, "decodePredictions",
        "label predictions with class names (true) or class indices (false)");
    labelsPath = new Param<>(this, "labelsPath",
        "Hadoop-FS path of a labels file, one label per line in class order; empty = the roster's labels "
            + "or those recorded in the model file's metadata");
    outputTensor = new Param<>(this, "outputTensor",
        "probability tensor of the graph; empty = the roster's output or the graph's only output");
    setDefault(outputCol, "predictions");
    setDefault(probabilityCol, "probability");
    setDefault(topK, 5);
    setDefault(decodePredictions, true);
    setDefault(labelsPath, "");
    setDefault(outputTensor, "");
  }

  /** @return the predictions column param (default {@code predictions}) */
  public Param<String> outputCol() {
    return outputCol;
  }

  /** @return the probability column param (default {@code probability}) */
  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  /** @return the top-k param (default 5) */
  public IntParam topK() {
    return topK;
  }

  /** @return the decodePredictions param (default true) */
  public BooleanParam decodePredictions() {
    return decodePredictions;
  }

  /** @return the labels file param (default empty) */
  public Param<String> labelsPath() {
    return labelsPath;
  }

  /** @return the output tensor param (default empty) */
  public Param<String> outputTensor() {
    return outputTensor;
  }

  /**
   * @param value predictions column name
   * @return this stage
   */
  public DeepImagePredictor setOutputCol(String value) {
    set(outputCol, value);
    return this;
  }

  /**
   * @param value probability column name, empty for none
   * @return this stage
   */
  public DeepImagePredictor setProbabilityCol(String value) {
    set(probabilityCol, value);
    return this;
  }

  /**
   * @param value classes to keep, ≥ 1
   * @return this stage
   */
  public DeepImagePredictor setTopK(int value) {
    set(topK, value);
    return this;
  }

  /**
   * @param value label with names (true) or indices (false)
   * @return this stage
   */
  public DeepImagePredictor setDecodePredictions(boolean value) {
    set(decodePredictions, value);
    return this;
  }

  /**
   * @param value labels file path (one per line), empty for the roster's labels
   * @return this stage
   */
  public DeepImagePredictor setLabelsPath(String value) {
    set(labelsPath, value);
    return this;
  }

  /**
   * @param value probability tensor name
   * @return this stage
   */
  public DeepImagePredictor setOutputTensor(String value) {
    set(outputTensor, value);
    return this;
  }

  /**
   * Resolves the model with the head's own preprocessing for a roster model when none is set.
   *
   * @return the resolved model
   * @throws IllegalArgumentException for an unknown roster name or a bad model/path combination
   */
  @Override
  ResolvedModel resolved() {
    String spec = getPreprocessing();
    if (spec.isEmpty() && !getModelName().isEmpty() && getModelPath().isEmpty()) {
      spec = Roster.get(getModelName()).predictorPreprocessing().compact();
    }
    return StageModels.resolve(getModelName(), getModelPath(), spec, getImageSize());
  }

  @Override
  List<InferenceStage.Output> outputs(ResolvedModel r) {
    String t = $(outputTensor).isEmpty() ? r.outputTensor().orElse(null) : $(outputTensor);
    if (t == null) {
      throw new IllegalArgumentException(
          "model " + r.name() + " has several outputs " + r.graph().outputNames()
              + "; set outputTensor to the probability tensor");
    }
    r.orderLayers(List.of(t)); // an unknown tensor fails here, listing the valid names
    List<InferenceStage.Output> out = new ArrayList<>();
    if (!$(probabilityCol).isEmpty()) {
      out.add(new InferenceStage.Output($(probabilityCol), t, new Emit.Probabilities()));
    }
    out.add(new InferenceStage.Output($(outputCol), t, new Emit.TopK((Integer) $(topK), labels(r))));
    return out;
  }

  /**
   * @return the class names: none without decodePredictions, else the labels file, the roster's or
   *     the file's recorded ones
   */
  private List<String> labels(ResolvedModel r) {
    if (!(Boolean) $(decodePredictions)) {
      return List.of();
    }
    if ($(labelsPath).isEmpty()) {
      return r.labels();
    }
    String text = new String(StageModels.readBytes($(labelsPath)), StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (String line : text.split("\r?\n")) {
      if (!line.isBlank()) {
        out.add(line.strip());
      }
    }
    return out;
  }

  /** @return the reader used by {@code DeepImagePredictor.load} and {@code PipelineModel.load} */
  public static MLReader<DeepImagePredictor> read() {
    return new StagePersistence.Reader<>(DeepImagePredictor.class);
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the loaded stage
   * @throws IllegalArgumentException if the directory is not a saved predictor or is too new
   * @throws IllegalStateException if the referenced model's sha256 changed
   */
  public static DeepImagePredictor load(String path) {
    return read().load(path);
  }

}
