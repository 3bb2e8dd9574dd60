package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;

/** Arithmetic on partially known dimensions: {@code -1} = unknown, a {@code null} shape = unknown rank. */
final class Dims {
  private Dims() {}

  /** @return the product of {@code s[from..to)}, or -1 if one of them is unknown */
  static long product(long[] s, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (s[i] < 0) {
        return -1;
      }
      p *= s[i];
    }
    return p;
  }

  /**
   * Merges two dims that must agree.
   *
   * @return the known one (or {@code a} when both are known and equal); -1 if both are unknown
   * @throws IllegalArgumentException when both are known and differ, naming the node and {@code what}
   */
  static long merge(long a, long b, NodeProto n, int index, String what) {
    if (a < 0) {
      return b;
    }
    if (b < 0 || a == b) {
      return a;
    }
    throw new IllegalArgumentException("node " + Nodes.label(n, index) + ": " + what
        + " dims " + a + " and " + b + " differ");
  }

  /**
   * Numpy-style (multidirectional) broadcasting of two shapes, as the ONNX spec's
   * "Broadcasting in ONNX" defines it: align on the right, a dim of 1 stretches; an unknown dim
   * takes the other's value.
   *
   * @return the broadcast shape, or null when either rank is unknown
   * @throws IllegalArgumentException when two known dims differ and neither is 1
   */
  static long[] broadcast(long[] a, long[] b, NodeProto n, int index) {
    if (a == null || b == null) {
      return null;
    }
    int r = Math.max(a.length, b.length);
    long[] s = new long[r];
    for (int i = 0; i < r; i++) {
      long da = i < r - a.length ? 1 : a[i - (r - a.length)];
      long db = i < r - b.length ? 1 : b[i - (r - b.length)];
      if (da == 1) {
        s[i] = db;
      } else if (db == 1) {
        s[i] = da;
      } else if (da < 0) {
        s[i] = db;
      } else if (db < 0 || da == db) {
        s[i] = da;
      } else {
        throw new IllegalArgumentException("node " + Nodes.label(n, index)
            + ": cannot broadcast " + TensorInfo.shapeString(a) + " with "
            + TensorInfo.shapeString(b) + " (dims " + da + " and " + db
            + "; valid: equal or 1)");
      }
    }
    return s;
  }
}
