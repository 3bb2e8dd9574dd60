package org.argus.model.keras;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Small builders for the ONNX protobuf messages the importer (and the export of trained heads,
 * {@code org.argus.runtime.train.OnnxExport}) writes: attributes, graph input/output declarations
 * and initializer tensors (raw little-endian data, as the ONNX spec stores {@code raw_data}).
 */
public final class OnnxProtos {
  private OnnxProtos() {}

  /** An {@code INT} attribute. */
  public static OnnxMl.AttributeProto attrI(String name, long v) {
    return OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(v).build();
  }

  /** A {@code FLOAT} attribute. */
  public static OnnxMl.AttributeProto attrF(String name, float v) {
    return OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  /** A {@code STRING} attribute (UTF-8). */
  public static OnnxMl.AttributeProto attrS(String name, String v) {
    return OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(v)).build();
  }

  /** An {@code INTS} attribute. */
  public static OnnxMl.AttributeProto attrInts(String name, long... v) {
    OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(OnnxMl.AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return b.build();
  }

  /**
   * A float32 tensor declaration.
   *
   * @param dims per dimension: a {@code String} → symbolic {@code dim_param}, an {@code Integer ≥ 0}
   *     → {@code dim_value}, {@code null} or negative → unknown
   */
  public static OnnxMl.ValueInfoProto floatValueInfo(String name, Object[] dims) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
    for (Object d : dims) {
      OnnxMl.TensorShapeProto.Dimension.Builder db = OnnxMl.TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String s) {
        db.setDimParam(s);
      } else if (d instanceof Integer v && v >= 0) {
        db.setDimValue(v);
      }
      shape.addDim(db);
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
        .build();
  }

  /** A float32 initializer, row-major over {@code dims}. */
  public static OnnxMl.TensorProto floatTensor(String name, long[] dims, float[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    return tensor(name, OnnxMl.TensorProto.DataType.FLOAT_VALUE, dims, b.array());
  }

  /** An int64 initializer, row-major over {@code dims}. */
  public static OnnxMl.TensorProto int64Tensor(String name, long[] dims, long[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(data);
    return tensor(name, OnnxMl.TensorProto.DataType.INT64_VALUE, dims, b.array());
  }

  private static OnnxMl.TensorProto tensor(String name, int type, long[] dims, byte[] raw) {
    return OnnxMl.TensorProto.newBuilder().setName(name)
        .setDataType(type)
        .addAllDims(Arrays.stream(dims).boxed().toList())
        .setRawData(ByteString.copyFrom(raw))
        .build();
  }
}
