package org.argus.plan.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.argus.runtime.train.Metrics;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Round;
import org.argus.select.procedure.Trial;
import org.argus.select.space.Config;
import org.junit.jupiter.api.Test;

/**
 * The Spark-free MOP scheduler driven by fake unit results: placement invariants, visit orders,
 * retries, failure and divergence bookkeeping, longest-remaining-work placement.
 */
class RoundSchedulerTest {
  static final long SEED = 11;

  static List<Trial> trials(int n) {
    List<Trial> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Trial(i, new Config(Map.of("lr", 0.1 * (i + 1))), -1));
    }
    return out;
  }

  static RoundScheduler.Settings mop(int shards, int maxAttempts) {
    return new RoundScheduler.Settings(SEED, shards, shards, true, false, maxAttempts);
  }

  /** A successful unit that took {@code ms} in its task, 10 examples of loss {@code loss}. */
  static UnitRecord ok(Unit u, long ms, double loss) {
    return new UnitRecord(u.trial(), u.epoch(), u.shard(), u.attempt(), "e1", 1000, 1000 + ms, ms + 5, 48, 96,
        new Metrics(10, 10 * loss, 7, !Double.isFinite(loss)), u.inCkpt(), u.outCkpt(), null);
  }

  static UnitRecord failed(Unit u) {
    return UnitRecord.failed(u, 1000, 1001, "IllegalStateException: boom");
  }

  /**
   * Runs a round to the end: units finish in the order they were started (FIFO), each outcome from
   * {@code outcome}; returns every started unit in start order.
   */
  static List<Unit> drive(RoundScheduler rs, Function<Unit, UnitRecord> outcome, int concurrency) {
    List<Unit> started = new ArrayList<>();
    Deque<Unit> running = new ArrayDeque<>();
    while (true) {
      for (Unit u : rs.assign()) {
        started.add(u);
        running.add(u);
      }
      assertTrue(running.size() <= concurrency, "at most " + concurrency + " units in flight: " + running);
      assertEquals(running.size(), rs.inFlight());
      if (rs.inFlight() == 0) {
        return started;
      }
      Unit u = running.poll();
      var retry = rs.finished(u, outcome.apply(u));
      retry.ifPresent(r -> {
        started.add(r);
        running.add(r);
      });
    }
  }

  @Test
  void visitOrdersAreALatinSquareOverOneSeededPermutation() {
    List<Integer> round = List.of(0, 1, 2, 3);
    List<List<Integer>> orders = new ArrayList<>();
    for (int t : round) {
      List<Integer> o = VisitOrders.of(SEED, 1, 4, round, t, false);
      assertEquals(Set.of(0, 1, 2, 3), new HashSet<>(o), "every shard once: " + o);
      orders.add(o);
    }
    for (int step = 0; step < 4; step++) {
      Set<Integer> atStep = new HashSet<>();
      for (List<Integer> o : orders) {
        atStep.add(o.get(step));
      }
      assertEquals(4, atStep.size(), "step " + step + ": configs want different shards " + orders);
    }
    // each order is a rotation of the first
    List<Integer> first = orders.get(0);
    for (List<Integer> o : orders) {
      int shift = first.indexOf(o.get(0));
      for (int j = 0; j < 4; j++) {
        assertEquals(first.get((shift + j) % 4), o.get(j), "rotation of " + first + ": " + o);
      }
    }
    assertEquals(orders.get(2), VisitOrders.of(SEED, 1, 4, List.of(3, 2, 1, 0), 2, false), "round order is irrelevant");
    assertNotEquals(orders, round.stream().map(t -> VisitOrders.of(SEED, 2, 4, round, t, false)).toList(),
        "another epoch draws another schedule");
    for (int t : round) {
      assertEquals(VisitOrders.of(SEED, 1, 4, round, 0, true), VisitOrders.of(SEED, 1, 4, round, t, true),
          "sequential: every config starts at offset 0");
    }
    assertThrows(IllegalArgumentException.class, () -> VisitOrders.of(SEED, 1, 4, round, 9, false));
  }

  @Test
  void everyConfigVisitsEveryShardOnceInItsVisitOrderAndNothingIsDoubleBooked() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    assertEquals(List.of(0, 1, 2, 3, 4), state.begin(0, new Round(trials(5), Map.of())));
    RoundScheduler rs = state.scheduler(mop(3, 3));
    SplittableRandom times = new SplittableRandom(3);
    Map<Integer, List<Integer>> visited = new HashMap<>();
    Set<Integer> busyShards = new HashSet<>();
    Set<Integer> busyConfigs = new HashSet<>();
    List<Unit> running = new ArrayList<>();
    while (true) {
      for (Unit u : rs.assign()) {
        assertTrue(busyShards.add(u.shard()), "shard " + u.shard() + " runs one unit at a time");
        assertTrue(busyConfigs.add(u.trial()), "config " + u.trial() + " is in one place at a time");
        running.add(u);
      }
      if (rs.inFlight() == 0) {
        break;
      }
      Unit u = running.remove(times.nextInt(running.size())); // finish in a random order
      busyShards.remove(u.shard());
      busyConfigs.remove(u.trial());
      visited.computeIfAbsent(u.trial(), k -> new ArrayList<>()).add(u.shard());
      assertTrue(rs.finished(u, ok(u, 10 + times.nextInt(50), 0.5)).isEmpty());
    }
    for (int t = 0; t < 5; t++) {
      assertEquals(rs.visitOrder(t), visited.get(t), "config " + t + " follows its visit order");
      assertEquals(Unit.hop(t, 1, visited.get(t).get(2), null).outCkpt(), state.checkpoint(t),
          "the config's checkpoint is its last unit's output");
    }
  }

  @Test
  void eachUnitReadsTheCheckpointItsPreviousUnitWrote() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    state.begin(0, new Round(trials(2), Map.of()));
    List<Unit> units = drive(state.scheduler(mop(2, 3)), u -> ok(u, 10, 0.5), 2);
    for (int t = 0; t < 2; t++) {
      final int trial = t;
      List<Unit> mine = units.stream().filter(u -> u.trial() == trial).toList();
      assertNull(mine.get(0).inCkpt(), "a fresh model");
      assertEquals(mine.get(0).outCkpt(), mine.get(1).inCkpt());
      assertEquals("ckpt/trial-" + t + "/e1-s" + mine.get(1).shard() + ".ckpt", mine.get(1).outCkpt());
    }
  }

  @Test
  void aFailedUnitIsRetriedFromItsInputCheckpointThenFailsOnlyItsConfig() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    state.begin(0, new Round(trials(2), Map.of()));
    List<Unit> units = drive(state.scheduler(mop(2, 2)), u -> u.trial() == 0 ? failed(u) : ok(u, 10, 0.5), 2);
    List<Unit> zero = units.stream().filter(u -> u.trial() == 0).toList();
    assertEquals(2, zero.size(), "first try and one retry, then no other shard: " + zero);
    assertEquals(zero.get(0).retry(), zero.get(1));
    assertEquals(zero.get(0).inCkpt(), zero.get(1).inCkpt(), "retried from the unchanged input");
    assertTrue(state.failure(0).startsWith("unit (epoch 1, shard " + zero.get(0).shard() + ") failed 2 times: "
        + "IllegalStateException: boom"), state.failure(0));
    assertNull(state.failure(1));
    assertEquals(2, units.stream().filter(u -> u.trial() == 1).count(), "the other config visits both shards");
    EpochRecord e = state.endEpoch(0, 5, Metrics.EMPTY, null);
    assertTrue(Double.isNaN(e.metric()));
    assertEquals(state.failure(0), e.failed());
    assertEquals("failed: " + state.failure(0), state.status(0));
  }

  @Test
  void aNonFiniteTrainingLossFailsTheConfigAndStopsItsEpoch() {
    SelectionState state = new SelectionState(SEED, Goal.minimize("loss"), Replay.NONE, true);
    state.begin(0, new Round(trials(1), Map.of()));
    List<Unit> units = drive(state.scheduler(mop(3, 3)), u -> ok(u, 10, Double.NaN), 3);
    assertEquals(1, units.size(), "no unit after the diverged one");
    assertEquals("diverged: NaN loss in epoch 1", state.failure(0));
  }

  @Test
  void aFreeShardGoesToTheConfigWithTheMostRemainingWork() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    RoundScheduler.Settings one = new RoundScheduler.Settings(SEED, 1, 1, true, false, 3);
    // round 0 measures trial 2's units at 100 ms, the others' at 1 ms
    state.begin(0, new Round(trials(3), Map.of()));
    drive(state.scheduler(one), u -> ok(u, u.trial() == 2 ? 100 : 1, 0.5), 1);
    for (int t = 0; t < 3; t++) {
      state.endEpoch(t, 1, new Metrics(10, 5, 5, false), null);
    }
    state.results();
    state.begin(1, new Round(trials(3), Map.of()));
    List<Unit> order = drive(state.scheduler(one), u -> ok(u, 1, 0.5), 1);
    assertEquals(2, order.get(0).trial(), "the slow config first: " + order);
  }

  @Test
  void aPlannedJobRunsTheLongestConfigFirstWithinEachStep() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    // round 0 measures trial 3's units at 100 ms, the others' at 1 ms
    state.begin(0, new Round(trials(4), Map.of()));
    drive(state.scheduler(mop(2, 3)), u -> ok(u, u.trial() == 3 ? 100 : 1, 0.5), 2);
    for (int t = 0; t < 4; t++) {
      state.endEpoch(t, 1, new Metrics(10, 5, 5, false), null);
    }
    state.results();
    state.begin(1, new Round(trials(4), Map.of(), 3));
    RoundScheduler rs = state.scheduler(mop(2, 3));
    List<List<Unit>> plan = rs.plan(1);
    int shard3 = rs.visitOrder(3).get(0);
    assertEquals(2, plan.get(shard3).stream().filter(u -> rs.visitOrder(u.trial()).get(0) == shard3).count(),
        "two configs start on trial 3's first shard: " + plan);
    assertEquals(3, plan.get(shard3).get(0).trial(), "the slow config opens its shard's list: " + plan);
    for (List<Unit> list : plan) {
      for (int i = 1; i < list.size(); i++) { // within a step, no unit comes before trial 3's
        Unit a = list.get(i - 1);
        Unit b = list.get(i);
        if (rs.visitOrder(a.trial()).indexOf(a.shard()) == rs.visitOrder(b.trial()).indexOf(b.shard())) {
          assertTrue(b.trial() != 3, "trial 3 after trial " + a.trial() + " in one step: " + list);
        }
      }
    }
  }

  @Test
  void sameSeedSamePlacementWhateverTheCompletionTimes() {
    List<List<Unit>> runs = new ArrayList<>();
    for (int rep = 0; rep < 2; rep++) {
      SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
      state.begin(0, new Round(trials(4), Map.of()));
      runs.add(drive(state.scheduler(mop(2, 3)), u -> ok(u, 10, 0.5), 2));
    }
    assertEquals(runs.get(0), runs.get(1));
  }

  @Test
  void taskParallelRunsOneUnitPerConfigOnAnyReplica() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, false);
    state.begin(0, new Round(trials(3), Map.of()));
    var tp = new RoundScheduler.Settings(SEED, 2, 2, false, false, 3);
    List<Unit> units = drive(state.scheduler(tp), u -> ok(u, 10, 0.5), 2);
    assertEquals(List.of(0, 1, 2), units.stream().map(Unit::trial).sorted().toList());
  }

  @Test
  void settingsRefuseNonPositiveCounts() {
    var e = assertThrows(IllegalArgumentException.class, () -> new RoundScheduler.Settings(SEED, 0, 1, true, false, 1));
    assertTrue(e.getMessage().contains("found 0, 1, 1"), e.getMessage());
  }
}
