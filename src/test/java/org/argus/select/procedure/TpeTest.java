package org.argus.select.procedure;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * TPE against scripted trainers: a synthetic accuracy over a log-uniform {@code lr} (best at 1e-2.5)
 * and a categorical {@code layer} where {@code block_13} is clearly best.
 */
class TpeTest {
  static final SearchSpace SPACE = SearchSpace.parse(
      "lr=loguniform(1e-5,1e-1);layer=choice(block_6,block_10,block_13,out_relu)");
  static final Goal ACC = Goal.maximize("accuracy");

  /** Accuracy peaks at lr = 10^-2.5 and is 0.25 higher for block_13 than for any other layer. */
  static double accuracy(Config c) {
    double d = Math.log10(c.getDouble("lr")) + 2.5;
    return 0.5 - 0.05 * d * d + (c.getString("layer", "").equals("block_13") ? 0.25 : 0);
  }

  /** Every epoch reports the final accuracy times {@code e / 3}. */
  static final BiFunction<Trial, Integer, EpochResult> CURVE =
      (t, e) -> EpochResult.ok(t.id(), e, accuracy(t.config()) * e / 3.0);

  static Tpe tpe(SearchSpace space, int n, int startup, int parallelism, long seed) {
    return new Tpe(space, n, startup, 3, parallelism, seed, ACC);
  }

  @Test
  void theSameSeedAndResultsGiveTheSameTrials() {
    Tpe a = tpe(SPACE, 30, 10, 2, 7);
    Tpe b = tpe(SPACE, 30, 10, 2, 7);
    ProcedureRunner.run(a, CURVE);
    ProcedureRunner.run(b, CURVE);
    assertEquals(30, a.trials().size());
    assertEquals(a.trials(), b.trials());
    Tpe c = tpe(SPACE, 30, 10, 2, 8);
    ProcedureRunner.run(c, CURVE);
    assertNotEquals(a.trials(), c.trials(), "another seed proposes other configs");
  }

  @Test
  void replayingRecordedResultsProposesTheSameTrialsRoundByRound() {
    Tpe original = tpe(SPACE, 20, 5, 3, 11);
    List<Round> rounds = new ArrayList<>();
    List<List<EpochResult>> fed = new ArrayList<>();
    List<EpochResult> results = List.of();
    Map<Integer, Integer> done = new java.util.HashMap<>();
    while (true) {
      fed.add(results);
      Round r = original.next(results);
      rounds.add(r);
      if (r.done()) {
        break;
      }
      List<EpochResult> next = new ArrayList<>();
      for (Trial t : r.train()) {
        next.add(CURVE.apply(t, done.merge(t.id(), 1, Integer::sum)));
      }
      results = next;
    }
    Tpe replay = tpe(SPACE, 20, 5, 3, 11);
    for (int i = 0; i < fed.size(); i++) {
      assertEquals(rounds.get(i), replay.next(fed.get(i)), "round " + i);
    }
    assertEquals(original.trials(), replay.trials());
  }

  @Test
  void startupTrialsAreRandomSearchsFirstConfigs() {
    Tpe t = tpe(SPACE, 30, 10, 2, 3);
    ProcedureRunner.run(t, CURVE);
    FixedEpochs random = FixedEpochs.random(SPACE, 10, 3, 3, ACC);
    random.next(List.of());
    assertEquals(random.trials().stream().map(Trial::config).toList(),
        t.trials().subList(0, 10).stream().map(Trial::config).toList());
  }

  @Test
  void laterProposalsConcentrateOnTheBestCategoryAndLearningRate() {
    Tpe t = tpe(SPACE, 50, 10, 2, 1);
    ProcedureRunner.run(t, CURVE);
    List<Trial> later = t.trials().subList(20, 50);
    long best = later.stream().filter(x -> x.config().getString("layer", "").equals("block_13")).count();
    // random search picks block_13 with p = 1/4: P(>= 18 of 30) < 1e-4
    assertTrue(best >= 18, "block_13 in " + best + " of the last 30 proposals");
    long nearLr = later.stream().filter(x -> Math.abs(Math.log10(x.config().getDouble("lr")) + 2.5) < 1).count();
    // random: P(|log10 lr + 2.5| < 1) = 2/4 = 0.5; P(>= 24 of 30) < 1e-3
    assertTrue(nearLr >= 24, "lr within a decade of 10^-2.5 in " + nearLr + " of the last 30");
  }

  @Test
  void itFindsABetterConfigThanRandomSearchAtEqualBudgetOnMostSeeds() {
    int wins = 0;
    for (long seed = 1; seed <= 10; seed++) {
      Tpe t = tpe(SPACE, 30, 10, 2, seed);
      ProcedureRunner.run(t, CURVE);
      FixedEpochs r = FixedEpochs.random(SPACE, 30, 3, seed, ACC);
      ProcedureRunner.run(r, CURVE);
      double bt = t.trials().stream().mapToDouble(x -> accuracy(x.config())).max().orElseThrow();
      double br = r.trials().stream().mapToDouble(x -> accuracy(x.config())).max().orElseThrow();
      wins += bt >= br ? 1 : 0;
    }
    assertTrue(wins >= 8, "TPE at least as good as random on " + wins + " of 10 seeds");
  }

  @Test
  void aMinimizeGoalConcentratesOnTheLowestLoss() {
    Tpe t = new Tpe(SPACE, 40, 10, 3, 2, 4, Goal.minimize("loss"));
    ProcedureRunner.run(t, (x, e) -> EpochResult.ok(x.id(), e, 1 - accuracy(x.config())));
    long best = t.trials().subList(20, 40).stream()
        .filter(x -> x.config().getString("layer", "").equals("block_13")).count();
    assertTrue(best >= 12, "block_13 in " + best + " of the last 20 proposals");
  }

  @Test
  void failedTrialsCountAsBad() {
    // block_13 would be best, but every one of its trials diverges: TPE must avoid it
    Tpe t = tpe(SPACE, 40, 10, 2, 5);
    ProcedureRunner.run(t, (x, e) -> x.config().getString("layer", "").equals("block_13")
        ? new EpochResult(x.id(), e, Double.NaN, "diverged: NaN loss")
        : CURVE.apply(x, e));
    long diverging = t.trials().subList(20, 40).stream()
        .filter(x -> x.config().getString("layer", "").equals("block_13")).count();
    assertTrue(diverging <= 3, "block_13 proposed " + diverging + " times of the last 20 after it diverged");
  }

  @Test
  void itKeepsParallelismTrialsTrainingAndEveryTrialTrainsItsEpochs() {
    Tpe t = tpe(SPACE, 13, 4, 3, 2);
    List<Round> rounds = ProcedureRunner.run(t, CURVE);
    Map<Integer, Integer> ep = ProcedureTest.epochs(t, rounds);
    assertEquals(13, t.trials().size());
    for (int id = 0; id < 13; id++) {
      assertEquals(3, ep.get(id), "trial " + id + " trained 3 epochs");
    }
    for (Round r : rounds.subList(0, 12)) {
      assertEquals(3, r.train().size(), "3 slots busy while trials are left: " + r.train());
    }
    assertEquals(13, rounds.stream().mapToLong(r -> r.stopped().size()).sum(), "every trial stopped once");
    assertEquals("finished 3 epochs", rounds.get(3).stopped().get(0));
  }

  @Test
  void proposalsOfOneBatchDiffer() {
    // 2 x 3 = 6 configs, 4 slots: after startup, each batch of 4 proposals holds 4 distinct configs
    SearchSpace small = SearchSpace.parse("layer=choice(a,b);pooling=choice(avg,max,none)");
    Tpe t = new Tpe(small, 24, 4, 1, 4, 9, ACC);
    List<Round> rounds = ProcedureRunner.run(t, (x, e) -> EpochResult.ok(x.id(), e,
        x.config().getString("layer", "").equals("a") && x.config().getString("pooling", "").equals("max") ? 0.9 : 0.5));
    for (Round r : rounds.subList(1, rounds.size() - 1)) {
      Set<Config> configs = new HashSet<>();
      r.train().forEach(x -> configs.add(x.config()));
      assertEquals(r.train().size(), configs.size(), "distinct configs in " + r.train());
    }
  }

  @Test
  void proposalsRespectTheDomains() {
    SearchSpace space = SearchSpace.parse(
        "lr=loguniform(1e-4,1e-2);width=randint(8,12);drop=quniform(0,0.5,0.1);m=uniform(0.5,0.9);batch=choice(32,128)");
    Tpe t = new Tpe(space, 60, 5, 1, 2, 13, ACC);
    ProcedureRunner.run(t, (x, e) -> EpochResult.ok(x.id(), e, x.config().getDouble("m") - x.config().getDouble("drop")));
    Set<Object> batches = new HashSet<>();
    for (Trial x : t.trials().subList(5, 60)) {
      Map<String, Object> v = x.config().values();
      assertTrue((Double) v.get("lr") >= 1e-4 && (Double) v.get("lr") <= 1e-2, x.toString());
      long w = (Long) v.get("width");
      assertTrue(w >= 8 && w <= 12, x.toString());
      double d = (Double) v.get("drop");
      assertEquals(Math.round(d / 0.1) * 0.1, d, 0.0, "a multiple of q: " + x);
      assertTrue(d >= 0 && d <= 0.5 + 1e-9, x.toString());
      assertTrue((Double) v.get("m") >= 0.5 && (Double) v.get("m") <= 0.9, x.toString());
      assertTrue(v.get("batch").equals(32L) || v.get("batch").equals(128L), x.toString());
      batches.add(v.get("batch"));
    }
    assertEquals(2, batches.size(), "both choices stay possible");
  }

  @Test
  void outOfRangeArgumentsAreRefused() {
    String e = assertThrows(IllegalArgumentException.class, () -> tpe(SPACE, 0, 10, 2, 1)).getMessage();
    assertTrue(e.contains("n must be >= 1") && e.contains("found n=0"), e);
    assertThrows(IllegalArgumentException.class, () -> tpe(SPACE, 5, 0, 2, 1));
    assertThrows(IllegalArgumentException.class, () -> tpe(SPACE, 5, 1, 0, 1));
  }

  @Test
  void theNormalDistributionFunctionMatchesKnownValues() {
    assertEquals(0.5, ParzenEstimator.Normal.cdf(0), 1e-15);
    assertEquals(0.8413447460685429, ParzenEstimator.Normal.cdf(1), 1e-14);
    assertEquals(0.022750131948179195, ParzenEstimator.Normal.cdf(-2), 1e-14);
    assertEquals(2.866515718791939e-7, ParzenEstimator.Normal.cdf(-5), 1e-14);
  }

  @Test
  void aCategoricalEstimatorSmoothsWeightedCountsWithOnePerCategory() {
    var c = (org.argus.select.space.Domain.Choice) SPACE.domains().get("layer");
    ParzenEstimator p = ParzenEstimator.fit(c, List.of("block_13", "block_13", "out_relu"));
    assertEquals(Math.log(3.0 / 7), p.logDensity("block_13"), 1e-12);
    assertEquals(Math.log(1.0 / 7), p.logDensity("block_6"), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> p.logDensity("conv5"));
  }

  @Test
  void linearForgettingWeighsTheOldestLess() {
    assertArrayEquals(new double[] {1, 1, 1}, ParzenEstimator.forgettingWeights(3));
    double[] w = ParzenEstimator.forgettingWeights(30);
    assertEquals(1.0 / 30, w[0], 1e-12);
    assertEquals(1.0, w[4], 1e-12);
    assertEquals(1.0, w[29], 1e-12);
    assertTrue(w[1] > w[0] && w[2] > w[1]);
  }
}
