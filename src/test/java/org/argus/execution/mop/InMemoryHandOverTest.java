package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.argus.ArgusException;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.store.CheckpointStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a local master a round job keeps a config's checkpoints inside an epoch in memory ({@link
 * LiveStates}, pending), leaves each config's trainer for the run's next round job, and keeps its
 * markers on the {@link MarkerBoard}: what is written, what is not, and that failures, retries and
 * leftovers still find every state they need.
 */
class InMemoryHandOverTest {
  private static final String SPACE = ModelSelectionTest.SPACE;
  private static JavaRDD<Example> data;
  @TempDir static Path tmp;
  private static SelectionResult faultFree;
  private static Path faultFreeDir;
  private static SelectionResult twoJobs;
  private static Path twoJobsDir;

  @BeforeAll
  static void setUp() throws Exception {
    data = ModelSelectionTest.sample();
    faultFreeDir = tmp.resolve("fault-free");
    faultFree = run(faultFreeDir, Set.of());
    twoJobsDir = tmp.resolve("two-jobs");
    // a 1 ms budget: the first round job, planned over both epochs, stops before the second
    twoJobs = builder(twoJobsDir, Set.of()).optRoundJobMs(1).build().run();
  }

  /** MOP with round jobs on local[2]: 2 configs × 2 epochs on 2 shards. */
  private static SelectionResult run(Path dir, Set<String> faults) throws ArgusException {
    return builder(dir, faults).build().run();
  }

  private static ModelSelection.Builder builder(Path dir, Set<String> faults) {
    return ModelSelection.builder().setData(data).setTrainerFactory(ModelSelectionTest.MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy")))
        .setRunDir(dir.toString()).optSpec(Map.of("space", SPACE)).optExecution(Execution.MOP).optWorkers(2)
        .optSeed(ModelSelectionTest.SEED).optInjectFailures(faults);
  }

  /** @return whether another unit of the same config and epoch reads {@code u}'s checkpoint */
  private static boolean midEpoch(UnitRecord u, List<UnitRecord> units) {
    return units.stream().anyMatch(o -> o.trial() == u.trial() && o.epoch() == u.epoch()
        && u.outCkpt().equals(o.inCkpt()));
  }

  @Test
  void checkpointsInsideAnEpochStayInMemoryAndEachEpochsLastIsWritten() {
    List<UnitRecord> units = faultFree.units();
    assertEquals(8, units.size(), units.toString());
    for (UnitRecord u : units) {
      boolean written = Files.exists(faultFreeDir.resolve(u.outCkpt()));
      if (midEpoch(u, units)) {
        assertEquals(0, u.bytesWritten(), "kept in memory for the next unit of the epoch: " + u);
        assertFalse(written, "no file for a checkpoint its successor took: " + u.outCkpt());
      } else {
        assertTrue(u.bytesWritten() > 0 && written, "an epoch's last checkpoint is written: " + u);
      }
    }
    assertEquals(0, LiveStates.size(), "a finished job leaves nothing in memory");
  }

  @Test
  void aConfigsTrainerCarriesOverToTheRunsNextRoundJob() {
    // the first job stopped before epoch 2 (its budget): epoch 2 ran in a second job
    List<UnitRecord> units = twoJobs.units();
    List<UnitRecord> firstOfEpoch2 = units.stream().filter(u -> u.epoch() == 2 && units.stream()
        .anyMatch(o -> o.epoch() == 1 && o.outCkpt().equals(u.inCkpt()))).toList();
    assertEquals(2, firstOfEpoch2.size(), "one per config: " + units);
    for (UnitRecord u : firstOfEpoch2) {
      assertEquals(0, u.bytesRead(), "continued the trainer the previous job left: " + u);
      assertTrue(Files.exists(twoJobsDir.resolve(u.inCkpt())), "whose checkpoint is written all the same");
    }
    assertEquals(0, LiveStates.size(), "the run released what its jobs left");
  }

  @Test
  void aRunWhoseFirstRoundJobStoppedEarlyTrainsWhatOneJobTrains() {
    assertEquals(ModelSelectionTest.visits(faultFree), ModelSelectionTest.visits(twoJobs));
    assertArrayEquals(ModelSelectionTest.metrics(faultFree), ModelSelectionTest.metrics(twoJobs), 1e-9);
  }

  @Test
  void aCheckpointWrittenAgainDropsTheTrainerLeftForIt() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("rewritten").toString());
    String scope = LiveStates.runScope(store);
    LiveStates.put(scope, new LiveStates.Live(trainer(), null, store, "ckpt/e1.ckpt", 1_000));
    LiveStates.discard(scope, "ckpt/e1.ckpt");
    assertEquals(0, LiveStates.size());
    assertEquals(0, LiveStates.heldBytes());
    assertNull(LiveStates.take(scope, "ckpt/e1.ckpt"), "a later unit reads the new checkpoint instead");
    assertFalse(store.exists("ckpt/e1.ckpt"), "nothing written: the unit rewriting it does");
  }

  @Test
  void aUnitFailingAfterItContinuedAStateInMemoryIsRetriedFromThoseBytesWithEqualResults() throws Exception {
    UnitRecord second = faultFree.units().stream()
        .filter(u -> u.trial() == 0 && u.epoch() == 1 && !midEpoch(u, faultFree.units())).findFirst().orElseThrow();
    Path dir = tmp.resolve("retried");
    SelectionResult r = run(dir, Set.of("0/1/" + second.shard()));
    List<UnitRecord> tries = r.units().stream()
        .filter(u -> u.trial() == 0 && u.epoch() == 1 && u.shard() == second.shard()).toList();
    assertEquals(2, tries.size(), "a failed try, then its retry: " + tries);
    assertTrue(tries.get(0).error().contains("injected failure"), tries.get(0).error());
    assertNull(tries.get(1).error());
    assertEquals(0, tries.get(1).bytesRead(), "the retry restored the bytes kept in memory");
    assertFalse(Files.exists(dir.resolve(second.inCkpt())), "and they never needed a file");
    assertArrayEquals(ModelSelectionTest.metrics(faultFree), ModelSelectionTest.metrics(r), 1e-9,
        "same seed => same results, failure or not");
  }

  @Test
  void aStateInMemoryThatNoUnitTookIsWrittenWhenItsJobEnds() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("left").toString());
    byte[] bytes = exportedState();
    LiveStates.put("rounds/left-test", new LiveStates.Live(trainer(), bytes, store, "ckpt/a.ckpt", bytes.length));
    LiveStates.put("rounds/left-test", new LiveStates.Live(trainer(), bytes, store, "ckpt/b.ckpt", bytes.length));
    LiveStates.Live taken = LiveStates.take("rounds/left-test", "ckpt/b.ckpt");
    taken.trainer().close();
    LiveStates.forget("rounds/left-test");
    assertArrayEquals(bytes, store.read("ckpt/a.ckpt"), "left for a successor that never came: written");
    assertFalse(store.exists("ckpt/b.ckpt"), "taken: the taker's to keep, not written");
    assertEquals(0, LiveStates.size());
  }

  @Test
  void aStateInMemoryEvictedBeyondTheBudgetIsWrittenFirst() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("evicted").toString());
    byte[] bytes = exportedState();
    long half = LiveStates.BUDGET_BYTES / 2; // two such trainers hold more than the budget
    LiveStates.put("rounds/evict-test", new LiveStates.Live(trainer(), bytes, store, "ckpt/0.ckpt", half));
    LiveStates.put("rounds/evict-test", new LiveStates.Live(trainer(), bytes, store, "ckpt/1.ckpt", half));
    assertEquals(1, LiveStates.size());
    assertEquals(half + bytes.length, LiveStates.heldBytes());
    assertArrayEquals(bytes, store.read("ckpt/0.ckpt"), "the oldest, evicted, is written");
    assertFalse(store.exists("ckpt/1.ckpt"), "the newer stays in memory");
    LiveStates.forget("rounds/evict-test");
    assertTrue(store.exists("ckpt/1.ckpt"));
    assertEquals(0, LiveStates.heldBytes());
  }

  @Test
  void manyConfigsStatesWithinTheBudgetAllStayInMemory() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("many").toString());
    byte[] bytes = exportedState();
    int configs = 64; // a round job leaves one entry per config waiting for its next unit
    for (int i = 0; i < configs; i++) {
      LiveStates.put("rounds/many-test", new LiveStates.Live(trainer(), bytes, store, "ckpt/" + i + ".ckpt",
          bytes.length));
    }
    assertEquals(configs, LiveStates.size());
    assertEquals(2L * configs * bytes.length, LiveStates.heldBytes(), "each holds its trainer and its pending bytes");
    for (int i = 0; i < configs; i++) {
      assertFalse(store.exists("ckpt/" + i + ".ckpt"), "config " + i + ": not written");
      LiveStates.take("rounds/many-test", "ckpt/" + i + ".ckpt").trainer().close();
    }
    assertEquals(0, LiveStates.heldBytes());
  }

  @Test
  void aStateLargerThanTheBudgetIsWrittenAtOnce() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("large").toString());
    byte[] bytes = exportedState();
    LiveStates.put("rounds/large-test", new LiveStates.Live(trainer(), bytes, store, "ckpt/big.ckpt",
        LiveStates.BUDGET_BYTES + 1));
    assertEquals(0, LiveStates.size());
    assertArrayEquals(bytes, store.read("ckpt/big.ckpt"));
  }

  @Test
  void validationScoresTheTrainerLeftLiveWithoutReadingItsCheckpoint() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("lent").toString());
    String scope = LiveStates.runScope(store);
    Trainer live = trainer();
    live.train(List.of(batch()).iterator()); // a state unlike a fresh trainer's
    byte[] state = live.exportState();
    LiveStates.put(scope, new LiveStates.Live(live, null, store, "ckpt/e1.ckpt", state.length));
    Metrics lent = UnitQuery.evaluate(List.of(batch()), FACTORY, store, CONFIG, 1, "ckpt/e1.ckpt", "rounds/lent-test");
    assertFalse(store.exists("ckpt/e1.ckpt"), "no file: the sums came from the live trainer");
    store.write("ckpt/e1.ckpt", state);
    Metrics restored = UnitQuery.evaluate(List.of(batch()), FACTORY, store, CONFIG, 1, "ckpt/e1.ckpt", null);
    assertEquals(restored, lent, "a live trainer holds exactly its checkpoint's state");
    assertEquals(1, LiveStates.size(), "given back, still left for the unit that continues it");
    assertEquals(state.length, LiveStates.heldBytes());
    LiveStates.take(scope, "ckpt/e1.ckpt").trainer().close();
  }

  @Test
  void aLentTrainerIsTakenOnlyWhenGivenBack() throws Exception {
    CheckpointStore store = new CheckpointStore(tmp.resolve("lent-wait").toString());
    LiveStates.Live left = new LiveStates.Live(trainer(), null, store, "ckpt/e1.ckpt", 1_000);
    LiveStates.put("rounds/lend-test", left);
    LiveStates.Live lent = LiveStates.lend("rounds/lend-test", "ckpt/e1.ckpt");
    assertSame(left, lent);
    java.util.concurrent.CompletableFuture<LiveStates.Live> taken = new java.util.concurrent.CompletableFuture<>();
    Thread taker = new Thread(() -> taken.complete(LiveStates.take("rounds/lend-test", "ckpt/e1.ckpt")));
    taker.start();
    Thread.State st;
    while ((st = taker.getState()) != Thread.State.WAITING && st != Thread.State.TERMINATED) {
      Thread.onSpinWait();
    }
    assertEquals(Thread.State.WAITING, st, "the successor waits in take until the trainer is given back");
    assertFalse(taken.isDone());
    LiveStates.giveBack("rounds/lend-test", lent);
    taker.join();
    assertSame(left, taken.get(), "then continues the same trainer");
    taken.get().trainer().close();
    assertEquals(0, LiveStates.heldBytes());
  }

  @Test
  void roundJobsValidatingLiveTrainersReportTheMetricsOfOneJobPerUnit() throws Exception {
    SelectionResult perUnit = ModelSelection.builder().setData(data).setTrainerFactory(ModelSelectionTest.MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("per-unit").toString()).optSpec(Map.of("space", SPACE))
        .optExecution(Execution.MOP).optWorkers(2).optSeed(ModelSelectionTest.SEED).optRoundJobs(false)
        .build().run();
    assertArrayEquals(ModelSelectionTest.metrics(perUnit), ModelSelectionTest.metrics(faultFree), 1e-9);
    assertArrayEquals(accuracies(perUnit), accuracies(faultFree), 0.0);
  }

  /** @return each config's validation accuracy, by trial */
  private static double[] accuracies(SelectionResult r) {
    return r.leaderboard().stream().sorted(java.util.Comparator.comparingInt(SelectionResult.Entry::trial))
        .mapToDouble(SelectionResult.Entry::valAccuracy).toArray();
  }

  private static final Hyperparameters CONFIG = new Hyperparameters(Map.of("lr", 0.01, "width", 0));
  private static final DjlTrainerFactory FACTORY = DjlTrainerFactory.builtIn("head", new long[] {8}, 3);

  /** @return 6 rows of 8 features, 3 classes */
  private static Batch batch() {
    float[] x = new float[6 * 8];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i * 37 % 11) / 11f - 0.5f;
    }
    return new Batch(x, new int[] {0, 1, 2, 0, 1, 2});
  }

  /** @return a fresh trainer's state, as a unit exports it */
  private static byte[] exportedState() throws ArgusException {
    try (Trainer t = trainer()) {
      return t.exportState();
    }
  }

  /** @return a small real trainer (a multinomial logistic-regression head over 8 features) */
  private static Trainer trainer() throws ArgusException {
    return FACTORY.create(CONFIG, 1);
  }
}
