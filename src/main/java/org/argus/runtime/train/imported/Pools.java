package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.KerasLayer;

/**
 * Keras pooling on {@code [N, C, H, W]}: {@code MaxPooling2D} / {@code AveragePooling2D} with
 * {@code strides} defaulting to {@code pool_size} and TF padding ({@link TfSame}); max pooling pads
 * with −∞, average pooling excludes the padding from the mean as TF does (computed as the mean of
 * the zero-padded input divided by the mean of a zero-padded mask of ones, which stays exact for
 * asymmetric padding). {@code GlobalAveragePooling2D} / {@code GlobalMaxPooling2D} reduce H and W
 * to {@code [N, C]}, or {@code [N, C, 1, 1]} with {@code keepdims}.
 */
final class Pools {
  private Pools() {}

  /** @return the block of a MaxPooling2D or AveragePooling2D layer */
  static NodeBlock pool(KerasLayer l, int rank) throws ModelFormatException {
    KerasArgs.require4d(l, rank);
    int[] k = KerasArgs.pair(l, "pool_size", new int[] {2, 2});
    int[] s = KerasArgs.pair(l, "strides", k);
    boolean same = KerasArgs.same(l);
    boolean max = l.className().equals("MaxPooling2D");
    Shape ks = new Shape(k[0], k[1]);
    Shape ss = new Shape(s[0], s[1]);
    Shape zero = new Shape(0, 0);
    return LayerBlocks.op(l, in -> {
      NDArray x = in.singletonOrThrow();
      int[] p = same ? TfSame.pads(x, k, s) : new int[4];
      if (max) {
        NDArray padded = TfSame.none(p) ? x : TfSame.pad(x, p, Double.NEGATIVE_INFINITY);
        return padded.getNDArrayInternal().maxPool(ks, ss, zero, false);
      }
      if (TfSame.none(p)) {
        return x.getNDArrayInternal().avgPool(ks, ss, zero, false, true);
      }
      NDArray sum = TfSame.pad(x, p, 0).getNDArrayInternal().avgPool(ks, ss, zero, false, true);
      NDArray ones = x.getManager().ones(new Shape(1, 1, x.getShape().get(2), x.getShape().get(3)));
      NDArray count = TfSame.pad(ones, p, 0).getNDArrayInternal().avgPool(ks, ss, zero, false, true);
      return sum.div(count);
    });
  }

  /** @return the block of a GlobalAveragePooling2D or GlobalMaxPooling2D layer */
  static NodeBlock global(KerasLayer l, int rank) throws ModelFormatException {
    KerasArgs.require4d(l, rank);
    boolean keep = l.config().path("keepdims").asBoolean(false);
    boolean max = l.className().equals("GlobalMaxPooling2D");
    return LayerBlocks.op(l, in -> {
      NDArray x = in.singletonOrThrow();
      long n = x.getShape().get(0);
      long c = x.getShape().get(1);
      NDArray flat = x.reshape(n, c, -1);
      NDArray r = max ? flat.max(new int[] {2}) : flat.mean(new int[] {2});
      return keep ? r.reshape(n, c, 1, 1) : r;
    });
  }
}
