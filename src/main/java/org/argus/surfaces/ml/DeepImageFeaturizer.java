package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.InferenceStage;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.Pooling;

/**
 * Spark ML transformer that appends deep features of an image column: the activations of one or
 * more layers of a pretrained CNN, all computed in one ONNX Runtime pass over the graph cut from
 * the pixel input to those layers (partial inference: nothing above the highest layer runs).
 *
 * <p>Input: a Spark image struct column ({@code spark.read.format("image")}, {@code FashionMnist})
 * or binary encoded image bytes ({@code binaryFile}'s {@code content}). Each image is resized
 * (bilinear) and scaled per the model's preprocessing spec, e.g. MobileNetV2: {@code [N,224,224,3]}
 * float32 NHWC, RGB, x/255 (the roster's feature-extraction default, {@code Roster.FEATURE_SCALING}).
 *
 * <p>Output: one column {@code outputCol} for one layer, else one column {@code outputCol_<layer>}
 * per layer, in the order given. A 4-D activation ({@code [N,C,H,W]}, NCHW as every Keras layer of
 * the imported models) is reduced by {@code pooling} (none → C·H·W floats in C,H,W order; avg/max →
 * C floats; avg:K/max:K → C·K·K floats, channel-major; Vista, Nakandala et al., SIGMOD 2020, §4
 * uses max:2 as default); other activations are flattened. Type {@code vector} (ml DenseVector, for
 * MLlib) or {@code array} ({@code array<float>}, compact for materialization).
 *
 * <p>Example: {@code new DeepImageFeaturizer().setModelName("mobilenet_v2")
 * .setLayers("block_13_expand_relu").setPooling("avg").transform(images)}.
 */
public final class DeepImageFeaturizer extends ImageModelStage<DeepImageFeaturizer> {
  private static final long serialVersionUID = 1L;

  /** {@code outputType} values. */
  public static final String[] OUTPUT_TYPES = {"vector", "array"};

  private final Param<String> outputCol;
  private final StringArrayParam layers;
  private final Param<String> pooling;
  private final Param<String> outputType;

  /** Creates a featurizer with a random uid. */
  public DeepImageFeaturizer() {
    this(Identifiable.randomUID("deepImageFeaturizer"));
  }

  /** @param uid the stage's unique id (used by persistence and {@code copy}) */
  public DeepImageFeaturizer(String uid) {
    super(uid);
    outputCol = new Param<>(this, "outputCol",
        "output column for one layer; with several layers the columns are outputCol_<layer>");
    layers = new StringArrayParam(this, "layers",
        "layer (tensor) names of the model whose activations become features; all are computed "
            + "in one pass over the graph cut at the highest one");
    pooling = new Param<>(this, "pooling",
        "reduction of 4-D NCHW activations: none, avg, max, avg:K or max:K (K x K grid)",
        (String s) -> {
          try {
            Pooling.parse(s);
            return true;
          } catch (IllegalArgumentException e) {
            return false;
          }
        });
    outputType = new Param<>(this, "outputType",
        "vector (ml DenseVector, for MLlib) or array (array<float>)",
        ParamValidators.inArray(OUTPUT_TYPES));
    setDefault(outputCol, "features");
    setDefault(layers, new String[0]);
    setDefault(pooling, Pooling.VISTA_DEFAULT.toString());
    setDefault(outputType, "vector");
  }

  /** @return the output column param (default {@code features}) */
  public Param<String> outputCol() {
    return outputCol;
  }

  /** @return the layers param (required) */
  public StringArrayParam layers() {
    return layers;
  }

  /** @return the pooling param (default {@code max:2}) */
  public Param<String> pooling() {
    return pooling;
  }

  /** @return the output type param (default {@code vector}) */
  public Param<String> outputType() {
    return outputType;
  }

  /** @return the output column (prefix with several layers) */
  public String getOutputCol() {
    return $(outputCol);
  }

  /** @return the layers */
  public String[] getLayers() {
    return $(layers);
  }

  /** @return the pooling text */
  public String getPooling() {
    return $(pooling);
  }

  /** @return vector or array */
  public String getOutputType() {
    return $(outputType);
  }

  /**
   * @param value output column name (prefix with several layers)
   * @return this stage
   */
  public DeepImageFeaturizer setOutputCol(String value) {
    set(outputCol, value);
    return this;
  }

  /**
   * @param value one or more layer (tensor) names of the model
   * @return this stage
   */
  public DeepImageFeaturizer setLayers(String... value) {
    set(layers, value);
    return this;
  }

  /**
   * @param value none, avg, max, avg:K or max:K
   * @return this stage
   * @throws IllegalArgumentException for any other text, listing the valid forms
   */
  public DeepImageFeaturizer setPooling(String value) {
    Pooling.parse(value);
    set(pooling, value);
    return this;
  }

  /**
   * @param value vector or array
   * @return this stage
   */
  public DeepImageFeaturizer setOutputType(String value) {
    set(outputType, value);
    return this;
  }

  /** @return the output column names, one per layer, in the order of {@link #getLayers()} */
  public List<String> outputColumns() {
    String[] l = getLayers();
    if (l.length == 1) {
      return List.of(getOutputCol());
    }
    List<String> out = new ArrayList<>();
    for (String s : l) {
      out.add(getOutputCol() + "_" + s);
    }
    return out;
  }

  @Override
  List<InferenceStage.Output> outputs(ResolvedModel r) {
    List<String> layers = Arrays.asList(getLayers());
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("DeepImageFeaturizer " + uid() + ": set layers to at least one layer of "
          + r.name() + "; " + r.validLayers());
    }
    r.orderLayers(layers); // checks names (one message listing the valid ones) and duplicates
    Emit.Features emit = new Emit.Features(Pooling.parse(getPooling()), getOutputType().equals("vector"));
    List<String> cols = outputColumns();
    List<InferenceStage.Output> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      out.add(new InferenceStage.Output(cols.get(i), layers.get(i), emit));
    }
    return out;
  }

  /** @return the reader used by {@code DeepImageFeaturizer.load} and {@code PipelineModel.load} */
  public static MLReader<DeepImageFeaturizer> read() {
    return new StagePersistence.Reader<>(DeepImageFeaturizer.class);
  }

  /**
   * @param path directory written by {@code write().save(path)}
   * @return the loaded stage
   * @throws IllegalArgumentException if the directory is not a saved featurizer or is too new
   * @throws IllegalStateException if the referenced model's sha256 changed
   */
  public static DeepImageFeaturizer load(String path) {
    return read().load(path);
  }
}
