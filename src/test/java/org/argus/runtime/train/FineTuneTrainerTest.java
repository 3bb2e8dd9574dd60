package org.argus.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.argus.model.keras.OrtHarness;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.runtime.train.imported.KerasDjlGraph;
import org.argus.runtime.train.imported.LayerGraphBlock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fine-tuning above a layer, on the tiny TF.js fixture (8×8×2 images; cut at {@code conv_s2}, top
 * {@code cat}, 2 classes): the frozen part behaves as inference, so training on its materialized
 * activations equals training on images; the trainer learns; its state round-trips; bad cuts are
 * refused.
 */
class FineTuneTrainerTest {
  static final Path MODEL = OrtHarness.fixture("tiny_same").resolve("model.json");

  @BeforeAll
  static void singleThreaded() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
  }

  static FineTuneTrainerFactory.Builder factory(boolean materialized, String from) {
    return FineTuneTrainerFactory.builder().setModelJson(MODEL).setFrom(from).setTop("cat")
        .setClasses(2).optMaterialized(materialized)
        .setInputShape(materialized ? new long[] {3, 5, 5} : new long[] {8, 8, 2});
  }

  /** Uniform-noise images; class 1 has channel 0 brighter by 0.5. */
  static List<Batch> images(int batches, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Batch> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      float[] x = new float[n * 128];
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = r.nextInt(2);
        for (int p = 0; p < 128; p++) {
          double shift = p % 2 == 0 && y[i] == 1 ? 0.5 : 0;
          x[i * 128 + p] = (float) (r.nextDouble() + shift);
        }
      }
      out.add(new Batch(x, y));
    }
    return out;
  }

  /** @return the batches with x replaced by conv_s2's activations {@code [n, 3, 5, 5]} */
  static List<Batch> materialize(List<Batch> batches) throws Exception {
    LayerGraphBlock g = KerasDjlGraph.build(TfjsLayersModel.load(MODEL), List.of("conv_s2"));
    List<Batch> out = new ArrayList<>();
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      g.initialize(m, DataType.FLOAT32, new Shape(1, 8, 8, 2));
      JniUtils.setGradMode(false);
      for (Batch b : batches) {
        float[] f = g.forward(new ParameterStore(m, false),
            new NDList(m.create(b.x(), new Shape(b.size(), 8, 8, 2))), false)
            .singletonOrThrow().toFloatArray();
        out.add(new Batch(f, b.y()));
      }
    }
    return out;
  }

  static final Hyperparameters CONFIG =
      new Hyperparameters(Map.of("lr", 1e-2, "body_lr", 1e-3, "batch", 16));

  @Test
  void trainingOnMaterializedActivationsEqualsTrainingOnImages() throws Exception {
    List<Batch> imgs = images(4, 16, 1);
    List<Batch> acts = materialize(imgs);
    try (Trainer a = factory(false, "conv_s2").build().create(CONFIG, 7);
        Trainer b = factory(true, "conv_s2").build().create(CONFIG, 7)) {
      a.train(imgs.iterator());
      b.train(acts.iterator());
      assertArrayEquals(a.predict(imgs.get(0)), b.predict(acts.get(0)), 1e-5f);
    }
  }

  @Test
  void learnsASeparableTask() throws Exception {
    List<Batch> train = images(8, 16, 2);
    List<Batch> test = images(4, 16, 3);
    try (Trainer t = factory(false, "conv_s2").build().create(CONFIG, 7)) {
      Metrics before = t.evaluate(test.iterator());
      for (int e = 0; e < 5; e++) {
        assertFalse(t.train(train.iterator()).diverged());
      }
      Metrics after = t.evaluate(test.iterator());
      assertTrue(after.lossSum() < before.lossSum() && after.correct() >= 0.8 * after.examples(),
          "loss " + before.lossSum() + " -> " + after.lossSum() + ", correct " + after.correct()
              + "/" + after.examples());
    }
  }

  @Test
  void stateRoundTripsIntoAFreshTrainer() throws Exception {
    List<Batch> imgs = images(2, 16, 4);
    try (Trainer a = factory(false, "conv_s2").build().create(CONFIG, 7);
        Trainer b = factory(false, "conv_s2").build().create(CONFIG, 8)) {
      a.train(imgs.iterator());
      b.importState(a.exportState());
      assertArrayEquals(a.predict(imgs.get(1)), b.predict(imgs.get(1)), 0f);
      a.train(imgs.iterator());
      b.train(imgs.iterator()); // same weights, moving statistics, Adam moments and step
      assertArrayEquals(a.predict(imgs.get(1)), b.predict(imgs.get(1)), 0f);
    }
  }

  @Test
  void fromHyperparameterChoosesHowDeepToFineTune() throws Exception {
    FineTuneTrainerFactory f = factory(false, "conv_s2").build();
    List<Batch> imgs = images(1, 16, 5);
    try (Trainer deep = f.create(new Hyperparameters(Map.of("from", "zp")), 1);
        Trainer shallow = f.create(CONFIG, 1)) {
      deep.train(imgs.iterator());
      shallow.train(imgs.iterator());
      // above zp, conv_s2's kernel [3, 2, 3, 3] and bias [3] (and their Adam moments) are trained
      int extra = 3 * (3 * 2 * 3 * 3 + 3) * 4;
      assertTrue(deep.exportState().length > shallow.exportState().length + extra,
          deep.exportState().length + " vs " + shallow.exportState().length);
    }
  }

  @Test
  void refusesACutThatAJoinSpansNamingTheJoin() {
    TrainingException e = assertThrows(TrainingException.class,
        () -> factory(false, "bn").build().create(CONFIG, 1));
    assertTrue(e.getMessage().contains("'max_s2' (MaxPooling2D)")
        && e.getMessage().contains("'conv_s2'"), e.getMessage());
  }

  @Test
  void materializedFactoryRefusesAnotherFrom() {
    Hyperparameters other = new Hyperparameters(Map.of("from", "zp"));
    TrainingException e = assertThrows(TrainingException.class,
        () -> factory(true, "conv_s2").build().create(other, 1));
    assertTrue(e.getMessage().contains("from=zp"), e.getMessage());
  }
}
