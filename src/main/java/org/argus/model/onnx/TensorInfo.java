package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Arrays;
import java.util.Objects;

/**
 * Inferred type and shape of one named tensor of an ONNX graph.
 *
 * <p>Dimension 0 is the batch dimension (examples, e.g. images) for activations such as {@code [N,
 * C, H, W] float32}. A dimension of {@code -1} is unknown or symbolic ({@code dim_param}).
 *
 * @param name tensor name in the graph
 * @param elemType element type as an ONNX {@code TensorProto.DataType} number (1 = FLOAT, 7 =
 *     INT64, …); 0 (UNDEFINED) when it could not be inferred
 * @param shape dimensions, {@code -1} for unknown; {@code null} when even the rank is unknown
 * @param producerOp op type of the node that produces the tensor, or {@code "input"} for a graph
 *     input
 */
public record TensorInfo(String name, int elemType, long[] shape, String producerOp) {

  /**
   * Copies {@code shape} so the record stays immutable.
   *
   * @param name tensor name
   * @param elemType ONNX {@code TensorProto.DataType} number, 0 if unknown
   * @param shape dimensions, {@code -1} = unknown; {@code null} = unknown rank
   * @param producerOp producing op type, or {@code "input"}
   */
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(producerOp, "producerOp");
    shape = shape == null ? null : shape.clone();
  }

  /** @return a copy of the dimensions ({@code -1} = unknown), or {@code null} if the rank is unknown */
  @Override
  public long[] shape() {
    return shape == null ? null : shape.clone();
  }

  /** @return true when the rank and every dimension are known */
  public boolean isFullyKnown() {
    if (shape == null) {
      return false;
    }
    for (long d : shape) {
      if (d < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Number of elements of one example: the product of the dimensions after the batch dimension
   * (dimension 0); 1 for a rank-0 or rank-1 tensor.
   *
   * @return elements per example, or {@code -1} if the rank or any of those dimensions is unknown
   */
  public long elementsPerExample() {
    if (shape == null) {
      return -1;
    }
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      if (shape[i] < 0) {
        return -1;
      }
      n = Math.multiplyExact(n, shape[i]);
    }
    return n;
  }

  /**
   * Bytes of one example: {@link #elementsPerExample()} times the element size of {@link
   * #elemType()} (4 for float32).
   *
   * @return bytes per example, or {@code -1} if the shape or the element size is unknown
   */
  public long bytesPerExample() {
    long n = elementsPerExample();
    int size = elementSize(elemType);
    return n < 0 || size <= 0 ? -1 : Math.multiplyExact(n, size);
  }

  /** @return the element type's short name, e.g. {@code float32}, {@code int64}, or {@code type<n>} */
  public String elemTypeName() {
    return typeName(elemType);
  }

  /** @return the shape as {@code [N,192,?,?]}: unknown batch dimension {@code N}, other unknowns {@code ?} */
  public String shapeString() {
    return shapeString(shape);
  }

  /** Readable form, e.g. {@code block_6_expand_relu [N,192,28,28] float32 (Relu) 602112 B/image}. */
  @Override
  public String toString() {
    long b = bytesPerExample();
    return name + " " + shapeString() + " " + elemTypeName() + " (" + producerOp + ") "
        + (b < 0 ? "?" : Long.toString(b)) + " B/image";
  }

  /** Value equality: same name, element type, dimensions (element-wise) and producing op. */
  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && elemType == t.elemType
        && Arrays.equals(shape, t.shape)
        && producerOp.equals(t.producerOp);
  }

  /** Hash consistent with {@link #equals}. */
  @Override
  public int hashCode() {
    return Objects.hash(name, elemType, Arrays.hashCode(shape), producerOp);
  }

  static String shapeString(long[] shape) {
    if (shape == null) {
      return "[?rank]";
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(shape[i] >= 0 ? Long.toString(shape[i]) : i == 0 ? "N" : "?");
    }
    return sb.append(']').toString();
  }

  static int elementSize(int elemType) {
    return switch (elemType) {
      case DataType.FLOAT_VALUE, DataType.INT32_VALUE, DataType.UINT32_VALUE -> 4;
      case DataType.DOUBLE_VALUE, DataType.INT64_VALUE, DataType.UINT64_VALUE,
          DataType.COMPLEX64_VALUE -> 8;
      case DataType.COMPLEX128_VALUE -> 16;
      case DataType.FLOAT16_VALUE, DataType.BFLOAT16_VALUE, DataType.INT16_VALUE,
          DataType.UINT16_VALUE -> 2;
      case DataType.UINT8_VALUE, DataType.INT8_VALUE, DataType.BOOL_VALUE,
          DataType.FLOAT8E4M3FN_VALUE, DataType.FLOAT8E4M3FNUZ_VALUE, DataType.FLOAT8E5M2_VALUE,
          DataType.FLOAT8E5M2FNUZ_VALUE -> 1;
      default -> -1;
    };
  }

  static String typeName(int elemType) {
    return switch (elemType) {
      case DataType.FLOAT_VALUE -> "float32";
      case DataType.DOUBLE_VALUE -> "float64";
      case DataType.FLOAT16_VALUE -> "float16";
      case DataType.BFLOAT16_VALUE -> "bfloat16";
      case DataType.INT8_VALUE -> "int8";
      case DataType.UINT8_VALUE -> "uint8";
      case DataType.INT16_VALUE -> "int16";
      case DataType.UINT16_VALUE -> "uint16";
      case DataType.INT32_VALUE -> "int32";
      case DataType.UINT32_VALUE -> "uint32";
      case DataType.INT64_VALUE -> "int64";
      case DataType.UINT64_VALUE -> "uint64";
      case DataType.BOOL_VALUE -> "bool";
      case DataType.STRING_VALUE -> "string";
      case DataType.UNDEFINED_VALUE -> "?type";
      default -> "type" + elemType;
    };
  }
}
