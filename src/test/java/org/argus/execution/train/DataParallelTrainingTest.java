package org.argus.execution.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.argus.data.FashionMnist;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.runtime.train.DataParallelTrainer;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.TrainerStates;
import org.argus.runtime.train.TrainingException;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on local Spark ({@code local[2]}) equals the plain DJL loop it
 * distributes: one partition is the loop itself, p partitions with per-step synchronization are
 * one step on the concatenated global batch, local SGD is the average of independent local
 * trainers; checkpoints resume exactly; bad input and failures stop with messages naming the values.
 */
class DataParallelTrainingTest {
  static final DjlTrainerFactory MLP =
      DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10).withThreads(1);
  static final Hyperparameters ADAM =
      new Hyperparameters(Map.of("optimizer", "adam", "lr", 0.01, "width", 16L, "depth", 1L));
  static final long SEED = 5;
  static List<Example> rows;
  static JavaRDD<Example> data;

  @BeforeAll
  static void data() throws Exception {
    FashionMnist.provision();
    rows = Examples.fromImages(
            FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TRAIN, 48, 3), "image", "label")
        .collect();
    data = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext()).parallelize(rows, 2);
  }

  static DataParallelTraining.Builder run(Path dir, int partitions, int batch, int epochs) {
    return DataParallelTraining.builder()
        .setData(data)
        .setTrainerFactory(MLP)
        .optConfig(ADAM)
        .setBatch(batch)
        .setEpochs(epochs)
        .setRunDir(dir.toString())
        .optPartitions(partitions)
        .optSeed(SEED)
        .optShuffle(false);
  }

  static double maxDiff(float[][] a, float[][] b) {
    assertEquals(a.length, b.length);
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i].length, b[i].length);
      for (int j = 0; j < a[i].length; j++) {
        d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return d;
  }

  /** Partition k's rows as {@link Shards} lays them out: row indices ≡ k mod p, ascending. */
  static List<Example> partition(int k, int p) {
    List<Example> out = new ArrayList<>();
    for (int i = k; i < rows.size(); i += p) {
      out.add(rows.get(i));
    }
    return out;
  }

  static DataParallelTrainer plain(Hyperparameters config) throws TrainingException {
    return (DataParallelTrainer) MLP.create(config, SEED);
  }

  @Test
  void onePartitionEqualsThePlainDjlLoop(@TempDir Path dir) throws Exception {
    DataParallelResult r = run(dir, 1, 16, 2).build().run();

    try (DataParallelTrainer t = plain(ADAM)) {
      for (int epoch = 0; epoch < 2; epoch++) {
        for (int s = 0; s < 3; s++) {
          t.train(List.of(Examples.batch(rows.subList(16 * s, 16 * s + 16))).iterator());
        }
      }
      double d = maxDiff(t.weights(), r.weights());
      assertTrue(d <= 1e-6, "max |difference| of parameters " + d);
      assertEquals(6, r.steps());
      assertEquals(2, r.epochs().size());
      assertEquals(48, r.epochs().get(1).examples());
    }
  }

  @Test
  void perStepSyncOnThreePartitionsEqualsOneStepOnTheConcatenatedGlobalBatch(@TempDir Path dir)
      throws Exception {
    // global batch 11 over 3 partitions of 16 rows: shares 4, 4, 3; 4 steps per epoch
    DataParallelResult r = run(dir, 3, 11, 1).build().run();

    try (DataParallelTrainer t = plain(ADAM)) {
      for (int s = 0; s < 4; s++) {
        List<Example> global = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
          int share = k < 2 ? 4 : 3;
          global.addAll(partition(k, 3).subList(s * share, (s + 1) * share));
        }
        t.train(List.of(Examples.batch(global)).iterator());
      }
      double d = maxDiff(t.weights(), r.weights());
      assertTrue(d <= 1e-5, "max |difference| of parameters " + d);
      assertEquals(4, r.steps());
      assertEquals(44, r.epochs().get(0).examples());
    }
  }

  @Test
  void syncEveryKAveragesTheStatesOfPartitionsTrainingKLocalSteps(@TempDir Path dir) throws Exception {
    // 2 partitions of 24 rows, global batch 8 (4 each): 6 steps per epoch = 3 rounds of 2
    DataParallelResult r = run(dir, 2, 8, 1).optSyncEvery(2).build().run();

    byte[] state;
    try (DataParallelTrainer t = plain(ADAM)) {
      state = t.exportState();
    }
    for (int round = 0; round < 3; round++) {
      float[][] sum = null;
      for (int k = 0; k < 2; k++) {
        try (DataParallelTrainer t = plain(ADAM)) {
          t.importState(state);
          List<Example> mine = partition(k, 2);
          for (int s = 2 * round; s < 2 * round + 2; s++) {
            t.train(List.of(Examples.batch(mine.subList(4 * s, 4 * s + 4))).iterator());
          }
          float[][] a = TrainerStates.arrays(t.exportState());
          if (sum == null) {
            sum = a;
          } else {
            for (int i = 0; i < a.length; i++) {
              for (int j = 0; j < a[i].length; j++) {
                sum[i][j] = (sum[i][j] + a[i][j]) / 2;
              }
            }
          }
        }
      }
      state = TrainerStates.withArrays(state, sum, 2L * round + 2);
    }
    double d = maxDiff(TrainerStates.arrays(state), TrainerStates.arrays(r.state()));
    assertTrue(d <= 1e-6, "max |difference| of weights and Adam moments " + d);
    assertEquals(6, r.steps());
  }

  @Test
  void resumingFromTheFirstEpochsCheckpointEqualsTrainingStraightThrough(@TempDir Path dir)
      throws Exception {
    DataParallelResult straight = run(dir.resolve("a"), 2, 8, 2).optShuffle(true).build().run();
    run(dir.resolve("b"), 2, 8, 1).optShuffle(true).build().run();
    assertTrue(Files.exists(dir.resolve("b/checkpoints/epoch-0001.ckpt")));

    DataParallelResult resumed = run(dir.resolve("b"), 2, 8, 2).optShuffle(true).optResume(true).build().run();

    assertEquals(1, resumed.resumedFrom());
    assertEquals(1, resumed.epochs().size());
    assertEquals(0.0, maxDiff(TrainerStates.arrays(straight.state()), TrainerStates.arrays(resumed.state())));
    assertEquals(straight.steps(), resumed.steps());
    assertEquals("checkpoints/epoch-0002.ckpt", resumed.lastCheckpoint());
  }

  @Test
  void resumingWithAnotherBatchIsRefusedNamingBothSettings(@TempDir Path dir) throws Exception {
    run(dir, 2, 8, 1).build().run();

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> run(dir, 2, 12, 2).optResume(true).build().run());
    assertTrue(e.getMessage().contains("written with seed=5, batch=8, partitions=2")
        && e.getMessage().contains("this run asks for seed=5, batch=12, partitions=2"), e.getMessage());
  }

  @Test
  void aGlobalBatchSmallerThanThePartitionsIsRefused(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(dir, 4, 3, 1).build());
    assertEquals("global batch 3 is smaller than the 4 partitions: every partition needs at least"
        + " one example per step; use a batch >= 4 or at most 3 workers", e.getMessage());
  }

  @Test
  void aPartitionSmallerThanItsShareOfOneBatchIsRefused(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(dir, 2, 64, 1).build().run());
    assertEquals("partition 0 holds 24 examples, fewer than its share 32 of the global batch 64 (2"
        + " partitions): give more data, a smaller batch or fewer workers", e.getMessage());
  }

  @Test
  void aNonFiniteLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
    // plain SGD with a huge learning rate: epoch 1 (one step at the seeded weights) is finite,
    // the first step of epoch 2 sees weights of ~1e18 and overflows
    Hyperparameters huge = new Hyperparameters(
        Map.of("optimizer", "sgd", "lr", 1e20, "momentum", 0.0, "width", 16L, "depth", 1L));
    TrainingException e = assertThrows(TrainingException.class,
        () -> run(dir, 2, 48, 3).optConfig(huge).build().run());

    assertTrue(e.getMessage().startsWith("loss is not finite (")
        && e.getMessage().endsWith(") at epoch 2, step 1 of 1 (optimizer step 2); training stopped"
            + " before changing the model; the last good checkpoint is " + dir
            + "/checkpoints/epoch-0001.ckpt"), e.getMessage());
    assertTrue(Files.exists(dir.resolve("checkpoints/epoch-0001.ckpt")));
    assertFalse(Files.exists(dir.resolve("checkpoints/epoch-0002.ckpt")));
  }

  @Test
  void aStepJobFailingOnceIsRunAgainAndChangesNothing(@TempDir Path dir) throws Exception {
    DataParallelResult clean = run(dir.resolve("clean"), 2, 8, 1).build().run();
    FailingFactory.failures.set(1);

    DataParallelResult r = run(dir.resolve("failing"), 2, 8, 1)
        .setTrainerFactory(new FailingFactory(MLP)).build().run();

    assertEquals(1, r.retries());
    assertEquals(0.0, maxDiff(clean.weights(), r.weights()));
  }

  @Test
  void aStepJobFailingTwiceStopsTheRunNamingTheStep(@TempDir Path dir) {
    FailingFactory.failures.set(2);
    TrainingException e = assertThrows(TrainingException.class,
        () -> run(dir, 2, 8, 1).setTrainerFactory(new FailingFactory(MLP)).build().run());
    assertTrue(e.getMessage().startsWith("the job of epoch 1, step 1 failed twice (run again once"
        + " after Spark's task retries): ") && e.getMessage().contains("injected failure"),
        e.getMessage());
  }
}
