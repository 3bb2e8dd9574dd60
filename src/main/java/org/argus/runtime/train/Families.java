package org.argus.runtime.train;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/**
 * Built-in model families. Hyperparameters read from the config (defaults in brackets):
 *
 * <ul>
 *   <li>{@code mlp}: flatten → {@code depth} [2] × (Linear({@code width} [128]) → ReLU) →
 *       Linear(classes).
 *   <li>{@code cnn} (Fashion-MNIST, input {@code [1, 28, 28]}): Conv 3×3 {@code filters} [16] pad 1
 *       → ReLU → max-pool 2 → Conv 3×3 2·filters → ReLU → max-pool 2 → flatten → Linear({@code
 *       width} [64]) → ReLU → Linear(classes).
 *   <li>{@code head} (feature columns): Linear(classes) — multinomial logistic regression — when
 *       {@code width} is 0 [0]; else {@code depth} [1] × (Linear({@code width}) → ReLU → Dropout({@code
 *       dropout} [0])) → Linear(classes). Dropout (Srivastava et al., JMLR 2014) is active in training
 *       only.
 * </ul>
 *
 * <p>Fine-tuning a pretrained CNN is not a block family (its weights are not initialized from the
 * seed): {@link FineTuneTrainerFactory} is the {@code finetune} trainer factory, with the layer to
 * fine-tune above as the {@code from} hyperparameter.
 */
public final class Families {
  /** The built-in family names. */
  public static final List<String> NAMES = List.of("mlp", "cnn", "head");

  private Families() {}

  /**
   * @param name a built-in family
   * @return its block factory
   * @throws IllegalArgumentException for an unknown name
   */
  public static BlockFactory get(String name) {
    return switch (name) {
      case "mlp" -> Families::mlp;
      case "cnn" -> Families::cnn;
      case "head" -> Families::head;
      default ->
          throw new IllegalArgumentException(
              "unknown model family '" + name + "'; valid: " + String.join(", ", NAMES));
    };
  }

  static Block mlp(Hyperparameters c, int classes) {
    SequentialBlock b = new SequentialBlock().add(Blocks.batchFlattenBlock());
    int depth = c.getInt("depth", 2);
    for (int i = 0; i < depth; i++) {
      b.add(Linear.builder().setUnits(c.getInt("width", 128)).build()).add(Activation::relu);
    }
    return b.add(Linear.builder().setUnits(classes).build());
  }

  static Block cnn(Hyperparameters c, int classes) {
    int f = c.getInt("filters", 16);
    return new SequentialBlock()
        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(f).build())
        .add(Activation::relu)
        .add(Pool.maxPool2dBlock(new Shape(2, 2)))
        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(2 * f).build())
        .add(Activation::relu)
        .add(Pool.maxPool2dBlock(new Shape(2, 2)))
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(c.getInt("width", 64)).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(classes).build());
  }

  static Block head(Hyperparameters c, int classes) {
    SequentialBlock b = new SequentialBlock().add(Blocks.batchFlattenBlock());
    int w = c.getInt("width", 0);
    double dropout = c.getDouble("dropout", 0);
    if (dropout < 0 || dropout >= 1) {
      throw new IllegalArgumentException("dropout must be in [0, 1); config " + c);
    }
    for (int i = 0; w > 0 && i < c.getInt("depth", 1); i++) {
      b.add(Linear.builder().setUnits(w).build()).add(Activation::relu);
      if (dropout > 0) {
        b.add(ai.djl.nn.norm.Dropout.builder().optRate((float) dropout).build());
      }
    }
    return b.add(Linear.builder().setUnits(classes).build());
  }
}
