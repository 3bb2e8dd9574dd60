package org.argus.select.procedure;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.argus.select.space.SearchSpace;
import org.junit.jupiter.api.Test;

/** Procedures against a scripted fake trainer: accuracy(q, e) = q * (1 - 0.5^e), q per config. */
class ProcedureTest {
  static final SearchSpace SPACE = SearchSpace.parse("q=uniform(0,1)");

  static double curve(Trial t, int e) {
    return t.config().getDouble("q") * (1 - Math.pow(0.5, e));
  }

  /** Runs and returns epochs trained per trial. */
  static Map<Integer, Integer> epochs(Procedure p, List<Round> rounds) {
    Map<Integer, Integer> m = new HashMap<>();
    for (Round r : rounds) {
      for (Trial t : r.train()) {
        m.merge(t.id(), 1, Integer::sum);
      }
    }
    return m;
  }

  @Test
  void gridAndRandomTrainEveryConfigForAllEpochs() {
    var p = FixedEpochs.grid(SearchSpace.parse("a=choice(1,2,3)"), 2, Goal.maximize("accuracy"));
    List<Round> rounds = ProcedureRunner.run(p, (t, e) -> EpochResult.ok(t.id(), e, 0.5));
    assertEquals(3, rounds.size());
    assertEquals(Map.of(0, 2, 1, 2, 2, 2), epochs(p, rounds));
    assertEquals(3, rounds.get(2).stopped().size());
    var r = FixedEpochs.random(SPACE, 5, 1, 3, Goal.maximize("accuracy"));
    ProcedureRunner.run(r, (t, e) -> EpochResult.ok(t.id(), e, 0.5));
    assertEquals(5, r.trials().size());
    assertThrows(IllegalArgumentException.class, () -> FixedEpochs.random(SPACE, 0, 1, 3, Goal.maximize("a")));
  }

  @Test
  void divergedTrialStopsAndRunContinues() {
    var p = FixedEpochs.grid(SearchSpace.parse("a=choice(1,2)"), 3, Goal.minimize("loss"));
    List<Round> rounds =
        ProcedureRunner.run(
            p,
            (t, e) ->
                t.id() == 0 && e == 1
                    ? new EpochResult(t.id(), e, Double.NaN, "diverged: NaN loss")
                    : EpochResult.ok(t.id(), e, 1.0 / e));
    assertEquals(Map.of(0, 1, 1, 3), epochs(p, rounds));
    assertEquals("diverged: NaN loss", rounds.get(1).stopped().get(0));
  }

  @Test
  void hyperbandBracketsMatchTheJmlrTable() {
    var p = new Hyperband(SPACE, 9, 3, 11, Goal.maximize("accuracy"));
    assertEquals(2, Hyperband.sMax(9, 3));
    assertEquals(9, p.configsIn(2));
    assertEquals(5, p.configsIn(1));
    assertEquals(3, p.configsIn(0));
    List<Round> rounds = ProcedureRunner.run(p, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e)));
    Map<Integer, Integer> ep = epochs(p, rounds);
    assertEquals(17, p.trials().size());
    Map<Integer, List<Integer>> byBracket = new HashMap<>();
    for (Trial t : p.trials()) {
      byBracket.computeIfAbsent(t.bracket(), k -> new ArrayList<>()).add(ep.get(t.id()));
    }
    // s=2: 9 configs @1, 3 @3, 1 @9 -> epochs per trial sorted: 9, 3, 3, 1 x6
    assertEquals(List.of(1, 1, 1, 1, 1, 1, 3, 3, 9), byBracket.get(2).stream().sorted().toList());
    assertEquals(List.of(3, 3, 3, 3, 9), byBracket.get(1).stream().sorted().toList());
    assertEquals(List.of(9, 9, 9), byBracket.get(0).stream().sorted().toList());
    // in bracket 2 the survivor is the best q among its 9 configs
    int best =
        p.trials().stream().filter(t -> t.bracket() == 2)
            .max((a, b) -> Double.compare(a.config().getDouble("q"), b.config().getDouble("q")))
            .orElseThrow().id();
    assertEquals(9, ep.get(best));
    long stops = rounds.stream().mapToLong(r -> r.stopped().size()).sum();
    assertEquals(17, stops, "every trial stopped exactly once with a reason");
  }

  @Test
  void hyperbandMinimizeKeepsTheLowestLoss() {
    var p = new Hyperband(SPACE, 3, 3, 5, Goal.minimize("loss"));
    List<Round> rounds =
        ProcedureRunner.run(p, (t, e) -> EpochResult.ok(t.id(), e, t.config().getDouble("q")));
    Map<Integer, Integer> ep = epochs(p, rounds);
    int best =
        p.trials().stream().filter(t -> t.bracket() == 1)
            .min((a, b) -> Double.compare(a.config().getDouble("q"), b.config().getDouble("q")))
            .orElseThrow().id();
    assertEquals(3, ep.get(best));
  }

  @Test
  void ashaPromotesTopThirdAndRespectsBudget() {
    var p = new Asha(SPACE, 9, 3, 12, 2, 5, Goal.maximize("accuracy"));
    assertEquals(List.of(1, 3, 9), p.rungEpochs());
    List<Round> rounds = ProcedureRunner.run(p, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e)));
    Map<Integer, Integer> ep = epochs(p, rounds);
    assertEquals(12, p.trials().size());
    for (Round r : rounds) {
      assertTrue(r.train().size() <= 2, "parallelism respected");
    }
    for (int e : ep.values()) {
      assertTrue(e == 1 || e == 3 || e == 9, "trials stop at rung boundaries, got " + e);
    }
    long promoted = ep.values().stream().filter(e -> e >= 3).count();
    assertTrue(promoted >= 3 && promoted <= 5, "about a third promoted: " + promoted);
    assertTrue(ep.values().stream().anyMatch(e -> e == 9));
    // the first promotion happens when rung 0 holds 3 results: trials 0,1,2 (parallelism 2)
    // so the best of the first three configs reaches rung 1
    int bestOfFirst3 = 0;
    for (int i = 1; i < 3; i++) {
      if (p.trials().get(i).config().getDouble("q") > p.trials().get(bestOfFirst3).config().getDouble("q")) {
        bestOfFirst3 = i;
      }
    }
    assertTrue(ep.get(bestOfFirst3) >= 3);
    long stops = rounds.stream().mapToLong(r -> r.stopped().size()).sum();
    assertEquals(12, stops);
  }

  @Test
  void ashaRungsAreThePowersOfEtaUpToRAndNoTrialTrainsBeyondTheTopRung() {
    assertEquals(List.of(1, 3, 9), new Asha(SPACE, 10, 3, 4, 2, 5, Goal.maximize("accuracy")).rungEpochs(),
        "R = 10 is not a power of 3: the top rung is 9 (Li et al., MLSys 2020, Alg. 2: r·η^k <= R)");
    assertEquals(List.of(1, 3, 9), new Asha(SPACE, 9, 3, 4, 2, 5, Goal.maximize("accuracy")).rungEpochs());
    assertEquals(List.of(1, 2, 4), new Asha(SPACE, 7, 2, 4, 2, 5, Goal.maximize("accuracy")).rungEpochs());
    assertEquals(List.of(1), new Asha(SPACE, 2, 3, 4, 2, 5, Goal.maximize("accuracy")).rungEpochs());
    var p = new Asha(SPACE, 10, 3, 12, 2, 5, Goal.maximize("accuracy"));
    Map<Integer, Integer> ep = epochs(p, ProcedureRunner.run(p, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e))));
    assertEquals(9, ep.values().stream().mapToInt(Integer::intValue).max().orElseThrow(), "trained to 9, never 10");
  }

  @Test
  void sameSeedSameTrials() {
    var a = new Asha(SPACE, 9, 3, 8, 2, 5, Goal.maximize("accuracy"));
    var b = new Asha(SPACE, 9, 3, 8, 2, 5, Goal.maximize("accuracy"));
    ProcedureRunner.run(a, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e)));
    ProcedureRunner.run(b, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e)));
    assertEquals(a.trials(), b.trials());
  }

  /**
   * Checks a run's {@link Round#decided()} promises: a round decided {@code d} ahead is followed by
   * {@code d - 1} rounds training exactly its trials (no trial fails in these runs).
   *
   * @return the largest {@code decided} seen
   */
  static int checkDecided(List<Round> rounds) {
    int most = 0;
    for (int i = 0; i < rounds.size(); i++) {
      Round r = rounds.get(i);
      most = Math.max(most, r.decided());
      for (int j = i + 1; j < i + r.decided(); j++) {
        assertEquals(ids(r), ids(rounds.get(j)), "round " + i + " decided " + r.decided() + " rounds ahead; round " + j);
      }
      if (!r.done() && i + r.decided() < rounds.size()) {
        assertNotEquals(ids(r), ids(rounds.get(i + r.decided())), "round " + i + " could have decided further ahead");
      }
    }
    return most;
  }

  static List<Integer> ids(Round r) {
    return r.train().stream().map(Trial::id).toList();
  }

  @Test
  void gridSearchIsDecidedForAllItsEpochsAndHyperbandUntilARungEnds() {
    var grid = FixedEpochs.grid(SearchSpace.parse("a=choice(1,2,3)"), 4, Goal.maximize("accuracy"));
    List<Round> g = ProcedureRunner.run(grid, (t, e) -> EpochResult.ok(t.id(), e, 0.5));
    assertEquals(4, g.get(0).decided());
    assertEquals(4, checkDecided(g));
    var hb = new Hyperband(SPACE, 9, 3, 11, Goal.maximize("accuracy"));
    int most = checkDecided(ProcedureRunner.run(hb, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e))));
    assertTrue(most > 1, "some Hyperband round is decided ahead: " + most);
  }

  @Test
  void adaptiveProceduresDecideOneRoundAtATime() {
    var asha = Procedures.parse("asha:9,3,12", SPACE, 2, 2, 11, Goal.maximize("accuracy"));
    List<Round> a = ProcedureRunner.run(asha, (t, e) -> EpochResult.ok(t.id(), e, curve(t, e)));
    assertTrue(a.stream().allMatch(r -> r.decided() == 1), "ASHA promotes after every epoch");
  }
}
