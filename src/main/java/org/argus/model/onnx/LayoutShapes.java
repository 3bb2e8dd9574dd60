package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Shape rules of data-movement ops (ONNX operator spec, opset 13): Concat (sum along {@code axis},
 * other dims must agree), Pad (pads from the second input's constant value, or the {@code pads}
 * attribute of older opsets; optional {@code axes}), Transpose ({@code perm}, default reversed),
 * Flatten (to 2-D at {@code axis}), Reshape (target from a constant: {@code 0} copies the input dim
 * unless {@code allowzero}, one {@code -1} is inferred from the element count), Squeeze and
 * Unsqueeze (axes from the second input's constant value or the {@code axes} attribute). A target or
 * pad amount that is not a known constant gives unknown dims of the known rank.
 */
final class LayoutShapes {
  private LayoutShapes() {}

  /** @return the rules of this family by op type */
  static Map<String, ShapeRule> rules() {
    Map<String, ShapeRule> m = new HashMap<>();
    m.put("Concat", (si, n, i) -> si.put(n, 0, si.inputType(n, 0), concat(si, n, i)));
    m.put("Pad", (si, n, i) -> si.put(n, 0, si.inputType(n, 0), pad(si, n, si.inputShape(n, 0))));
    m.put("Transpose", (si, n, i) ->
        si.put(n, 0, si.inputType(n, 0), transpose(n, si.inputShape(n, 0))));
    m.put("Flatten", (si, n, i) ->
        si.put(n, 0, si.inputType(n, 0), flatten(n, si.inputShape(n, 0))));
    m.put("Reshape", (si, n, i) ->
        si.put(n, 0, si.inputType(n, 0), reshape(si, n, si.inputShape(n, 0))));
    m.put("Squeeze", (si, n, i) ->
        si.put(n, 0, si.inputType(n, 0), squeeze(si, n, si.inputShape(n, 0))));
    m.put("Unsqueeze", (si, n, i) ->
        si.put(n, 0, si.inputType(n, 0), unsqueeze(si, n, si.inputShape(n, 0))));
    return m;
  }

  private static long[] concat(ShapeInference si, NodeProto n, int index) {
    long[] s = null;
    int axis = (int) Nodes.attrInt(n, "axis", 1);
    for (String i : n.getInputList()) {
      long[] t = si.shape(i);
      if (t == null) {
        return null;
      }
      int ax = axis < 0 ? axis + t.length : axis;
      if (s == null) {
        s = t.clone();
        continue;
      }
      if (t.length != s.length) {
        throw new IllegalArgumentException("node " + Nodes.label(n, index) + ": input '" + i
            + "' has rank " + t.length + " but the first input has rank " + s.length);
      }
      for (int d = 0; d < s.length; d++) {
        if (d == ax) {
          s[d] = s[d] < 0 || t[d] < 0 ? -1 : s[d] + t[d];
        } else {
          s[d] = Dims.merge(s[d], t[d], n, index, "concatenated inputs' non-axis");
        }
      }
    }
    return s;
  }

  private static long[] pad(ShapeInference si, NodeProto n, long[] xs) {
    if (xs == null) {
      return null;
    }
    long[] pads = Nodes.hasInput(n, 1) ? si.constant(n.getInput(1)) : Nodes.attrInts(n, "pads");
    long[] s = xs.clone();
    if (pads == null) {
      Arrays.fill(s, -1);
      return s;
    }
    long[] axes = null;
    if (Nodes.hasInput(n, 3)) {
      axes = si.constant(n.getInput(3));
      if (axes == null) {
        Arrays.fill(s, -1);
        return s;
      }
    }
    int k = axes != null ? axes.length : xs.length;
    if (pads.length != 2 * k) {
      Arrays.fill(s, -1);
      return s;
    }
    for (int j = 0; j < k; j++) {
      int ax = (int) (axes == null ? j : axes[j] < 0 ? axes[j] + xs.length : axes[j]);
      s[ax] = xs[ax] < 0 ? -1 : xs[ax] + pads[j] + pads[j + k];
    }
    return s;
  }

  private static long[] transpose(NodeProto n, long[] xs) {
    if (xs == null) {
      return null;
    }
    long[] perm = Nodes.attrInts(n, "perm");
    long[] s = new long[xs.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = xs[(int) (perm != null && perm.length == xs.length ? perm[i] : xs.length - 1 - i)];
    }
    return s;
  }

  private static long[] flatten(NodeProto n, long[] xs) {
    if (xs == null) {
      return null;
    }
    int axis = (int) Nodes.attrInt(n, "axis", 1);
    if (axis < 0) {
      axis += xs.length;
    }
    return new long[] {Dims.product(xs, 0, axis), Dims.product(xs, axis, xs.length)};
  }

  private static long[] reshape(ShapeInference si, NodeProto n, long[] xs) {
    long[] target = si.constant(Nodes.input(n, 1));
    if (target == null) {
      long[] ts = si.shape(Nodes.input(n, 1));
      if (ts != null && ts.length == 1 && ts[0] >= 0) {
        long[] s = new long[(int) ts[0]];
        Arrays.fill(s, -1);
        return s;
      }
      return null;
    }
    boolean allowZero = Nodes.attrInt(n, "allowzero", 0) != 0;
    long[] s = target.clone();
    boolean[] copied = new boolean[xs == null ? 0 : xs.length];
    int inferAt = -1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == 0 && !allowZero) {
        if (xs != null && i < xs.length) {
          s[i] = xs[i];
          copied[i] = true;
        } else {
          s[i] = -1;
        }
      } else if (target[i] == -1) {
        inferAt = i;
      }
    }
    if (inferAt >= 0) {
      s[inferAt] = inferredDim(xs, s, copied, inferAt);
    }
    return s;
  }

  /**
   * The dim Reshape's {@code -1} stands for: input elements / other target dims, leaving out dims
   * copied by {@code 0} (they appear on both sides and cancel out); -1 when one is unknown.
   */
  private static long inferredDim(long[] xs, long[] s, boolean[] copied, int inferAt) {
    long total = 1;
    boolean known = xs != null;
    for (int i = 0; known && i < xs.length; i++) {
      if (copied[i]) {
        continue;
      }
      known = xs[i] >= 0;
      total *= Math.max(xs[i], 0);
    }
    long rest = 1;
    for (int i = 0; known && i < s.length; i++) {
      if (i == inferAt || (i < copied.length && copied[i])) {
        continue;
      }
      known = s[i] >= 0;
      rest *= s[i];
    }
    return known && rest > 0 ? total / rest : -1;
  }

  /** Squeeze/Unsqueeze axes: the second input's constant value (opset 13), else the attribute. */
  private static long[] axes(ShapeInference si, NodeProto n) {
    if (Nodes.hasInput(n, 1)) {
      return si.constant(n.getInput(1));
    }
    return Nodes.attrInts(n, "axes");
  }

  private static long[] squeeze(ShapeInference si, NodeProto n, long[] xs) {
    if (xs == null) {
      return null;
    }
    long[] axes = axes(si, n);
    if (axes == null && Nodes.hasInput(n, 1)) {
      return null;
    }
    boolean[] drop = new boolean[xs.length];
    if (axes == null) {
      for (int i = 0; i < xs.length; i++) {
        if (xs[i] < 0) {
          return null;
        }
        drop[i] = xs[i] == 1;
      }
    } else {
      for (long a : axes) {
        drop[(int) (a < 0 ? a + xs.length : a)] = true;
      }
    }
    return IntStream.range(0, xs.length).filter(i -> !drop[i]).mapToLong(i -> xs[i]).toArray();
  }

  private static long[] unsqueeze(ShapeInference si, NodeProto n, long[] xs) {
    long[] axes = axes(si, n);
    if (xs == null || axes == null) {
      return null;
    }
    int r = xs.length + axes.length;
    boolean[] ins = new boolean[r];
    for (long a : axes) {
      ins[(int) (a < 0 ? a + r : a)] = true;
    }
    long[] s = new long[r];
    for (int i = 0, j = 0; i < r; i++) {
      s[i] = ins[i] ? 1 : xs[j++];
    }
    return s;
  }
}
