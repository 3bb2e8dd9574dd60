package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.Arrays;
import java.util.Map;

/**
 * Shape rules of matrix products (ONNX operator spec, opset 13). Gemm: {@code A [M, K]} (or {@code
 * [K, M]} with {@code transA}) times {@code B [K, N]} (or {@code [N, K]} with {@code transB}) gives
 * {@code [M, N]}. MatMul follows {@code numpy.matmul}: the last two dims multiply ({@code [.., M,
 * K] × [.., K, N]}), leading dims broadcast, a rank-1 operand is promoted to a matrix and its
 * added dim removed again.
 */
final class MatrixShapes {
  private MatrixShapes() {}

  /** @return the rules of this family by op type */
  static Map<String, ShapeRule> rules() {
    return Map.of(
        "Gemm", MatrixShapes::gemm,
        "MatMul", (si, n, index) -> si.put(n, 0, si.inputType(n, 0),
            matmul(si.inputShape(n, 0), si.shape(Nodes.input(n, 1)), n, index)));
  }

  private static void gemm(ShapeInference si, NodeProto n, int index) {
    long[] a = si.inputShape(n, 0);
    long[] b = si.shape(Nodes.input(n, 1));
    long m = a == null || a.length != 2 ? -1 : a[Nodes.attrInt(n, "transA", 0) != 0 ? 1 : 0];
    long nn = b == null || b.length != 2 ? -1 : b[Nodes.attrInt(n, "transB", 0) != 0 ? 0 : 1];
    si.put(n, 0, si.inputType(n, 0), new long[] {m, nn});
  }

  private static long[] matmul(long[] a, long[] b, NodeProto n, int index) {
    if (a == null || b == null || a.length == 0 || b.length == 0) {
      return null;
    }
    boolean a1 = a.length == 1;
    boolean b1 = b.length == 1;
    long[] aa = a1 ? new long[] {1, a[0]} : a;
    long[] bb = b1 ? new long[] {b[0], 1} : b;
    Dims.merge(aa[aa.length - 1], bb[bb.length - 2], n, index, "MatMul inner (K)");
    long[] batch = Dims.broadcast(Arrays.copyOf(aa, aa.length - 2),
        Arrays.copyOf(bb, bb.length - 2), n, index);
    long[] s = Arrays.copyOf(batch, batch.length + 2);
    s[batch.length] = aa[aa.length - 2];
    s[batch.length + 1] = bb[bb.length - 1];
    if (a1 && b1) {
      return Arrays.copyOf(s, s.length - 2);
    }
    if (a1) {
      long[] r = Arrays.copyOf(s, s.length - 1);
      r[r.length - 1] = s[s.length - 1];
      return r;
    }
    return b1 ? Arrays.copyOf(s, s.length - 1) : s;
  }
}
