package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Forward shape and type inference over an {@link OnnxModel}'s nodes in topological order. Dims
 * are {@code long}, {@code -1} = unknown; a {@code null} shape = unknown rank.
 */
final class ShapeInference {
  private static final Set<String> SAME_AS_INPUT = Set.of(
      "Identity", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Clip",
      "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf",
      "Floor", "Ceil", "Round", "Reciprocal", "Softplus", "Softsign", "Sign", "Not", "Gelu",
      "BatchNormalization", "InstanceNormalization", "LayerNormalization", "LRN", "Dropout", "Mish");
  private static final Set<String> BROADCAST = Set.of(
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "And", "Or", "Xor", "Equal",
      "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Where", "Mod");
  private static final Set<String> COMPARISONS = Set.of(
      "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor");

  private final OnnxModel model;
  private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
  private final Map<String, long[]> constants = new HashMap<>();
  private final Map<String, ValueInfoProto> declared = new HashMap<>();

  private ShapeInference(OnnxModel model) {
    this.model = model;
  }

  static Map<String, TensorInfo> infer(OnnxModel model, Map<String, long[]> inputShapes) {
    if (inputShapes == null) {
      throw new NullPointerException("inputShapes");
    }
    ShapeInference si = new ShapeInference(model);
    return si.run(inputShapes);
  }

  private Map<String, TensorInfo> run(Map<String, long[]> inputShapes) {
    GraphProto g = model.proto().getGraph();
    for (String k : inputShapes.keySet()) {
      if (!model.inputNames().contains(k)) {
        throw new IllegalArgumentException("unknown graph input '" + k + "' in input shapes of '"
            + model.sourceName() + "'; graph inputs are " + model.inputNames());
      }
    }
    for (ValueInfoProto vi : g.getValueInfoList()) {
      declared.put(vi.getName(), vi);
    }
    for (ValueInfoProto vi : g.getOutputList()) {
      declared.put(vi.getName(), vi);
    }
    for (TensorProto t : model.initializers().values()) {
      long[] v = intValues(t);
      if (v != null) {
        constants.put(t.getName(), v);
      }
    }
    for (ValueInfoProto vi : g.getInputList()) {
      if (model.initializers().containsKey(vi.getName())) {
        continue;
      }
      long[] decl = declaredShape(vi);
      long[] given = inputShapes.get(vi.getName());
      if (given != null) {
        if (decl != null && decl.length != given.length) {
          throw new IllegalArgumentException("shape " + Arrays.toString(given) + " for input '"
              + vi.getName() + "' has rank " + given.length + " but the model declares rank "
              + decl.length + " " + TensorInfo.shapeString(decl));
        }
        for (long d : given) {
          if (d < -1) {
            throw new IllegalArgumentException("shape " + Arrays.toString(given) + " for input '"
                + vi.getName() + "' has dimension " + d + "; valid dims are >= 0, or -1 = unknown");
          }
        }
        decl = given.clone();
      }
      infos.put(vi.getName(), new TensorInfo(vi.getName(), declaredType(vi), decl, "input"));
    }
    List<NodeProto> nodes = model.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      node(nodes.get(i), i);
    }
    return infos;
  }

  private static long[] declaredShape(ValueInfoProto vi) {
    if (!vi.hasType() || !vi.getType().hasTensorType()
        || !vi.getType().getTensorType().hasShape()) {
      return null;
    }
    TensorShapeProto s = vi.getType().getTensorType().getShape();
    long[] d = new long[s.getDimCount()];
    for (int i = 0; i < d.length; i++) {
      TensorShapeProto.Dimension dim = s.getDim(i);
      d[i] = dim.hasDimValue() && dim.getDimValue() >= 0 ? dim.getDimValue() : -1;
    }
    return d;
  }

  private static int declaredType(ValueInfoProto vi) {
    TypeProto t = vi.getType();
    return t.hasTensorType() ? t.getTensorType().getElemType() : 0;
  }

  /** Integer contents of a small INT64/INT32 tensor, or null. */
  static long[] intValues(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    if (n > 64) {
      return null;
    }
    if (t.getDataType() == DataType.INT64_VALUE) {
      if (t.getInt64DataCount() > 0) {
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
      }
      if (t.hasRawData()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 8];
        for (int i = 0; i < v.length; i++) {
          v[i] = b.getLong();
        }
        return v;
      }
      return n == 0 ? new long[0] : null;
    }
    if (t.getDataType() == DataType.INT32_VALUE) {
      if (t.getInt32DataCount() > 0) {
        return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
      }
      if (t.hasRawData()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
          v[i] = b.getInt();
        }
        return v;
      }
    }
    return null;
  }

  private long[] shape(String name) {
    TensorInfo i = infos.get(name);
    if (i != null) {
      return i.shape();
    }
    TensorProto t = model.initializers().get(name);
    if (t != null) {
      return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }
    return null;
  }

  private int type(String name) {
    TensorInfo i = infos.get(name);
    if (i != null) {
      return i.elemType();
    }
    TensorProto t = model.initializers().get(name);
    return t != null ? t.getDataType() : 0;
  }

  private static String in(NodeProto n, int i) {
    return i < n.getInputCount() ? n.getInput(i) : "";
  }

  static AttributeProto attr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  static long attrInt(NodeProto n, String name, long dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getI();
  }

  static long[] attrInts(NodeProto n, String name) {
    AttributeProto a = attr(n, name);
    return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  static String attrString(NodeProto n, String name, String dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getS().toStringUtf8();
  }

  private void put(NodeProto n, int out, int type, long[] shape) {
    if (out < n.getOutputCount() && !n.getOutput(out).isEmpty()) {
      String name = n.getOutput(out);
      infos.put(name, new TensorInfo(name, type, shape, n.getOpType()));
    }
  }

  private void node(NodeProto n, int index) {
    String op = n.getOpType();
    String x = in(n, 0);
    long[] xs = x.isEmpty() ? null : shape(x);
    int xt = x.isEmpty() ? 0 : type(x);
    boolean std = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    if (!std) {
      unknown(n);
      return;
    }
    if (SAME_AS_INPUT.contains(op)) {
      put(n, 0, xt, xs);
      if (op.equals("Dropout")) {
        put(n, 1, DataType.BOOL_VALUE, xs);
      }
      if (n.getOutputCount() > 1 && !op.equals("Dropout")) {
        for (int o = 1; o < n.getOutputCount(); o++) {
          put(n, o, 0, null);
        }
      }
      return;
    }
    if (BROADCAST.contains(op)) {
      long[] s = xs;
      for (int i = 1; i < n.getInputCount(); i++) {
        s = broadcast(s, shape(n.getInput(i)), n, index);
      }
      int t = COMPARISONS.contains(op) ? DataType.BOOL_VALUE
          : op.equals("Where") ? type(in(n, 1)) : xt;
      put(n, 0, t, s);
      return;
    }
    switch (op) {
      case "Conv" -> put(n, 0, xt, conv(n, xs, shape(in(n, 1))));
      case "MaxPool", "AveragePool", "LpPool" -> {
        long[] s = pool(n, xs);
        put(n, 0, xt, s);
        put(n, 1, DataType.INT64_VALUE, s);
      }
      case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" -> {
        long[] s = null;
        if (xs != null) {
          s = xs.clone();
          for (int i = 2; i < s.length; i++) {
            s[i] = 1;
          }
        }
        put(n, 0, xt, s);
      }
      case "Concat" -> put(n, 0, xt, concat(n, index));
      case "Pad" -> put(n, 0, xt, pad(n, xs));
      case "Transpose" -> {
        long[] s = null;
        if (xs != null) {
          long[] perm = attrInts(n, "perm");
          s = new long[xs.length];
          for (int i = 0; i < s.length; i++) {
            s[i] = xs[(int) (perm != null && perm.length == xs.length ? perm[i] : xs.length - 1 - i)];
          }
        }
        put(n, 0, xt, s);
      }
      case "Flatten" -> {
        long[] s = null;
        if (xs != null) {
          int axis = (int) attrInt(n, "axis", 1);
          if (axis < 0) {
            axis += xs.length;
          }
          s = new long[] {product(xs, 0, axis), product(xs, axis, xs.length)};
        }
        put(n, 0, xt, s);
      }
      case "Reshape" -> put(n, 0, xt, reshape(n, xs));
      case "Gemm" -> {
        long[] a = xs;
        long[] b = shape(in(n, 1));
        long m = a == null || a.length != 2 ? -1 : a[attrInt(n, "transA", 0) != 0 ? 1 : 0];
        long nn = b == null || b.length != 2 ? -1 : b[attrInt(n, "transB", 0) != 0 ? 0 : 1];
        put(n, 0, xt, new long[] {m, nn});
      }
      case "MatMul" -> put(n, 0, xt, matmul(xs, shape(in(n, 1)), n, index));
      case "Cast" -> put(n, 0, (int) attrInt(n, "to", 0), xs);
      case "Shape" -> {
        put(n, 0, DataType.INT64_VALUE, xs == null ? new long[] {-1} : new long[] {xs.length});
        boolean known = xs != null && attr(n, "start") == null && attr(n, "end") == null;
        if (known) {
          for (long d : xs) {
            known &= d >= 0;
          }
        }
        if (known) {
          constants.put(n.getOutput(0), xs.clone());
        }
      }
      case "Squeeze" -> put(n, 0, xt, squeeze(n, xs));
      case "Unsqueeze" -> put(n, 0, xt, unsqueeze(n, xs));
      case "Constant" -> constant(n);
      default -> unknown(n);
    }
  }

  private void unknown(NodeProto n) {
    for (int o = 0; o < n.getOutputCount(); o++) {
      ValueInfoProto vi = declared.get(n.getOutput(o));
      if (vi != null) {
        put(n, o, declaredType(vi), declaredShape(vi));
      } else {
        put(n, o, 0, null);
      }
    }
  }

  private void constant(NodeProto n) {
    AttributeProto a = attr(n, "value");
    if (a != null && a.hasT()) {
      TensorProto t = a.getT();
      put(n, 0, t.getDataType(), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
      long[] v = intValues(t);
      if (v != null) {
        constants.put(n.getOutput(0), v);
      }
    } else if ((a = attr(n, "value_ints")) != null) {
      put(n, 0, DataType.INT64_VALUE, new long[] {a.getIntsCount()});
      constants.put(n.getOutput(0), a.getIntsList().stream().mapToLong(Long::longValue).toArray());
    } else if ((a = attr(n, "value_int")) != null) {
      put(n, 0, DataType.INT64_VALUE, new long[0]);
      constants.put(n.getOutput(0), new long[] {a.getI()});
    } else if ((a = attr(n, "value_float")) != null) {
      put(n, 0, DataType.FLOAT_VALUE, new long[0]);
    } else if ((a = attr(n, "value_floats")) != null) {
      put(n, 0, DataType.FLOAT_VALUE, new long[] {a.getFloatsCount()});
    } else {
      unknown(n);
    }
  }

  private static long product(long[] s, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (s[i] < 0) {
        return -1;
      }
      p *= s[i];
    }
    return p;
  }

  /** Merges two dims that must agree; -1 if both unknown. */
  private static long merge(long a, long b, NodeProto n, int index, String what) {
    if (a < 0) {
      return b;
    }
    if (b < 0 || a == b) {
      return a;
    }
    throw new IllegalArgumentException("node " + OnnxModel.label(n, index) + ": " + what
        + " dims " + a + " and " + b + " differ");
  }

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
        throw new IllegalArgumentException("node " + OnnxModel.label(n, index)
            + ": cannot broadcast " + TensorInfo.shapeString(a) + " with "
            + TensorInfo.shapeString(b) + " (dims " + da + " and " + db
            + "; valid: equal or 1)");
      }
    }
    return s;
  }

  private long[] conv(NodeProto n, long[] xs, long[] ws) {
    int rank = xs != null ? xs.length : ws != null ? ws.length : -1;
    if (rank < 3) {
      return null;
    }
    int sp = rank - 2;
    long[] kernel = attrInts(n, "kernel_shape");
    if (kernel == null && ws != null && ws.length == rank) {
      kernel = Arrays.copyOfRange(ws, 2, rank);
    }
    long[] s = new long[rank];
    s[0] = xs != null ? xs[0] : -1;
    s[1] = ws != null && ws.length == rank ? ws[0] : -1;
    spatial(n, xs, kernel, sp, s, false);
    return s;
  }

  private long[] pool(NodeProto n, long[] xs) {
    if (xs == null || xs.length < 3) {
      return null;
    }
    long[] s = xs.clone();
    spatial(n, xs, attrInts(n, "kernel_shape"), xs.length - 2, s, attrInt(n, "ceil_mode", 0) != 0);
    return s;
  }

  /** Fills s[2..] with the output spatial dims of a Conv or pool. */
  private static void spatial(NodeProto n, long[] xs, long[] kernel, int sp, long[] s,
      boolean ceil) {
    long[] pads = attrInts(n, "pads");
    long[] strides = attrInts(n, "strides");
    long[] dil = attrInts(n, "dilations");
    String autoPad = attrString(n, "auto_pad", "NOTSET");
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
              + "): kernel " + eff + " (with dilation) is larger than the padded input " + (in + pb + pe)
              + " in spatial dim " + i + "; the input is too small for this network");
        }
        out = ceil ? Math.floorDiv(num + st - 1, st) + 1 : Math.floorDiv(num, st) + 1;
        if (ceil && (out - 1) * st >= in + pb) {
          out--;
        }
      }
      s[i + 2] = out;
    }
  }

  private long[] concat(NodeProto n, int index) {
    long[] s = null;
    int axis = (int) attrInt(n, "axis", 1);
    for (String i : n.getInputList()) {
      long[] t = shape(i);
      if (t == null) {
        return null;
      }
      int ax = axis < 0 ? axis + t.length : axis;
      if (s == null) {
        s = t.clone();
        continue;
      }
      if (t.length != s.length) {
        throw new IllegalArgumentException("node " + OnnxModel.label(n, index) + ": input '" + i
            + "' has rank " + t.length + " but the first input has rank " + s.length);
      }
      for (int d = 0; d < s.length; d++) {
        if (d == ax) {
          s[d] = s[d] < 0 || t[d] < 0 ? -1 : s[d] + t[d];
        } else {
          s[d] = merge(s[d], t[d], n, index, "concatenated inputs' non-axis");
        }
      }
    }
    return s;
  }

  private long[] pad(NodeProto n, long[] xs) {
    if (xs == null) {
      return null;
    }
    long[] pads = n.getInputCount() > 1 && !n.getInput(1).isEmpty()
        ? constants.get(n.getInput(1)) : attrInts(n, "pads");
    long[] s = xs.clone();
    if (pads == null) {
      Arrays.fill(s, -1);
      return s;
    }
    long[] axes = null;
    if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
      axes = constants.get(n.getInput(3));
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

  private long[] reshape(NodeProto n, long[] xs) {
    long[] target = constants.get(in(n, 1));
    if (target == null) {
      long[] ts = shape(in(n, 1));
      if (ts != null && ts.length == 1 && ts[0] >= 0) {
        long[] s = new long[(int) ts[0]];
        Arrays.fill(s, -1);
        return s;
      }
      return null;
    }
    boolean allowZero = attrInt(n, "allowzero", 0) != 0;
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
      long total = 1;
      boolean known = xs != null;
      for (int i = 0; known && i < xs.length; i++) {
        if (copied[i]) {
          continue; // the same dim appears on both sides and cancels out
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
      s[inferAt] = known && rest > 0 ? total / rest : -1;
    }
    return s;
  }

  private static long[] matmul(long[] a, long[] b, NodeProto n, int index) {
    if (a == null || b == null || a.length == 0 || b.length == 0) {
      return null;
    }
    boolean a1 = a.length == 1;
    boolean b1 = b.length == 1;
    long[] aa = a1 ? new long[] {1, a[0]} : a;
    long[] bb = b1 ? new long[] {b[0], 1} : b;
    merge(aa[aa.length - 1], bb[bb.length - 2], n, index, "MatMul inner (K)");
    long[] batch = broadcast(Arrays.copyOf(aa, aa.length - 2), Arrays.copyOf(bb, bb.length - 2),
        n, index);
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

  private long[] axes(NodeProto n) {
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      return constants.get(n.getInput(1));
    }
    return attrInts(n, "axes");
  }

  private long[] squeeze(NodeProto n, long[] xs) {
    if (xs == null) {
      return null;
    }
    long[] axes = axes(n);
    boolean hasAxesInput = n.getInputCount() > 1 && !n.getInput(1).isEmpty();
    if (axes == null && hasAxesInput) {
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
    return java.util.stream.IntStream.range(0, xs.length).filter(i -> !drop[i])
        .mapToLong(i -> xs[i]).toArray();
  }

  private long[] unsqueeze(NodeProto n, long[] xs) {
    long[] axes = axes(n);
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
