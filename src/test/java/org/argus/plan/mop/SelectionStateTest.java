package org.argus.plan.mop;

import static org.argus.plan.mop.RoundSchedulerTest.SEED;
import static org.argus.plan.mop.RoundSchedulerTest.drive;
import static org.argus.plan.mop.RoundSchedulerTest.mop;
import static org.argus.plan.mop.RoundSchedulerTest.ok;
import static org.argus.plan.mop.RoundSchedulerTest.trials;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.argus.runtime.train.Metrics;
import org.argus.select.procedure.EpochResult;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Round;
import org.argus.select.space.Seeds;
import org.junit.jupiter.api.Test;

/** Run bookkeeping without Spark: epochs, validation outcomes, stop reasons, resume replay. */
class SelectionStateTest {

  @Test
  void anEpochsRecordCarriesItsTrainingLossValidationAndTheGoalsMetric() {
    SelectionState state = new SelectionState(SEED, Goal.minimize("loss"), Replay.NONE, true);
    state.begin(0, new Round(trials(1), Map.of()));
    drive(state.scheduler(mop(2, 3)), u -> ok(u, 10, u.shard() == 0 ? 0.25 : 0.75), 2);
    EpochRecord e = state.endEpoch(0, 42, new Metrics(4, 2.0, 3, false), null);
    assertEquals(new EpochRecord(0, 1, "lr=0.1", 0.5, 0.5, 0.75, 0.5, null, state.checkpoint(0), 0, 42), e);
    assertEquals(List.of(EpochResult.ok(0, 1, 0.5)), state.results());
    assertEquals(List.of(), state.results(), "results are handed over once");
    assertEquals(Seeds.split(SEED, "trial", 0), state.seed(0));
  }

  @Test
  void failedOrNonFiniteValidationFailsTheConfig() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    state.begin(0, new Round(trials(2), Map.of(7, "ignored")));
    drive(state.scheduler(mop(1, 3)), u -> ok(u, 1, 0.5), 1);
    assertEquals("validation failed: executor lost",
        state.endEpoch(0, 1, Metrics.EMPTY, "executor lost").failed());
    assertEquals("diverged: NaN validation loss",
        state.endEpoch(1, 1, new Metrics(4, Double.NaN, 0, true), null).failed());
    assertTrue(state.results().stream().allMatch(r -> Double.isNaN(r.metric()) && r.failed() != null));
  }

  @Test
  void statusIsTheFailureElseTheProceduresStopReason() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    state.begin(0, new Round(trials(2), Map.of()));
    state.fail(1, "boom");
    state.begin(1, new Round(List.of(), Map.of(0, "finished 1 epochs", 1, "stopped")));
    assertEquals("finished 1 epochs", state.status(0));
    assertEquals("failed: boom", state.status(1));
    assertEquals("", state.status(5), "a trial never scheduled has no status");
    assertEquals(new TrialRecord(0, "lr=0.1", Seeds.split(SEED, "trial", 0), -1, "finished 1 epochs"),
        state.trialRecord(trials(1).get(0)));
  }

  @Test
  void aRecordedEpochIsReplayedWithoutTraining() {
    EpochRecord e1 = new EpochRecord(0, 1, "lr=0.1", 0.9, 0.8, 0.6, 0.6, null, "ckpt/trial-0/e1-s1.ckpt", 0, 7);
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), new Replay(List.of(e1), List.of()), true);
    assertEquals(List.of(1), state.begin(0, new Round(trials(2), Map.of())), "only trial 1 trains");
    assertEquals(List.of(EpochResult.ok(0, 1, 0.6)), state.results().subList(0, 1));
    assertEquals("ckpt/trial-0/e1-s1.ckpt", state.checkpoint(0));
    assertEquals(e1, state.lastEpoch(0));
    assertEquals(2, state.epochInTraining(0));
  }

  @Test
  void recordedUnitsOfAnUnfinishedEpochCountAsDoneAndInItsTrainingLoss() {
    // before the crash: trial 0 visited one of its two shards (loss 0.25 over 10 examples)
    SelectionState before = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    before.begin(0, new Round(trials(1), Map.of()));
    RoundScheduler first = before.scheduler(mop(2, 3));
    Unit u0 = first.assign().get(0);
    UnitRecord done = ok(u0, 10, 0.25);

    SelectionState resumed = new SelectionState(SEED, Goal.maximize("accuracy"), new Replay(List.of(), List.of(done,
        RoundSchedulerTest.failed(u0))), true);
    resumed.begin(0, new Round(trials(1), Map.of()));
    List<Unit> rest = drive(resumed.scheduler(mop(2, 3)), u -> ok(u, 10, 0.75), 2);
    assertEquals(1, rest.size(), "only the unvisited shard runs");
    assertNotEquals(u0.shard(), rest.get(0).shard());
    assertEquals(u0.outCkpt(), rest.get(0).inCkpt(), "continues from the recorded checkpoint");
    EpochRecord e = resumed.endEpoch(0, 1, new Metrics(4, 2, 2, false), null);
    assertEquals(0.5, e.trainLoss(), 1e-12, "train_loss counts the unit run before the crash");
  }

  @Test
  void aRecordedDivergedUnitFailsItsConfigOnResume() {
    SelectionState before = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    before.begin(0, new Round(trials(1), Map.of()));
    Unit u0 = before.scheduler(mop(2, 3)).assign().get(0);
    SelectionState resumed = new SelectionState(SEED, Goal.maximize("accuracy"),
        new Replay(List.of(), List.of(ok(u0, 10, Double.NaN))), true);
    resumed.begin(0, new Round(trials(1), Map.of()));
    assertEquals(List.of(), drive(resumed.scheduler(mop(2, 3)), u -> ok(u, 10, 0.5), 2));
    assertEquals("diverged: NaN loss in epoch 1", resumed.failure(0));
  }

  @Test
  void withoutUnitReplayAnUnfinishedEpochRunsAgain() {
    SelectionState before = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, false);
    before.begin(0, new Round(trials(1), Map.of()));
    Unit u0 = before.scheduler(mop(2, 3)).assign().get(0);
    SelectionState resumed = new SelectionState(SEED, Goal.maximize("accuracy"),
        new Replay(List.of(), List.of(ok(u0, 10, 0.5))), false);
    resumed.begin(0, new Round(trials(1), Map.of()));
    assertEquals(2, drive(resumed.scheduler(mop(2, 3)), u -> ok(u, 10, 0.5), 2).size());
  }

  @Test
  void unknownTrialsAndMissingRoundsAreClearErrors() {
    SelectionState state = new SelectionState(SEED, Goal.maximize("accuracy"), Replay.NONE, true);
    assertThrows(IllegalStateException.class, () -> state.scheduler(mop(1, 1)));
    var e = assertThrows(IllegalArgumentException.class, () -> state.checkpoint(3));
    assertTrue(e.getMessage().contains("trial 3"), e.getMessage());
  }
}
