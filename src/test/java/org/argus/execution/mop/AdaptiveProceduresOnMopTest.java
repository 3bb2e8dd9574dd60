package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.argus.data.FashionMnist;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.Asha;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Hyperband;
import org.argus.select.procedure.Procedure;
import org.argus.select.space.SearchSpace;
import org.argus.store.RunDirectory;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hyperband and ASHA end to end through MOP (300 Fashion-MNIST images, 2 shards, a tiny MLP, goal
 * {@code min loss}): trials pause at rungs and continue from their checkpoints; promotions go to the
 * lowest validation losses.
 */
class AdaptiveProceduresOnMopTest {
  static final SearchSpace SPACE = SearchSpace.parse("lr=loguniform(1e-3,3e-1);width=choice(16);depth=choice(1)");
  /** A learning rate that learns and one that barely moves: their losses after an epoch are far apart. */
  static final SearchSpace GOOD_OR_STUCK = SearchSpace.parse("lr=choice(0.003,0.000001);width=choice(16);depth=choice(1)");
  static final Goal LOSS = Goal.minimize("loss");
  static final long SEED = 5;

  @TempDir static Path tmp;
  static JavaRDD<Example> data;
  static Run asha;
  static Run hyperband;

  record Run(SelectionResult result, List<EpochRecord> epochs, List<UnitRecord> units) {
    Optional<EpochRecord> epoch(int trial, int epoch) {
      return epochs.stream().filter(e -> e.trial() == trial && e.epoch() == epoch).findFirst();
    }

    List<UnitRecord> units(int trial, int epoch) {
      return units.stream().filter(u -> u.trial() == trial && u.epoch() == epoch && u.error() == null)
          .sorted(Comparator.comparingLong(UnitRecord::startMs)).toList();
    }

    int maxEpoch(int trial) {
      return epochs.stream().filter(e -> e.trial() == trial).mapToInt(EpochRecord::epoch).max().orElse(0);
    }
  }

  static Run run(Procedure p, String name) throws Exception {
    Path dir = tmp.resolve(name);
    SelectionResult r = ModelSelection.builder().setData(data)
        .setTrainerFactory(DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10).withThreads(1))
        .setProcedure(p).setRunDir(dir.toString()).optExecution(Execution.MOP).optWorkers(2).optSeed(SEED)
        .build().run();
    RunDirectory d = new RunDirectory(dir.toString());
    return new Run(r, d.readEpochs(), d.readUnits());
  }

  @BeforeAll
  static void runBoth() throws Exception {
    data = Examples.fromImages(
        FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TRAIN, 300, 3), "image", "label").cache();
    // one trial per round; the first sampled config learns, the second does not: after round 1 the
    // first, paused since round 0, is promoted
    long seed = seedWhoseFirstConfigLearnsAndSecondDoesNot();
    asha = run(new Asha(GOOD_OR_STUCK, 4, 2, 5, 1, seed, LOSS), "asha");
    hyperband = run(new Hyperband(SPACE, 2, 2, SEED, LOSS), "hyperband");
  }

  static long seedWhoseFirstConfigLearnsAndSecondDoesNot() {
    for (long s = 1; ; s++) {
      SearchSpace.Sampler sampler = GOOD_OR_STUCK.sampler(s);
      if (sampler.next().getDouble("lr") > sampler.next().getDouble("lr")) {
        return s;
      }
    }
  }

  /** Its epoch {@code e + 1} starts from the checkpoint its epoch {@code e} ended with. */
  static void assertContinues(Run run, int trial, int e) {
    EpochRecord before = run.epoch(trial, e).orElseThrow();
    List<UnitRecord> last = run.units(trial, e);
    assertEquals(last.get(last.size() - 1).outCkpt(), before.ckpt(), "epoch " + e + " ended with its last unit's checkpoint");
    List<UnitRecord> next = run.units(trial, e + 1);
    assertFalse(next.isEmpty(), "trial " + trial + " trained epoch " + (e + 1));
    assertEquals(before.ckpt(), next.get(0).inCkpt(), "trial " + trial + " epoch " + (e + 1) + " reads the checkpoint of epoch " + e);
    assertTrue(run.epoch(trial, e + 1).isPresent(), "its epoch count continues at " + (e + 1));
  }

  @Test
  void aPausedAshaTrialResumesFromTheCheckpointItPausedWith() {
    assertTrue(asha.epoch(0, 1).orElseThrow().valLoss() < asha.epoch(1, 1).orElseThrow().valLoss(),
        "precondition: the config that learns has the lower loss after one epoch");
    int paused = 0;
    for (EpochRecord e : asha.epochs()) {
      Optional<EpochRecord> next = asha.epoch(e.trial(), e.epoch() + 1);
      if (next.isPresent() && next.get().round() > e.round() + 1) { // waited at least one round at a rung
        paused++;
        assertContinues(asha, e.trial(), e.epoch());
      }
    }
    assertTrue(paused > 0, "some trial paused at a rung and was promoted later: " + asha.epochs());
    assertEquals(0, asha.epoch(0, 1).orElseThrow().round());
    assertEquals(2, asha.epoch(0, 2).orElseThrow().round(), "trial 0 waited at rung 0 while trial 1 trained");
    for (int t = 0; t < 5; t++) {
      assertTrue(List.of(1, 2, 4).contains(asha.maxEpoch(t)), "trial " + t + " stopped at a rung: " + asha.maxEpoch(t));
    }
  }

  @Test
  void ashaWithGoalLossPromotesTheLowestValidationLosses() {
    List<Integer> rungs = List.of(1, 2, 4);
    int promotions = 0;
    for (int k = 0; k + 1 < rungs.size(); k++) {
      int at = rungs.get(k);
      for (EpochRecord firstAbove : asha.epochs().stream().filter(e -> e.epoch() == at + 1).toList()) {
        // the rung's results known when it was promoted, lowest loss first
        List<EpochRecord> known = new ArrayList<>(asha.epochs().stream()
            .filter(e -> e.epoch() == at && e.round() < firstAbove.round()).toList());
        known.sort(Comparator.comparingDouble((EpochRecord e) -> Double.isNaN(e.valLoss()) ? Double.MAX_VALUE : e.valLoss())
            .thenComparingInt(EpochRecord::trial));
        int quota = known.size() / 2;
        int rank = known.stream().map(EpochRecord::trial).toList().indexOf(firstAbove.trial());
        assertTrue(rank >= 0 && rank < quota, "trial " + firstAbove.trial() + " promoted from rung " + k + " at rank "
            + rank + " of " + known.size() + " (quota " + quota + ")");
        promotions++;
      }
    }
    assertTrue(promotions >= 2, "promotions: " + promotions);
    for (EpochRecord e : asha.epochs()) {
      assertEquals(e.valLoss(), e.metric(), 0.0, "goal loss: the metric is the validation loss");
    }
    List<SelectionResult.Entry> board = asha.result().leaderboard();
    for (int i = 1; i < board.size(); i++) {
      assertTrue(board.get(i - 1).metric() <= board.get(i).metric() || Double.isNaN(board.get(i).metric()),
          "lowest loss first: " + board);
    }
  }

  @Test
  void hyperbandKeepsTheLowerLossOfARungAndItContinuesFromItsCheckpoint() {
    // R = 2, eta = 2: bracket s = 1 starts trials 0 and 1 at 1 epoch and keeps one for 2 epochs
    assertEquals(4, hyperband.result().leaderboard().size());
    double loss0 = hyperband.epoch(0, 1).orElseThrow().valLoss();
    double loss1 = hyperband.epoch(1, 1).orElseThrow().valLoss();
    int kept = loss0 <= loss1 ? 0 : 1;
    assertEquals(2, hyperband.maxEpoch(kept));
    assertEquals(1, hyperband.maxEpoch(1 - kept));
    assertContinues(hyperband, kept, 1);
    SelectionResult.Entry dropped = hyperband.result().leaderboard().stream().filter(e -> e.trial() == 1 - kept)
        .findFirst().orElseThrow();
    assertEquals("bracket s=1 rung 0: not in top 1 of 2 at 1 epochs", dropped.status());
    assertEquals(Map.of(2, 2, 3, 2), Map.of(2, hyperband.maxEpoch(2), 3, hyperband.maxEpoch(3)),
        "bracket s = 0 trains both its trials for 2 epochs");
  }
}
