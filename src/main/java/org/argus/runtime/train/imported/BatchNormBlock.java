package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;

/**
 * Keras {@code BatchNormalization} over the channel axis (axis 1 of {@code [N, C, H, W]} or {@code
 * [N, F]}), Ioffe &amp; Szegedy, ICML 2015, Alg. 1–2. Inference (and frozen layers, as Keras with
 * {@code trainable=False}): {@code γ·(x − moving_mean)/sqrt(moving_variance + ε) + β} with the
 * Keras {@code epsilon}. Training: batch statistics, and the moving statistics updated in place as
 * Keras does ({@code moving = momentum·moving + (1 − momentum)·batch}, i.e. PyTorch momentum {@code
 * 1 − momentum}; PyTorch's {@code batch_norm}, which uses the unbiased batch variance for the
 * update) — unless {@link #setBatchStatistics} turned that off, then training also normalizes with
 * the moving statistics (γ and β still train). {@code scale=false} / {@code center=false} give a
 * fixed γ = 1 / β = 0 (not trained).
 */
final class BatchNormBlock extends NodeBlock {
  private final float epsilon;
  private final float momentum;
  private final Parameter gamma;
  private final Parameter beta;
  private final Parameter mean;
  private final Parameter var;
  private boolean batchStatistics = true;

  /**
   * @param layer the Keras layer name
   * @param gamma γ {@code [C]}; null when the layer has no {@code scale}
   * @param beta β {@code [C]}; null when the layer has no {@code center}
   * @param mean moving mean {@code [C]}
   * @param var moving variance {@code [C]}
   * @param epsilon the Keras epsilon
   * @param momentum the Keras momentum (e.g. 0.99)
   */
  BatchNormBlock(String layer, float[] gamma, float[] beta, float[] mean, float[] var,
      float epsilon, float momentum) {
    super(layer);
    int c = mean.length;
    Shape s = new Shape(c);
    this.epsilon = epsilon;
    this.momentum = momentum;
    this.gamma = addParameter(pretrained("gamma", Parameter.Type.GAMMA, s,
        gamma == null ? fill(c, 1f) : gamma, gamma != null));
    this.beta = addParameter(pretrained("beta", Parameter.Type.BETA, s,
        beta == null ? fill(c, 0f) : beta, beta != null));
    this.mean = addParameter(pretrained("moving_mean", Parameter.Type.RUNNING_MEAN, s, mean, false));
    this.var = addParameter(pretrained("moving_variance", Parameter.Type.RUNNING_VAR, s, var, false));
  }

  private static float[] fill(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  /**
   * @param on true [default]: training uses batch statistics and updates the moving ones; false:
   *     training normalizes with the moving statistics and leaves them unchanged
   */
  void setBatchStatistics(boolean on) {
    this.batchStatistics = on;
  }

  @Override
  NDArray apply(ParameterStore ps, NDList in, boolean training) {
    NDArray x = in.singletonOrThrow();
    return JniUtils.batchNorm((PtNDArray) x,
        (PtNDArray) value(ps, mean, x, training),
        (PtNDArray) value(ps, var, x, training),
        (PtNDArray) value(ps, gamma, x, training),
        (PtNDArray) value(ps, beta, x, training),
        training && batchStatistics, 1.0 - momentum, epsilon);
  }
}
