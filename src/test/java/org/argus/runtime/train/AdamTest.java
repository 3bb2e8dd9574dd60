package org.argus.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one-call Adam update against Kingma &amp; Ba's Alg. 1 written out in double precision. */
class AdamTest {
  /**
   * Runs {@code steps} updates of both from weights in [−1, 1] and returns the largest absolute
   * difference of the weights (float32 rounding leaves a few ulps, ≈ 1e-7 at |w| ≈ 0.5).
   */
  private static double largestDifference(double gradScale, float lr, float wd, int steps) {
    return largestDifference(gradScale, lr, wd, steps, Adam.B2);
  }

  private static double largestDifference(double gradScale, float lr, float wd, int steps, double b2) {
    ZeroedAllocations.ensure();
    SplittableRandom r = new SplittableRandom(11);
    int n = 64;
    float[] w0 = new float[n];
    for (int i = 0; i < n; i++) {
      w0[i] = (float) r.nextDouble(-1, 1);
    }
    double[] w = new double[n];
    double[] m = new double[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = w0[i];
    }
    double worst = 0;
    try (NDManager nd = NDManager.newBaseManager()) {
      NDArray tw = nd.create(w0, new Shape(n));
      NDArray tm = nd.zeros(new Shape(n));
      NDArray tv = nd.zeros(new Shape(n));
      for (int t = 1; t <= steps; t++) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
          g[i] = (float) (gradScale * r.nextDouble(-1, 1));
        }
        NDArray tg = nd.create(g, new Shape(n));
        Adam.step(tw, tg, tm, tv, lr, wd, t, b2);
        assertArrayEquals(g, tg.toFloatArray(), "the gradient is left as it was");
        tg.close();
        double c1 = 1 - Math.pow(Adam.B1, t);
        double c2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < n; i++) {
          double gi = g[i] + wd * w[i];
          m[i] = Adam.B1 * m[i] + (1 - Adam.B1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          w[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + Adam.EPS);
        }
        float[] got = tw.toFloatArray();
        for (int i = 0; i < n; i++) {
          worst = Math.max(worst, Math.abs(got[i] - w[i]));
        }
      }
    }
    return worst;
  }

  @Test
  void theOneCallUpdateFollowsAlgorithmOneWithWeightDecay() {
    double d = largestDifference(1.0, 0.01f, 0.05f, 20);
    assertTrue(d < 1e-6, "largest difference from Alg. 1 over 20 steps of about 0.01 each: " + d);
  }

  @Test
  void gradientsAsSmallAsEpsilonAreDampedAsAlgorithmOneDampsThem() {
    // sqrt(v/c2) ≈ |g| ≈ 1e-8 ≈ ε: Alg. 1 steps about 0.003; an ε added to sqrt(v) without the
    // bias correction would step about 0.0002
    double d = largestDifference(1e-8, 0.01f, 0f, 5);
    assertTrue(d < 1e-6, "largest difference from Alg. 1 with gradients near ε: " + d);
  }

  @Test
  void anotherBeta2FollowsAlgorithmOneWithThatBeta2() {
    double d = largestDifference(1.0, 0.01f, 0.05f, 20, 0.95);
    assertTrue(d < 1e-6, "largest difference from Alg. 1 (β2 0.95) over 20 steps: " + d);
  }
}
