package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Shape rules of ops that make or convert values (ONNX operator spec, opset 13): Cast (type from
 * {@code to}), Shape (1-D int64 of the input's rank; its value becomes a known constant when every
 * dim is known and no {@code start}/{@code end} slices it) and Constant ({@code value} tensor or
 * {@code value_int(s)}/{@code value_float(s)}; integer values are remembered, so a Reshape or Pad
 * that reads them gets exact shapes).
 */
final class ConstantShapes {
  /** Integer tensors with more elements are not remembered as constants. */
  private static final int MAX_CONSTANT_ELEMENTS = 64;

  private ConstantShapes() {}

  /** @return the rules of this family by op type */
  static Map<String, ShapeRule> rules() {
    return Map.of(
        "Cast", (si, n, index) ->
            si.put(n, 0, (int) Nodes.attrInt(n, "to", 0), si.inputShape(n, 0)),
        "Shape", ConstantShapes::shape,
        "Constant", ConstantShapes::constant);
  }

  private static void shape(ShapeInference si, NodeProto n, int index) {
    long[] xs = si.inputShape(n, 0);
    si.put(n, 0, DataType.INT64_VALUE, xs == null ? new long[] {-1} : new long[] {xs.length});
    boolean known = xs != null && Nodes.attr(n, "start") == null && Nodes.attr(n, "end") == null;
    if (known) {
      for (long d : xs) {
        known &= d >= 0;
      }
    }
    if (known) {
      si.putConstant(n.getOutput(0), xs.clone());
    }
  }

  private static void constant(ShapeInference si, NodeProto n, int index) {
    AttributeProto a = Nodes.attr(n, "value");
    if (a != null && a.hasT()) {
      TensorProto t = a.getT();
      si.put(n, 0, t.getDataType(), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
      long[] v = intValues(t);
      if (v != null) {
        si.putConstant(n.getOutput(0), v);
      }
    } else if ((a = Nodes.attr(n, "value_ints")) != null) {
      si.put(n, 0, DataType.INT64_VALUE, new long[] {a.getIntsCount()});
      si.putConstant(n.getOutput(0), a.getIntsList().stream().mapToLong(Long::longValue).toArray());
    } else if ((a = Nodes.attr(n, "value_int")) != null) {
      si.put(n, 0, DataType.INT64_VALUE, new long[0]);
      si.putConstant(n.getOutput(0), new long[] {a.getI()});
    } else if (Nodes.attr(n, "value_float") != null) {
      si.put(n, 0, DataType.FLOAT_VALUE, new long[0]);
    } else if ((a = Nodes.attr(n, "value_floats")) != null) {
      si.put(n, 0, DataType.FLOAT_VALUE, new long[] {a.getFloatsCount()});
    } else {
      si.unknown(n);
    }
  }

  /**
   * @return the values of a small INT64/INT32 tensor (raw little-endian or typed fields), or null
   *     for another type, more than {@value #MAX_CONSTANT_ELEMENTS} elements, or no data
   */
  static long[] intValues(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    if (n > MAX_CONSTANT_ELEMENTS) {
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
}
