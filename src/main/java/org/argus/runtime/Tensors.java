package org.argus.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import org.argus.model.onnx.ElementType;

/**
 * Conversions between Argus's Java arrays ({@link ElementType}) and ONNX Runtime tensors. ONNX
 * Runtime copies heap buffers into its own memory, so nothing here outlives the call.
 */
final class Tensors {
  private Tensors() {}

  /**
   * @param env the ORT environment
   * @param in the input
   * @return a tensor the caller closes
   * @throws OrtException when ONNX Runtime refuses the buffer or shape
   * @throws IllegalArgumentException when the values are not the Java array of the input's type
   */
  static OnnxTensor create(OrtEnvironment env, ModelSession.Input in) throws OrtException {
    Object v = in.values();
    long[] shape = in.shape();
    try {
      return switch (in.type()) {
        case FLOAT -> OnnxTensor.createTensor(env, FloatBuffer.wrap((float[]) v), shape);
        case DOUBLE -> OnnxTensor.createTensor(env, DoubleBuffer.wrap((double[]) v), shape);
        case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) v), shape);
        case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) v), shape);
        case INT16 -> {
          int[] a = (int[]) v;
          short[] s = new short[a.length];
          for (int i = 0; i < a.length; i++) {
            s[i] = (short) a[i];
          }
          yield OnnxTensor.createTensor(env, ShortBuffer.wrap(s), shape, OnnxJavaType.INT16);
        }
        case FLOAT16 -> {
          float[] a = (float[]) v;
          short[] s = new short[a.length];
          for (int i = 0; i < a.length; i++) {
            s[i] = Fp16Conversions.floatToFp16(a[i]);
          }
          yield OnnxTensor.createTensor(env, ShortBuffer.wrap(s), shape, OnnxJavaType.FLOAT16);
        }
        case INT8, UINT8 -> {
          int[] a = (int[]) v;
          ByteBuffer b = ByteBuffer.allocateDirect(a.length).order(ByteOrder.nativeOrder());
          for (int x : a) {
            b.put((byte) x);
          }
          b.rewind();
          yield OnnxTensor.createTensor(env, b, shape, in.type() == ElementType.UINT8 ? OnnxJavaType.UINT8 : OnnxJavaType.INT8);
        }
        case BOOL -> {
          boolean[] a = (boolean[]) v;
          ByteBuffer b = ByteBuffer.allocateDirect(a.length).order(ByteOrder.nativeOrder());
          for (boolean x : a) {
            b.put((byte) (x ? 1 : 0));
          }
          b.rewind();
          yield OnnxTensor.createTensor(env, b, shape, OnnxJavaType.BOOL);
        }
      };
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("input '" + in.name() + "' of type " + in.type().onnxName()
          + " needs its values as " + in.type().newArray(0).getClass().getSimpleName() + ", found "
          + (v == null ? "null" : v.getClass().getSimpleName()), e);
    }
  }

  /**
   * @param name the output's name
   * @param t the output tensor
   * @return its values copied into the Java array of its {@link ElementType}
   * @throws OrtException for an element type Argus does not read (strings, uint16, bfloat16, …)
   */
  static ModelSession.Output read(String name, OnnxTensor t) throws OrtException {
    long[] shape = t.getInfo().getShape();
    OnnxJavaType jt = t.getInfo().type;
    return switch (jt) {
      case FLOAT -> {
        FloatBuffer fb = t.getFloatBuffer();
        float[] a = new float[fb.remaining()];
        fb.get(a);
        yield new ModelSession.Output(name, a, ElementType.FLOAT, shape);
      }
      case DOUBLE -> {
        DoubleBuffer db = t.getDoubleBuffer();
        double[] a = new double[db.remaining()];
        db.get(a);
        yield new ModelSession.Output(name, a, ElementType.DOUBLE, shape);
      }
      case INT32 -> {
        IntBuffer ib = t.getIntBuffer();
        int[] a = new int[ib.remaining()];
        ib.get(a);
        yield new ModelSession.Output(name, a, ElementType.INT32, shape);
      }
      case INT64 -> {
        LongBuffer lb = t.getLongBuffer();
        long[] a = new long[lb.remaining()];
        lb.get(a);
        yield new ModelSession.Output(name, a, ElementType.INT64, shape);
      }
      case INT16, FLOAT16 -> {
        ShortBuffer sb = t.getShortBuffer();
        short[] s = new short[sb.remaining()];
        sb.get(s);
        if (jt == OnnxJavaType.INT16) {
          int[] a = new int[s.length];
          for (int i = 0; i < s.length; i++) {
            a[i] = s[i];
          }
          yield new ModelSession.Output(name, a, ElementType.INT16, shape);
        }
        float[] a = new float[s.length];
        for (int i = 0; i < s.length; i++) {
          a[i] = Fp16Conversions.fp16ToFloat(s[i]);
        }
        yield new ModelSession.Output(name, a, ElementType.FLOAT16, shape);
      }
      case INT8, UINT8, BOOL -> {
        ByteBuffer bb = t.getByteBuffer();
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        if (jt == OnnxJavaType.BOOL) {
          boolean[] a = new boolean[b.length];
          for (int i = 0; i < b.length; i++) {
            a[i] = b[i] != 0;
          }
          yield new ModelSession.Output(name, a, ElementType.BOOL, shape);
        }
        int[] a = new int[b.length];
        for (int i = 0; i < b.length; i++) {
          a[i] = jt == OnnxJavaType.UINT8 ? b[i] & 0xff : b[i];
        }
        yield new ModelSession.Output(name, a, jt == OnnxJavaType.UINT8 ? ElementType.UINT8 : ElementType.INT8, shape);
      }
      default -> throw new OrtException("output '" + name + "' has element type " + jt
          + ", which Argus does not read; supported: " + ElementType.supported());
    };
  }
}
