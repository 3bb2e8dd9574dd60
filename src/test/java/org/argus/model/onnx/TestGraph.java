package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A tiny ONNX graph builder for tests: float32 NCHW activations, opset 13, IR 8, weights drawn
 * from a seeded {@link SplittableRandom} (uniform in [-0.5, 0.5)). Node names equal the name of
 * their (first) output.
 */
final class TestGraph {
  private final GraphProto.Builder g = GraphProto.newBuilder().setName("test");
  private final SplittableRandom rnd;

  TestGraph(long seed) {
    rnd = new SplittableRandom(seed);
  }

  /** Declares a float32 graph input; -1 dims become dim_params (N for dim 0, else name_dI). */
  TestGraph input(String name, long... shape) {
    g.addInput(OnnxModel.valueInfo(name, TensorProto.DataType.FLOAT_VALUE, shape));
    return this;
  }

  /** Declares float32 graph outputs without a shape. */
  TestGraph output(String... names) {
    for (String n : names) {
      g.addOutput(ValueInfoProto.newBuilder().setName(n).setType(TypeProto.newBuilder()
          .setTensorType(TypeProto.Tensor.newBuilder()
              .setElemType(TensorProto.DataType.FLOAT_VALUE))).build());
    }
    return this;
  }

  /** Adds a float32 initializer with seeded random values. */
  String weights(String name, long... dims) {
    long n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    for (long i = 0; i < n; i++) {
      t.addFloatData((float) (rnd.nextDouble() - 0.5));
    }
    g.addInitializer(t);
    return name;
  }

  /** Adds a float32 initializer filled with {@code value}. */
  String filled(String name, float value, long... dims) {
    long n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    for (long i = 0; i < n; i++) {
      t.addFloatData(value);
    }
    g.addInitializer(t);
    return name;
  }

  /** Adds an int64 initializer. */
  String ints(String name, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    g.addInitializer(t);
    return name;
  }

  static AttributeProto intsAttr(String name, long... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }

  static AttributeProto i(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(v).build();
  }

  static AttributeProto s(String name, String v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
  }

  /** Adds a node named after its output. */
  String node(String op, String out, String[] inputs, AttributeProto... attrs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addOutput(out);
    for (String in : inputs) {
      n.addInput(in);
    }
    for (AttributeProto a : attrs) {
      n.addAttribute(a);
    }
    g.addNode(n);
    return out;
  }

  /** Conv k×k, stride s, symmetric pad p, with bias; weights {@code out_w}, {@code out_b}. */
  String conv(String out, String x, int cin, int cout, int k, int s, int p) {
    String w = weights(out + "_w", cout, cin, k, k);
    String b = weights(out + "_b", cout);
    return node("Conv", out, new String[] {x, w, b}, intsAttr("kernel_shape", k, k),
        intsAttr("strides", s, s), intsAttr("pads", p, p, p, p));
  }

  String relu(String out, String x) {
    return node("Relu", out, new String[] {x});
  }

  String add(String out, String a, String b) {
    return node("Add", out, new String[] {a, b});
  }

  String concat(String out, String... xs) {
    return node("Concat", out, xs, i("axis", 1));
  }

  String maxPool(String out, String x, int k, int s, int p) {
    return node("MaxPool", out, new String[] {x}, intsAttr("kernel_shape", k, k),
        intsAttr("strides", s, s), intsAttr("pads", p, p, p, p));
  }

  /** Gemm with transB=1: x [N, in] → [N, out]. */
  String gemm(String out, String x, int in, int outDim) {
    String w = weights(out + "_w", outDim, in);
    String b = weights(out + "_b", outDim);
    return node("Gemm", out, new String[] {x, w, b}, i("transB", 1));
  }

  ModelProto build() {
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("argus-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build();
  }

  GraphProto.Builder graph() {
    return g;
  }

  /**
   * Residual net: x [N,3,H,W] → c1 (Conv 3→8, 3×3, pad 1) → r1 (Relu) → c2 (Conv 8→8) → r2 →
   * add_1 = r1 + r2 → pool (MaxPool 2×2 s2) → gap (GlobalAveragePool) → flat (Flatten) → fc
   * (Gemm 8→4).
   */
  static ModelProto residual(long h, long w) {
    TestGraph t = new TestGraph(1);
    t.input("x", -1, 3, h, w);
    t.relu("r1", t.conv("c1", "x", 3, 8, 3, 1, 1));
    t.relu("r2", t.conv("c2", "r1", 8, 8, 3, 1, 1));
    t.add("add_1", "r1", "r2");
    t.maxPool("pool", "add_1", 2, 2, 0);
    t.node("GlobalAveragePool", "gap", new String[] {"pool"});
    t.node("Flatten", "flat", new String[] {"gap"}, i("axis", 1));
    t.gemm("fc", "flat", 8, 4);
    return t.output("fc").build();
  }

  /**
   * Inception-like net: x [N,3,H,W] → stem (Conv 3→8 1×1) → r0; branches b1 (Conv 1×1 8→4),
   * b2 (Conv 3×3 pad 1 8→6), b3 (MaxPool 3×3 s1 pad 1 → Conv 1×1 8→2); mixed = Concat axis 1
   * [N,12,H,W] → down (Conv 12→16 3×3 s2 auto_pad SAME_UPPER) → rd (Relu) → head (Conv 16→4 3×3
   * auto_pad VALID) → out (Relu).
   */
  static ModelProto inception(long h, long w) {
    TestGraph t = new TestGraph(2);
    t.input("x", -1, 3, h, w);
    t.relu("r0", t.conv("stem", "x", 3, 8, 1, 1, 0));
    t.relu("b1", t.conv("b1_conv", "r0", 8, 4, 1, 1, 0));
    t.relu("b2", t.conv("b2_conv", "r0", 8, 6, 3, 1, 1));
    t.maxPool("b3_pool", "r0", 3, 1, 1);
    t.relu("b3", t.conv("b3_conv", "b3_pool", 8, 2, 1, 1, 0));
    t.concat("mixed", "b1", "b2", "b3");
    String dw = t.weights("down_w", 16, 12, 3, 3);
    t.node("Conv", "down", new String[] {"mixed", dw}, intsAttr("strides", 2, 2),
        s("auto_pad", "SAME_UPPER"));
    t.relu("rd", "down");
    String hw = t.weights("head_w", 4, 16, 3, 3);
    t.node("Conv", "head", new String[] {"rd", hw}, s("auto_pad", "VALID"));
    t.relu("out", "head");
    return t.output("out").build();
  }

  /**
   * A net touching every op shape inference supports: Pad (pads initializer), grouped dilated
   * strided Conv, BatchNormalization, Clip (min/max inputs), Conv SAME_LOWER stride 2, Sigmoid,
   * Tanh, Mul/Sub/Div with broadcasting, AveragePool ceil_mode, GlobalMaxPool, Transpose, Reshape
   * [0,-1], Softmax, Dropout, Identity, Flatten, MatMul, Gemm, Reshape [-1,3,1], MaxPool VALID.
   * Input x [N,3,H,W]; outputs id, rs2, mpv.
   */
  static ModelProto zoo(long h, long w) {
    TestGraph t = new TestGraph(5);
    t.input("x", -1, 3, h, w);
    t.node("Pad", "p", new String[] {"x", t.ints("pads", 0, 0, 1, 2, 0, 0, 2, 1)},
        s("mode", "constant"));
    t.node("Conv", "g", new String[] {"p", t.weights("g_w", 6, 1, 3, 3)}, i("group", 3),
        intsAttr("strides", 2, 2), intsAttr("dilations", 2, 2), intsAttr("pads", 1, 0, 0, 1));
    t.node("BatchNormalization", "bn", new String[] {"g", t.weights("bn_s", 6),
        t.weights("bn_b", 6), t.weights("bn_m", 6), t.filled("bn_v", 1f, 6)});
    t.node("Clip", "cl", new String[] {"bn", t.filled("lo", 0f), t.filled("hi", 6f)});
    t.node("Conv", "sl", new String[] {"cl", t.weights("sl_w", 4, 6, 3, 3)},
        s("auto_pad", "SAME_LOWER"), intsAttr("strides", 2, 2));
    t.node("Sigmoid", "sg", new String[] {"sl"});
    t.node("Tanh", "th", new String[] {"sg"});
    t.node("Mul", "mulb", new String[] {"th", t.weights("mul_c", 4, 1, 1)});
    t.node("Sub", "sub", new String[] {"mulb", t.weights("sub_c", 1)});
    t.node("Div", "div", new String[] {"sub", t.filled("div_c", 2f, 1, 4, 1, 1)});
    t.node("AveragePool", "ap", new String[] {"div"}, intsAttr("kernel_shape", 3, 3),
        intsAttr("strides", 2, 2), intsAttr("pads", 1, 1, 1, 1), i("ceil_mode", 1));
    t.node("GlobalMaxPool", "gmp", new String[] {"ap"});
    t.node("Transpose", "tr", new String[] {"ap"}, intsAttr("perm", 0, 2, 3, 1));
    t.node("Reshape", "rs", new String[] {"tr", t.ints("rs_shape", 0, -1)});
    t.node("Softmax", "sm", new String[] {"rs"}, i("axis", -1));
    t.node("Dropout", "dr", new String[] {"sm"});
    t.node("Identity", "id", new String[] {"dr"});
    t.node("Flatten", "fl", new String[] {"gmp"});
    t.node("MatMul", "mm", new String[] {"fl", t.weights("mm_w", 4, 5)});
    t.node("Gemm", "gm", new String[] {"mm", t.weights("gm_w", 3, 5)}, i("transB", 1));
    t.node("Reshape", "rs2", new String[] {"gm", t.ints("rs2_shape", -1, 3, 1)});
    t.node("MaxPool", "mpv", new String[] {"div"}, intsAttr("kernel_shape", 2, 2),
        s("auto_pad", "VALID"));
    return t.output("id", "rs2", "mpv").build();
  }

  /**
   * Shape plumbing: GlobalAveragePool, Squeeze/Unsqueeze (axes inputs, opset 13), Reshape by a
   * Constant node, Shape, Cast to float64, MatMul with a 1-D right side, Flatten axis 2.
   * Input x [N,3,H,W].
   */
  static ModelProto plumbing(long h, long w) {
    TestGraph t = new TestGraph(6);
    t.input("x", -1, 3, h, w);
    t.node("GlobalAveragePool", "gap", new String[] {"x"});
    t.node("Squeeze", "sq", new String[] {"gap", t.ints("sq_axes", 2, 3)});
    t.node("Unsqueeze", "us", new String[] {"sq", t.ints("us_axes", 1)});
    t.node("Constant", "cst", new String[0], AttributeProto.newBuilder().setName("value")
        .setType(AttributeProto.AttributeType.TENSOR).setT(TensorProto.newBuilder()
            .setDataType(TensorProto.DataType.INT64_VALUE).addDims(2).addInt64Data(0)
            .addInt64Data(-1)).build());
    t.node("Reshape", "rsc", new String[] {"us", "cst"});
    t.node("Shape", "sh", new String[] {"x"});
    t.node("Cast", "cast", new String[] {"rsc"}, i("to", TensorProto.DataType.DOUBLE_VALUE));
    t.node("MatMul", "mv", new String[] {"sq", t.weights("mv_w", 3)});
    t.node("Flatten", "fl2", new String[] {"x"}, i("axis", 2));
    for (String o : List.of("cast", "mv", "fl2")) {
      t.g.addOutput(ValueInfoProto.newBuilder().setName(o)); // untyped: ORT infers the type
    }
    return t.build();
  }

  static long[] dims(TensorShapeProto s) {
    return s.getDimList().stream().mapToLong(d -> d.hasDimValue() ? d.getDimValue() : -1)
        .toArray();
  }
}
