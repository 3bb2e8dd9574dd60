package org.argus.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One Adam update of one parameter, in place (Kingma &amp; Ba, ICLR 2015, Alg. 1; β1 0.9, β2 0.999,
 * ε 1e-8) with L2 weight decay folded into the gradient: {@code g' = g + wd·w; m = β1·m +
 * (1−β1)·g'; v = β2·v + (1−β2)·g'²; w −= lr·(m/c1) / (sqrt(v/c2) + ε)} with the bias corrections
 * {@code c1 = 1 − β1^t}, {@code c2 = 1 − β2^t}. Shared by the trainers of this package, so their
 * optimizer state means the same thing.
 *
 * <p>The update is one engine call: PyTorch kernels in DJL's JNI ({@code JniUtils.adamUpdate}),
 * which computes {@code w −= lr'·m / (sqrt(v) + ε')}. With {@code lr' = lr·sqrt(c2)/c1} and {@code ε'
 * = ε·sqrt(c2)} that is Alg. 1's expression multiplied out, so only the rounding differs from
 * writing Alg. 1 as separate tensor operations (AdamTest checks it against Alg. 1 in double
 * precision). A head's step is a few small tensors, so each JNI call costs about as much as its
 * arithmetic: the separate form took 14 calls and 5 temporaries per parameter (measured on the
 * development machine: 1.13 vs 1.27 ms per step of a [64, 5 184] logistic-regression head, medians
 * of 6 interleaved runs).
 */
final class Adam {
  static final double B1 = 0.9;
  static final double B2 = 0.999;
  static final double EPS = 1e-8;

  private Adam() {}

  /**
   * @param w the weight, updated in place
   * @param g its gradient, not modified
   * @param m the first-moment slot (same shape as {@code w}), updated in place
   * @param v the second-moment slot (same shape as {@code w}), updated in place
   * @param lr the learning rate
   * @param wd the L2 weight decay (0: none)
   * @param step the step number {@code t ≥ 1}
   */
  static void step(NDArray w, NDArray g, NDArray m, NDArray v, float lr, float wd, long step) {
    step(w, g, m, v, lr, wd, step, B2);
  }

  /**
   * As {@link #step(NDArray, NDArray, NDArray, NDArray, float, float, long)} with another β2.
   *
   * @param beta2 the second-moment decay β2, in (0, 1)
   */
  static void step(NDArray w, NDArray g, NDArray m, NDArray v, float lr, float wd, long step, double beta2) {
    double c1 = 1 - Math.pow(B1, step);
    double sqrtC2 = Math.sqrt(1 - Math.pow(beta2, step));
    JniUtils.adamUpdate((PtNDArray) w, (PtNDArray) g, (PtNDArray) m, (PtNDArray) v, lr,
        (float) (lr * sqrtC2 / c1), wd, 1f, -1f, (float) B1, (float) beta2, (float) (EPS * sqrtC2), false);
  }
}
