package org.argus.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Creates a batch's float32 input NDArray over one reused native-order direct buffer.
 *
 * <p>DJL's {@code NDManager.create(float[], Shape)} copies the values into a fresh direct buffer
 * and wraps it ({@code torch::from_blob}, no copy in PyTorch); the buffer's memory is freed only
 * when the garbage collector clears it, so every batch touches new pages. Measured on the 2-core
 * development machine: 5.8–6.6 ms per {@code [64, 5120]} batch, against 0.1–0.14 ms through a
 * reused buffer — for a logistic-regression head most of the step.
 *
 * <p>The array wraps the buffer exactly as DJL's own path wraps its fresh one (PyTorch sees the same
 * kind of tensor, allocated nowhere in PyTorch), so it reads the buffer until it is closed: a
 * trainer closes each batch's arrays (its sub-manager) before the next batch. Should the previous
 * array still be open, the values go through DJL's own path instead. Not thread-safe: one per
 * trainer (a trainer runs on one thread).
 */
final class Staging {
  private ByteBuffer buf;
  private NDArray last;

  /** A staging buffer; applies {@link ZeroedAllocations} first, as every entry to PyTorch here does. */
  Staging() {
    ZeroedAllocations.ensure();
  }

  /**
   * @param m the manager the array is attached to
   * @param x values, row-major
   * @param shape their shape ({@code x.length} elements)
   * @return a float32 array of {@code x}; valid until the next call's array replaces its values, so
   *     close it first (an array still open makes the next call allocate through DJL)
   */
  NDArray floats(NDManager m, float[] x, Shape shape) {
    if (last != null && !last.isReleased()) {
      return m.create(x, shape);
    }
    int bytes = x.length * Float.BYTES;
    if (buf == null || buf.capacity() < bytes) {
      buf = ByteBuffer.allocateDirect(Math.max(bytes, buf == null ? 0 : 2 * buf.capacity()))
          .order(ByteOrder.nativeOrder());
    }
    buf.clear();
    buf.asFloatBuffer().put(x);
    buf.limit(bytes);
    last = m.create(buf, shape, DataType.FLOAT32);
    return last;
  }
}
