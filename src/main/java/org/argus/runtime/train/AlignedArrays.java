package org.argus.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Creates PyTorch tensors from Java arrays in 64-byte-aligned memory.
 *
 * <p>Why: DJL's {@code NDManager.create(float[], Shape)} copies the values into a
 * {@code ByteBuffer.allocateDirect} buffer and wraps it with {@code torch::from_blob}. Such a buffer
 * is only as aligned as {@code malloc} (16 bytes on x86-64), while PyTorch's own CPU allocator aligns
 * to 64 bytes. With PyTorch 2.7.1 (CPU natives of DJL 0.35 and 0.36 alike), training a convolution
 * on an input batch that is not 64-byte aligned intermittently gave non-finite gradients for the
 * first convolution's weight and bias (finite loss, NaN after the Adam step): the result depended on
 * the bytes <em>around</em> the input — a run with the input surrounded by NaN, offset 16 bytes from
 * a 64-byte boundary, diverged in 200 of 200 repetitions; the same input 64-byte aligned, in 0 of
 * 40; DJL's default path in 19 of 300 (with a {@code System.gc()} between epochs, which recycles
 * direct buffers next to the batch). Every array the trainer builds from Java values goes through
 * here.
 *
 * <p>The returned tensor keeps its buffer reachable (DJL holds it until the tensor is closed).
 */
final class AlignedArrays {
  /** PyTorch's CPU allocator alignment ({@code c10::gAlignment}), bytes. */
  static final int ALIGNMENT = 64;

  private AlignedArrays() {}

  /**
   * @param m owner of the new tensor
   * @param values row-major values, {@code shape.size()} of them
   * @param shape the tensor's shape
   * @return a float32 tensor over an aligned copy of {@code values}
   * @throws IllegalArgumentException if the sizes differ
   */
  static NDArray floats(NDManager m, float[] values, Shape shape) {
    check(values.length, shape);
    ByteBuffer b = aligned(values.length * Float.BYTES);
    b.asFloatBuffer().put(values);
    return m.create(b, shape, DataType.FLOAT32);
  }

  /**
   * @param m owner of the new tensor
   * @param values values, {@code shape.size()} of them
   * @param shape the tensor's shape
   * @return an int32 tensor over an aligned copy of {@code values}
   * @throws IllegalArgumentException if the sizes differ
   */
  static NDArray ints(NDManager m, int[] values, Shape shape) {
    check(values.length, shape);
    ByteBuffer b = aligned(values.length * Integer.BYTES);
    b.asIntBuffer().put(values);
    return m.create(b, shape, DataType.INT32);
  }

  private static void check(int n, Shape shape) {
    if (n != shape.size()) {
      throw new IllegalArgumentException(n + " values for a tensor of shape " + shape + " (" + shape.size() + ")");
    }
  }

  /** A direct buffer of exactly {@code bytes} (native order) starting on a 64-byte boundary. */
  private static ByteBuffer aligned(int bytes) {
    // alignedSlice rounds the start up and the end down to the alignment: allocate whole units plus
    // one; the slice keeps the allocated buffer (and so its memory) reachable
    int units = (bytes + ALIGNMENT - 1) / ALIGNMENT;
    ByteBuffer b = ByteBuffer.allocateDirect((units + 1) * ALIGNMENT).alignedSlice(ALIGNMENT);
    b.limit(bytes);
    return b.slice().order(ByteOrder.nativeOrder());
  }
}
