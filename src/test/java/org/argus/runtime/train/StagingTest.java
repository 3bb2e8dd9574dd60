package org.argus.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Batch inputs created over the reused staging buffer. */
class StagingTest {
  @Test
  void anArrayHoldsItsBatchsValuesAfterTheBufferIsReusedAndGrown() {
    Staging s = new Staging();
    try (NDManager m = NDManager.newBaseManager()) {
      try (NDArray a = s.floats(m, new float[] {1, 2, 3, 4}, new Shape(2, 2))) {
        assertArrayEquals(new float[] {1, 2, 3, 4}, a.toFloatArray());
      }
      try (NDArray b = s.floats(m, new float[] {5, 6}, new Shape(1, 2))) { // reuses the buffer
        assertArrayEquals(new float[] {5, 6}, b.toFloatArray());
      }
      try (NDArray c = s.floats(m, new float[] {7, 8, 9, 10, 11, 12, 13, 14}, new Shape(2, 4))) { // grows it
        assertArrayEquals(new float[] {7, 8, 9, 10, 11, 12, 13, 14}, c.toFloatArray());
      }
    }
  }

  @Test
  void anArrayStillOpenKeepsItsValuesWhenTheNextBatchIsStaged() {
    Staging s = new Staging();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = s.floats(m, new float[] {1, 2, 3, 4}, new Shape(2, 2));
      NDArray b = s.floats(m, new float[] {5, 6, 7, 8}, new Shape(2, 2)); // a is open: not over the buffer
      assertArrayEquals(new float[] {1, 2, 3, 4}, a.toFloatArray());
      assertArrayEquals(new float[] {5, 6, 7, 8}, b.toFloatArray());
    }
  }
}
