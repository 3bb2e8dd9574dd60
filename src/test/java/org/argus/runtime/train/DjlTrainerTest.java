package org.argus.runtime.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.argus.select.space.Config;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DjlTrainerTest {
  @BeforeAll
  static void singleThreaded() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
  }

  static List<Batch> batches(int n, int features, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Batch> out = new ArrayList<>();
    for (int b = 0; b < n; b++) {
      float[] x = new float[8 * features];
      int[] y = new int[8];
      for (int i = 0; i < 8; i++) {
        y[i] = r.nextInt(classes);
        for (int f = 0; f < features; f++) {
          x[i * features + f] = (float) (r.nextGaussian() + (f % classes == y[i] ? 1.0 : 0.0));
        }
      }
      out.add(new Batch(x, y));
    }
    return out;
  }

  static float[] flat(byte[] state) throws Exception {
    var s = DjlTrainerFactory.DjlState.read(state);
    int n = 0;
    for (float[] a : s.arrays) {
      n += a.length;
    }
    float[] out = new float[n];
    int k = 0;
    for (float[] a : s.arrays) {
      System.arraycopy(a, 0, out, k, a.length);
      k += a.length;
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"adam", "sgd"})
  void restoreThenContinueEqualsUninterrupted(String optimizer) throws Exception {
    var f = DjlTrainerFactory.builtIn("mlp", new long[] {12}, 3);
    Config c = new Config(Map.of("optimizer", optimizer, "lr", 0.01, "width", 16L));
    List<Batch> data = batches(10, 12, 3, 1);
    byte[] straight;
    Metrics second;
    try (Trainer a = f.create(c, 99)) {
      a.train(data.subList(0, 5).iterator());
      second = a.train(data.subList(5, 10).iterator());
      straight = a.exportState();
    }
    byte[] mid;
    try (Trainer b = f.create(c, 99)) {
      b.train(data.subList(0, 5).iterator());
      mid = b.exportState();
    }
    byte[] resumed;
    Metrics secondResumed;
    try (Trainer c2 = f.create(c, 12345)) {
      c2.importState(mid);
      secondResumed = c2.train(data.subList(5, 10).iterator());
      resumed = c2.exportState();
    }
    float[] x = flat(straight);
    float[] y = flat(resumed);
    assertEquals(x.length, y.length);
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], y[i], 1e-6, "array element " + i);
    }
    assertEquals(second.lossSum(), secondResumed.lossSum(), 1e-6);
    assertEquals(second.correct(), secondResumed.correct());
  }

  @Test
  void cnnLearnsAndSeedsDetermineInit() throws Exception {
    var f = DjlTrainerFactory.builtIn("cnn", new long[] {1, 28, 28}, 3);
    Config c = new Config(Map.of("filters", 4L, "width", 16L, "lr", 0.005));
    List<Batch> data = batches(6, 784, 3, 2);
    try (Trainer a = f.create(c, 1);
        Trainer b = f.create(c, 1);
        Trainer d = f.create(c, 2)) {
      assertArrayEquals(a.exportState(), b.exportState());
      assertFalse(java.util.Arrays.equals(a.exportState(), d.exportState()));
      Metrics before = a.evaluate(data.iterator());
      for (int e = 0; e < 5; e++) {
        a.train(data.iterator());
      }
      Metrics after = a.evaluate(data.iterator());
      assertTrue(after.loss() < before.loss(), before.loss() + " -> " + after.loss());
    }
  }

  @Test
  void nanLossMarksDiverged() throws Exception {
    var f = DjlTrainerFactory.builtIn("head", new long[] {4}, 2);
    try (Trainer t = f.create(new Config(Map.of("lr", 0.1)), 3)) {
      float[] x = {1, 2, Float.NaN, 4, 1, 1, 1, 1};
      Metrics m = t.train(List.of(new Batch(x, new int[] {0, 1}), new Batch(x, new int[] {0, 1})).iterator());
      assertTrue(m.diverged());
      assertEquals(2, m.examples(), "stops at the first non-finite batch");
      assertTrue(Double.isNaN(m.accuracy()));
    }
  }

  @Test
  void averageOfIdenticalStatesIsTheState() throws Exception {
    var f = DjlTrainerFactory.builtIn("head", new long[] {4}, 2);
    try (Trainer t = f.create(new Config(Map.of("width", 3L)), 3)) {
      byte[] s = t.exportState();
      assertArrayEquals(flat(s), flat(f.average(List.of(s, s, s))), 1e-7f);
    }
  }

  @Test
  void badStateAndBadConfigAreClearErrors() throws Exception {
    var f = DjlTrainerFactory.builtIn("mlp", new long[] {4}, 2);
    try (Trainer t = f.create(new Config(Map.of("width", 3L)), 3)) {
      var e = assertThrows(TrainingException.class, () -> t.importState(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
      assertTrue(e.getMessage().contains("malformed"), e.getMessage());
      try (Trainer other = f.create(new Config(Map.of("width", 5L, "optimizer", "sgd")), 3)) {
        assertThrows(TrainingException.class, () -> t.importState(other.exportState()));
      }
    }
    var e = assertThrows(TrainingException.class, () -> f.create(new Config(Map.of("optimizer", "lbfgs")), 1));
    assertTrue(e.getMessage().contains("lbfgs"));
    assertThrows(IllegalArgumentException.class, () -> Families.get("resnet"));
  }
}
