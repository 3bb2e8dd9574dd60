package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Columns;
import org.argus.runtime.train.Hyperparameters;
import org.junit.jupiter.api.Test;

/** A unit query's batches hold only its view's columns: the same floats the head's slice of whole rows gives. */
class ViewColumnsTest {
  private static final FeatureViews VIEWS = new FeatureViews(List.of(
      new FeatureViews.View("a", "max:2", 0, 3), new FeatureViews.View("b", "max:2", 3, 5)), 2);

  private static List<Example> rows(int n) {
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[VIEWS.rowDim()];
      for (int j = 0; j < x.length; j++) {
        x[j] = i * 100 + j;
      }
      out.add(new Example(i % 3, x));
    }
    return out;
  }

  @Test
  void aBatchOfAViewsColumnsEqualsTheSliceOfTheWholeRowsBatch() {
    ViewTrainerFactory f = new ViewTrainerFactory(VIEWS, "head", 3, 1);
    for (String layer : List.of("a", "b")) {
      Hyperparameters h = new Hyperparameters(Map.of("layer", layer));
      FeatureViews.View v = VIEWS.view(h);
      Batch whole = Examples.batch(rows(4));
      Batch cols = Examples.batch(rows(4), f.columns(h));
      assertArrayEquals(VIEWS.slice(whole.x(), 4, v), cols.x(), layer);
      assertArrayEquals(whole.y(), cols.y());
    }
  }

  @Test
  void theSeededBatchOrderIsTheSameWithOrWithoutColumns() {
    ViewTrainerFactory f = new ViewTrainerFactory(VIEWS, "head", 3, 1);
    Hyperparameters h = new Hyperparameters(Map.of("layer", "b"));
    var whole = Examples.batches(rows(10), 4, 7, 2, 1);
    var cols = Examples.batchIterator(rows(10), 4, 7, 2, 1, f.columns(h));
    for (Batch w : whole) {
      Batch c = cols.next();
      assertArrayEquals(VIEWS.slice(w.x(), w.size(), VIEWS.view(h)), c.x());
    }
  }

  @Test
  void everyColumnIsTheDefaultAndCopiesTheRowAsItIs() {
    Batch b = Examples.batch(rows(2), Columns.all());
    assertArrayEquals(Examples.batch(rows(2)).x(), b.x());
    assertSame(Columns.all(), new org.argus.runtime.train.TrainerFactory() {
      @Override
      public org.argus.runtime.train.Trainer create(Hyperparameters c, long s) {
        throw new UnsupportedOperationException();
      }

      @Override
      public byte[] average(List<byte[]> s) {
        throw new UnsupportedOperationException();
      }

      @Override
      public String describe() {
        return "none";
      }
    }.columns(new Hyperparameters(Map.of())));
  }

  @Test
  void aColumnRangePastTheRowIsRefusedNamingTheRowWidth() {
    Columns c = new Columns(new int[] {8}, new int[] {5});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Examples.batch(rows(1), c));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[8, 13)") && e.getMessage().contains("10"),
        e.getMessage());
  }

  @Test
  void anEmptyOrNegativeRangeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Columns(new int[] {0}, new int[] {0}));
    assertThrows(IllegalArgumentException.class, () -> new Columns(new int[] {-1}, new int[] {2}));
    assertThrows(IllegalArgumentException.class, () -> new Columns(new int[] {0, 1}, new int[] {2}));
  }
}
