package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Shape rules of Conv and pooling (ONNX operator spec, opset 13). Output spatial size per dim:
 * {@code floor((in + pad_begin + pad_end − ((k−1)·dilation + 1)) / stride) + 1} ({@code ceil} with
 * {@code ceil_mode=1}, dropping a last window that starts in the end padding); {@code auto_pad}
 * SAME_UPPER/SAME_LOWER gives {@code ceil(in / stride)}, VALID ignores {@code pads}. Conv's channel
 * count is the weight's dim 0; pools keep the input's channels (MaxPool's optional indices output
 * is int64 of the same shape); global pools reduce every spatial dim to 1.
 */
final class ConvPoolShapes {
  private ConvPoolShapes() {}

  /** @return the rules of this family by op type */
  static Map<String, ShapeRule> rules() {
    Map<String, ShapeRule> m = new HashMap<>();
    m.put("Conv", ConvPoolShapes::conv);
    for (String op : new String[] {"MaxPool", "AveragePool", "LpPool"}) {
      m.put(op, ConvPoolShapes::pool);
    }
    for (String op : new String[] {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}) {
      m.put(op, ConvPoolShapes::globalPool);
    }
    return m;
  }

  private static void conv(ShapeInference si, NodeProto n, int index) {
    long[] xs = si.inputShape(n, 0);
    long[] ws = si.shape(Nodes.input(n, 1));
    si.put(n, 0, si.inputType(n, 0), convShape(n, xs, ws));
  }

  private static long[] convShape(NodeProto n, long[] xs, long[] ws) {
    int rank = xs != null ? xs.length : ws != null ? ws.length : -1;
    if (rank < 3) {
      return null;
    }
    int sp = rank - 2;
    long[] kernel = Nodes.attrInts(n, "kernel_shape");
    if (kernel == null && ws != null && ws.length == rank) {
      kernel = Arrays.copyOfRange(ws, 2, rank);
    }
    long[] s = new long[rank];
    s[0] = xs != null ? xs[0] : -1;
    s[1] = ws != null && ws.length == rank ? ws[0] : -1;
    spatial(n, xs, kernel, sp, s, false);
    return s;
  }

  private static void pool(ShapeInference si, NodeProto n, int index) {
    long[] xs = si.inputShape(n, 0);
    long[] s = null;
    if (xs != null && xs.length >= 3) {
      s = xs.clone();
      spatial(n, xs, Nodes.attrInts(n, "kernel_shape"), xs.length - 2, s,
          Nodes.attrInt(n, "ceil_mode", 0) != 0);
    }
    si.put(n, 0, si.inputType(n, 0), s);
    si.put(n, 1, DataType.INT64_VALUE, s);
  }

  private static void globalPool(ShapeInference si, NodeProto n, int index) {
    long[] xs = si.inputShape(n, 0);
    long[] s = null;
    if (xs != null) {
      s = xs.clone();
      for (int i = 2; i < s.length; i++) {
        s[i] = 1;
      }
    }
    si.put(n, 0, si.inputType(n, 0), s);
  }

  /**
   * Fills {@code s[2..]} with the output spatial dims of a Conv or pool.
   *
   * @throws IllegalArgumentException when the (dilated) kernel is larger than the padded input
   */
  private static void spatial(NodeProto n, long[] xs, long[] kernel, int sp, long[] s,
      boolean ceil) {
    long[] pads = Nodes.attrInts(n, "pads");
    long[] strides = Nodes.attrInts(n, "strides");
    long[] dil = Nodes.attrInts(n, "dilations");
    String autoPad = Nodes.attrString(n, "auto_pad", "NOTSET");
    for (int i = 0; i < sp; i++) {
      long in = xs != null ? xs[i + 2] : -1;
      long k = kernel != null && kernel.length == sp ? kernel[i] : -1;
      long st = strides != null && strides.length == sp ? strides[i] : 1;
      long d = dil != null && dil.length == sp ? dil[i] : 1;
      long pb = pads != null && pads.length == 2 * sp ? pads[i] : 0;
      long pe = pads != null && pads.length == 2 * sp ? pads[i + sp] : 0;
      long out;
      if (in < 0) {
        out = -1;
      } else if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
        out = (in + st - 1) / st;
      } else if (k < 0) {
        out = -1;
      } else {
        long eff = (k - 1) * d + 1;
        if (autoPad.equals("VALID")) {
          pb = 0;
          pe = 0;
        }
        long num = in + pb + pe - eff;
        if (num < 0) {
          throw new IllegalArgumentException("node '" + n.getName() + "' (" + n.getOpType()
              + "): kernel " + eff + " (with dilation) is larger than the padded input "
              + (in + pb + pe) + " in spatial dim " + i + "; the input is too small for this network");
        }
        out = ceil ? Math.floorDiv(num + st - 1, st) + 1 : Math.floorDiv(num, st) + 1;
        if (ceil && (out - 1) * st >= in + pb) {
          out--;
        }
      }
      s[i + 2] = out;
    }
  }
}
