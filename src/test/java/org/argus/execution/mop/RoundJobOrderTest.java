package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.argus.plan.mop.Unit;
import org.argus.plan.mop.UnitTimes;
import org.junit.jupiter.api.Test;

/**
 * Which ready unit a round job's task runs ({@link RoundJob#longestAlike}): of the ready units of
 * the first ready unit's epoch and step, the one whose config's units took the task longest.
 */
class RoundJobOrderTest {
  private static final String DIR = "rounds/order-test";

  /** trial's unit of (epoch index 1, step), after its epoch-0 unit on the other shard. */
  private static RoundJob.Step step(int trial, int step) {
    Unit u = Unit.hop(trial, 2, 0, "t" + trial + "-e1.ckpt");
    UnitQuery q = new UnitQuery(u, null, 1, 0, false, null, null);
    return new RoundJob.Step(q, DIR + "/t" + trial + "-e1-s1", 1, false, false, 1, step);
  }

  /** The markers saying each trial's predecessor ({@link #step}'s {@code after}) is done. */
  private static Set<String> done(int... trials) {
    Set<String> m = new HashSet<>();
    for (int t : trials) {
      m.add("t" + t + "-e1-s1.done");
    }
    return m;
  }

  private static UnitTimes times() {
    UnitTimes t = new UnitTimes();
    t.add(0, 10); // trial 0: 10 ms a unit
    t.add(3, 150); // trial 3: 150 ms
    return t;
  }

  /** Which of trial 0's unit (step 0) and trial 3's unit (step {@code slowStep}) a task runs. */
  private static int chosen(int slowStep, Set<String> m, UnitTimes own) {
    RoundJob.Step fast = step(0, 0);
    RoundJob.Step slow = step(3, slowStep);
    return RoundJob.longestAlike(DIR, fast, List.of(fast, slow), m, own).query().unit().trial();
  }

  @Test
  void theLongerConfigsReadyUnitOfTheSameStepRunsFirst() {
    assertEquals(3, chosen(0, done(0, 3), times()));
  }

  @Test
  void aLongerConfigsUnitWaitingForItsPredecessorIsNotChosen() {
    assertEquals(0, chosen(0, done(0), times()));
  }

  @Test
  void aLongerConfigsUnitOfAnotherStepKeepsItsPlace() {
    assertEquals(0, chosen(1, done(0, 3), times()));
  }

  @Test
  void beforeAnythingIsMeasuredTheListOrderHolds() {
    assertEquals(0, chosen(0, done(0, 3), new UnitTimes()));
  }
}
