package org.argus.plan.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Round;
import org.junit.jupiter.api.Test;

/**
 * Visit-order offsets balanced by static unit costs: the configs that queue for one shard at a step
 * carry about equal cost, a config as costly as the others together gets a shard to itself, equal
 * costs spread configs evenly, and the scheduler uses its settings' costs.
 */
class VisitOrderCostsTest {
  static final long SEED = 11;

  /** Each trial's offset in {@code epoch}: the index of its first shard in the epoch's permutation. */
  static Map<Integer, Integer> firstShards(int epoch, int shards, List<Integer> round, Map<Integer, Double> costs) {
    Map<Integer, Integer> out = new HashMap<>();
    for (int t : round) {
      out.put(t, VisitOrders.of(SEED, epoch, shards, round, costs, t, false).get(0));
    }
    return out;
  }

  @Test
  void aConfigAsCostlyAsTheOthersTogetherHasItsShardToItselfAtEveryStep() {
    List<Integer> round = List.of(0, 1, 2, 3);
    Map<Integer, Double> costs = Map.of(0, 19_680.0, 1, 35_040.0, 2, 24_800.0, 3, 63_200.0); // heads of 768…5 120
    for (int epoch = 1; epoch <= 20; epoch++) {
      for (int step = 0; step < 2; step++) {
        int mine = VisitOrders.of(SEED, epoch, 2, round, costs, 3, false).get(step);
        for (int t = 0; t < 3; t++) {
          assertTrue(VisitOrders.of(SEED, epoch, 2, round, costs, t, false).get(step) != mine,
              "epoch " + epoch + " step " + step + ": trial " + t + " queues with the costliest config");
        }
      }
    }
  }

  @Test
  void theCostsOfTheConfigsQueuingForAShardDifferByAtMostTheLargestCost() {
    SplittableRandom r = new SplittableRandom(5);
    for (int rep = 0; rep < 50; rep++) {
      int shards = 2 + r.nextInt(3);
      List<Integer> round = new ArrayList<>();
      Map<Integer, Double> costs = new HashMap<>();
      for (int t = 0; t < shards + r.nextInt(12); t++) {
        round.add(t);
        costs.put(t, 1 + r.nextDouble() * 9);
      }
      Map<Integer, Double> load = new HashMap<>();
      firstShards(1 + rep, shards, round, costs).forEach((t, s) -> load.merge(s, costs.get(t), Double::sum));
      double max = costs.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      double hi = load.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      double lo = load.size() < shards ? 0 : load.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      assertTrue(hi - lo <= max + 1e-9, "loads " + load + " of costs " + costs + " on " + shards + " shards");
    }
  }

  @Test
  void equalCostsSpreadTheConfigsEvenlyOverTheShards() {
    for (int shards = 1; shards <= 4; shards++) {
      for (int n = 1; n <= 9; n++) {
        List<Integer> round = new ArrayList<>();
        for (int t = 0; t < n; t++) {
          round.add(t);
        }
        Map<Integer, Integer> count = new HashMap<>();
        firstShards(2, shards, round, Map.of()).values().forEach(s -> count.merge(s, 1, Integer::sum));
        for (int c : count.values()) {
          assertTrue(c == n / shards || c == (n + shards - 1) / shards, n + " configs on " + shards + " shards: " + count);
        }
        assertEquals(Math.min(n, shards), count.size(), n + " configs on " + shards + " shards: " + count);
      }
    }
  }

  @Test
  void theSchedulerPlacesByItsSettingsUnitCosts() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    state.begin(0, new Round(RoundSchedulerTest.trials(4), Map.of()));
    // trial i has lr 0.1·(i+1): the last config costs as much as the three others together, plus one
    RoundScheduler rs = state.scheduler(new RoundScheduler.Settings(SEED, 2, 2, true, false, 3,
        c -> c.getDouble("lr") > 0.35 ? 4 : 1));
    Map<Integer, Double> costs = Map.of(0, 1.0, 1, 1.0, 2, 1.0, 3, 4.0);
    for (int t = 0; t < 4; t++) {
      assertEquals(VisitOrders.of(SEED, 1, 2, List.of(0, 1, 2, 3), costs, t, false), rs.visitOrder(t), "trial " + t);
      if (t < 3) {
        assertTrue(!rs.visitOrder(t).get(0).equals(rs.visitOrder(3).get(0)), "trial " + t + " shares trial 3's shard");
      }
    }
  }

  @Test
  void aUnitCostThatIsNotAPositiveFiniteNumberIsRefusedNamingTheConfig() {
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> VisitOrders.of(SEED, 1, 2, List.of(0, 1), Map.of(0, 1.0, 1, bad), 0, false));
      assertTrue(e.getMessage().contains("config 1's unit cost") && e.getMessage().contains(String.valueOf(bad)),
          e.getMessage());
    }
  }
}
