package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Columns;
import org.junit.jupiter.api.Test;

/** A unit query's batches built into reused arrays hold what fresh batches hold, batch by batch. */
class ReusingBatchIteratorTest {
  private static List<Example> rows(int n, int dim) {
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[dim];
      for (int j = 0; j < dim; j++) {
        x[j] = i * 100 + j;
      }
      out.add(new Example(i % 3, x));
    }
    return out;
  }

  @Test
  void eachBatchHoldsWhatTheAllocatingIteratorGivesWhenItIsRead() {
    Columns c = new Columns(new int[] {1, 5}, new int[] {2, 3});
    Iterator<Batch> fresh = Examples.batchIterator(rows(11, 8), 4, 7, 3, 1, c);
    Iterator<Batch> reused = Examples.reusingBatchIterator(rows(11, 8), 4, 7, 3, 1, c);
    int batches = 0;
    while (fresh.hasNext()) {
      Batch f = fresh.next();
      Batch r = reused.next();
      assertArrayEquals(f.x(), r.x(), "batch " + batches);
      assertArrayEquals(f.y(), r.y(), "batch " + batches);
      batches++;
    }
    assertFalse(reused.hasNext());
    assertEquals(3, batches); // 4 + 4 + 3
  }

  @Test
  void fullSizeBatchesShareOneArrayAndTheSmallerLastBatchHasItsOwn() {
    Iterator<Batch> it = Examples.reusingBatchIterator(rows(10, 3), 4, 7, 1, 0, Columns.all());
    Batch first = it.next();
    Batch second = it.next();
    Batch last = it.next();
    assertSame(first.x(), second.x());
    assertSame(first.y(), second.y());
    assertNotSame(first.x(), last.x());
    assertEquals(2, last.size());
    assertEquals(3 * 2, last.x().length);
  }

  @Test
  void theAllocatingIteratorGivesEveryBatchItsOwnArrays() {
    Iterator<Batch> it = Examples.batchIterator(rows(8, 3), 4, 7, 1, 0, Columns.all());
    assertNotSame(it.next().x(), it.next().x());
  }

  @Test
  void aBatchSizeBelowOneIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Examples.reusingBatchIterator(rows(2, 3), 0, 7, 1, 0, Columns.all()));
    assertEquals("batchSize must be >= 1; found 0", e.getMessage());
  }
}
