package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * TensorFlow's {@code padding="same"} for 2-D windows on {@code [N, C, H, W]} tensors: along each
 * spatial axis of size {@code in}, window {@code k} and stride {@code s}, the total padding is
 * {@code max((ceil(in/s) − 1)·s + k − in, 0)}, of which {@code floor(total/2)} goes before (top /
 * left) and the rest after (bottom / right) — so for stride 2 and an even input the odd pixel lands
 * at the end (TF's {@code GetWindowedOutputSizeVerbose}; ONNX {@code auto_pad=SAME_UPPER}). Keras
 * {@code "valid"} is no padding.
 */
final class TfSame {
  private TfSame() {}

  /**
   * @param in the input size along one axis
   * @param k the window size
   * @param s the stride
   * @return {@code {before, after}} padding
   */
  static int[] pads(long in, int k, int s) {
    long out = (in + s - 1) / s;
    long total = Math.max((out - 1) * s + k - in, 0);
    return new int[] {(int) (total / 2), (int) (total - total / 2)};
  }

  /**
   * @param x {@code [N, C, H, W]}
   * @param k window {@code [kh, kw]}
   * @param s strides {@code [sh, sw]}
   * @return {@code {top, bottom, left, right}} padding of {@code x} under TF "same"
   */
  static int[] pads(NDArray x, int[] k, int[] s) {
    int[] h = pads(x.getShape().get(2), k[0], s[0]);
    int[] w = pads(x.getShape().get(3), k[1], s[1]);
    return new int[] {h[0], h[1], w[0], w[1]};
  }

  /** @return true when {@code p} = {top, bottom, left, right} is all zero */
  static boolean none(int[] p) {
    return p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0;
  }

  /**
   * @param x {@code [N, C, H, W]}
   * @param p {@code {top, bottom, left, right}}
   * @param value the fill value
   * @return {@code x} padded to {@code [N, C, H + top + bottom, W + left + right]} (differentiable)
   */
  static NDArray pad(NDArray x, int[] p, double value) {
    // DJL/PyTorch constant pad: pairs from the last axis backwards (left, right, top, bottom)
    return x.pad(new Shape(p[2], p[3], p[0], p[1]), value);
  }
}
