package org.argus.runtime.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.TfjsLayersModel;

/**
 * Trainers that fine-tune a pretrained Keras CNN (a TF.js layers model, rebuilt in DJL by {@link
 * org.argus.runtime.train.imported.KerasDjlGraph}) above a layer L: everything up to L is frozen
 * (frozen BatchNorm uses its moving statistics, as Keras with {@code trainable=False}); the layers
 * above L up to a top layer (default: the model's last curated feature layer the caller names) are
 * trained from their pretrained weights; a new head — global average pooling of the top layer (when
 * it is an image) then Linear(classes), Glorot-uniform from the trial seed — is trained from
 * scratch. Loss: softmax cross-entropy; optimizer: Adam ({@link Adam}) with learning rate {@code
 * lr} [1e-3] for the head and {@code body_lr} [1e-4] for the pretrained layers above L; {@code
 * batch} [32]. BatchNorm layers above L: {@code bn=moving} [default] normalizes with the moving
 * statistics while γ and β train (Keras's recommendation for fine-tuning: BatchNormalization kept in
 * inference mode); {@code bn=batch} uses batch statistics and updates the moving ones (Keras
 * momentum), as Keras with {@code training=True}.
 *
 * <p>Two input modes ({@link Builder#optMaterialized}):
 *
 * <ul>
 *   <li><b>materialized</b> (default): each example is L's activations, {@code [C, H, W]} NCHW
 *       float32 (or {@code [F]}), computed once beforehand (e.g. by the staged engine from the
 *       imported ONNX graph, whose tensor L has exactly this layout): no frozen-part recomputation
 *       per epoch. L is fixed by the factory; a config's {@code from} must equal it.
 *   <li><b>images</b>: each example is an image {@code [H, W, 3]} NHWC float32 preprocessed as the
 *       model expects; the frozen part (input → L) runs in inference mode on every batch. L is the
 *       config's {@code from} hyperparameter [the factory's L], so model selection can choose how
 *       deep to fine-tune ({@code from=choice(...)}).
 * </ul>
 *
 * <p>Serializable (shipped to executors): it holds the model's path, not the model; each JVM loads
 * a model once.
 */
public final class FineTuneTrainerFactory implements TrainerFactory {
  private static final long serialVersionUID = 1L;
  private static final Map<String, TfjsLayersModel> MODELS = new ConcurrentHashMap<>();

  private final String modelJson;
  private final String from;
  private final String top;
  private final long[] inputShape;
  private final int classes;
  private final boolean materialized;
  private final int threads;

  private FineTuneTrainerFactory(Builder b) {
    this.modelJson = b.modelJson.toAbsolutePath().toString();
    this.from = b.from;
    this.top = b.top;
    this.inputShape = b.inputShape.clone();
    this.classes = b.classes;
    this.materialized = b.materialized;
    this.threads = b.threads;
  }

  /** @return a builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link FineTuneTrainerFactory}; {@code set…} are required, {@code opt…} optional. */
  public static final class Builder {
    private Path modelJson;
    private String from;
    private String top;
    private long[] inputShape;
    private int classes;
    private boolean materialized = true;
    private int threads;

    private Builder() {}

    /** @param modelJson the TF.js layers {@code model.json} (weights next to it) */
    public Builder setModelJson(Path modelJson) {
      this.modelJson = modelJson;
      return this;
    }

    /** @param from the Keras layer L to fine-tune above (the default {@code from}) */
    public Builder setFrom(String from) {
      this.from = from;
      return this;
    }

    /** @param top the highest pretrained layer kept; the new head reads it */
    public Builder setTop(String top) {
      this.top = top;
      return this;
    }

    /**
     * @param shape per-example input shape: L's activations {@code [C, H, W]} (materialized) or
     *     the image {@code [H, W, 3]}
     */
    public Builder setInputShape(long... shape) {
      this.inputShape = shape.clone();
      return this;
    }

    /** @param classes output classes, {@code >= 2} */
    public Builder setClasses(int classes) {
      this.classes = classes;
      return this;
    }

    /** @param materialized true [default] when inputs are L's activations, false for images */
    public Builder optMaterialized(boolean materialized) {
      this.materialized = materialized;
      return this;
    }

    /** @param threads PyTorch intra-op threads per trainer; 0 [default] keeps the JVM's setting */
    public Builder optThreads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * @return the factory
     * @throws NullPointerException when a required value is missing
     * @throws IllegalArgumentException when {@code classes < 2}, {@code threads < 0} or the input
     *     shape is empty
     */
    public FineTuneTrainerFactory build() {
      Objects.requireNonNull(modelJson, "modelJson");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(top, "top");
      Objects.requireNonNull(inputShape, "inputShape");
      if (classes < 2) {
        throw new IllegalArgumentException("classes must be >= 2; found " + classes);
      }
      if (threads < 0) {
        throw new IllegalArgumentException("threads must be >= 0; found " + threads);
      }
      if (inputShape.length == 0) {
        throw new IllegalArgumentException("inputShape is empty; expected [C, H, W] or [H, W, 3]");
      }
      return new FineTuneTrainerFactory(this);
    }
  }

  /**
   * @throws TrainingException when the model cannot be read, {@code from} is not a layer that
   *     every path to the top passes through (the message names the join), a layer has no DJL
   *     equivalent, or a materialized factory gets another {@code from}
   */
  @Override
  public Trainer create(Hyperparameters config, long seed) throws TrainingException {
    String l = config.getString("from", from);
    if (materialized && !l.equals(from)) {
      throw new TrainingException("config " + config + " asks for from=" + l + " but this"
          + " factory's inputs are the materialized activations of '" + from + "'", null);
    }
    return new FineTuneTrainer(this, config, l, seed);
  }

  @Override
  public byte[] average(List<byte[]> states) throws TrainingException {
    return DjlTrainerFactory.averageStates(states);
  }

  @Override
  public String describe() {
    return "djl-pytorch finetune " + Path.of(modelJson).getParent().getFileName() + " above "
        + from + " to " + top + (materialized ? " (materialized)" : " (images)") + " "
        + Arrays.toString(inputShape) + " -> " + classes;
  }

  /**
   * @return the model, loaded once per JVM
   * @throws TrainingException when it cannot be read
   */
  TfjsLayersModel model() throws TrainingException {
    TfjsLayersModel m = MODELS.get(modelJson);
    if (m == null) {
      try {
        m = TfjsLayersModel.load(Path.of(modelJson));
      } catch (ModelFormatException e) {
        throw new TrainingException("cannot read " + modelJson + ": " + e.getMessage(), e);
      }
      MODELS.putIfAbsent(modelJson, m);
    }
    return m;
  }

  String top() {
    return top;
  }

  long[] inputShape() {
    return inputShape.clone();
  }

  int classes() {
    return classes;
  }

  boolean materialized() {
    return materialized;
  }

  int threads() {
    return threads;
  }
}
