package org.argus.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One Adam update of one parameter, in place (Kingma &amp; Ba, ICLR 2015, Alg. 1; β1 0.9, β2 0.999,
 * ε 1e-8): {@code m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; w −= lr·(m/c1) / (sqrt(v/c2) + ε)}
 * with the bias corrections {@code c1 = 1 − β1^t}, {@code c2 = 1 − β2^t}. Shared by the trainers
 * of this package, so their optimizer state means the same thing.
 */
final class Adam {
  static final double B1 = 0.9;
  static final double B2 = 0.999;
  static final double EPS = 1e-8;

  private Adam() {}

  /**
   * @param w the weight, updated in place
   * @param g its gradient (attached to {@code tmp} or another short-lived manager)
   * @param m the first-moment slot, updated in place
   * @param v the second-moment slot, updated in place
   * @param lr the learning rate
   * @param step the step number {@code t ≥ 1}
   * @param tmp a manager closed after the step: every temporary is attached to it
   */
  static void step(NDArray w, NDArray g, NDArray m, NDArray v, float lr, long step, NDManager tmp) {
    float c1 = (float) (1 - Math.pow(B1, step));
    float c2 = (float) (1 - Math.pow(B2, step));
    m.muli((float) B1).addi(g.mul((float) (1 - B1)));
    v.muli((float) B2).addi(g.square().muli((float) (1 - B2)));
    NDArray denom = temp(tmp, temp(tmp, v.div(c2)).sqrt()).addi((float) EPS);
    w.subi(temp(tmp, m.div(c1)).divi(denom).muli(lr));
  }

  /** Attaches {@code a} to {@code tmp} and returns it. */
  static NDArray temp(NDManager tmp, NDArray a) {
    a.attach(tmp);
    return a;
  }
}
