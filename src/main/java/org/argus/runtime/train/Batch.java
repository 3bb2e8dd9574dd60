package org.argus.runtime.train;

/**
 * A mini-batch. {@code x} is {@code [n, inputShape...]} float32 row-major (images: {@code [n, C, H,
 * W]} NCHW, values in [0, 1]); {@code y} holds {@code n} class indices in {@code [0, classes)}.
 *
 * @param x features, length {@code n * prod(inputShape)}
 * @param y labels, length {@code n}
 */
public record Batch(float[] x, int[] y) {
  /** @return examples in the batch */
  public int size() {
    return y.length;
  }
}
