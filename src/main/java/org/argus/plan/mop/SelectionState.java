package org.argus.plan.mop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.argus.runtime.train.Metrics;
import org.argus.select.procedure.EpochResult;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Round;
import org.argus.select.procedure.Trial;
import org.argus.select.space.Config;
import org.argus.select.space.Seeds;

/**
 * The driver's bookkeeping of a selection run on the per-epoch template, without Spark: each
 * config's epochs, checkpoint, failure and training metrics; the procedure's stop reasons; resume
 * replay. A round goes: {@link #begin(int, Round)} (recorded epochs are replayed, the rest is to
 * train), training through {@link #scheduler} (MOP, sequential, task-parallel) or {@link
 * #bspUnit}/{@link #trained}/{@link #fail}/{@link #checkpointed} (BSP), then {@link #endEpoch} per
 * trained config, and {@link #results()} goes to the procedure. Not thread-safe.
 *
 * <p>Seeds: trial {@code id} trains from {@code Seeds.split(runSeed, "trial", id)}.
 */
public final class SelectionState {
  private final long seed;
  private final Goal goal;
  private final Replay replay;
  private final boolean replayUnits;
  private final UnitTimes times = new UnitTimes();
  private final Map<Integer, TrialState> states = new LinkedHashMap<>();
  private final Map<Integer, String> stopReasons = new HashMap<>();
  private final List<EpochResult> results = new ArrayList<>();
  private List<TrialState> todo = List.of();
  private List<Integer> roundTrials = List.of();
  private final Map<Integer, Set<Integer>> doneShards = new HashMap<>();
  private int round = -1;

  /**
   * @param seed run seed
   * @param goal the selection goal (which validation metric, which direction)
   * @param replay what the run directory recorded ({@link Replay#NONE} for a fresh run)
   * @param replayUnits also replay the unit queries of an epoch that did not complete (MOP and
   *     sequential; task-parallel and BSP rerun such an epoch)
   */
  public SelectionState(long seed, Goal goal, Replay replay, boolean replayUnits) {
    this.seed = seed;
    this.goal = Objects.requireNonNull(goal, "goal");
    this.replay = Objects.requireNonNull(replay, "replay");
    this.replayUnits = replayUnits;
  }

  /**
   * Starts a round: notes the procedure's stop reasons, replays the recorded epochs of the listed
   * trials (their results join {@link #results()}) and returns the others. For those, the training
   * metrics restart; with unit replay, the recorded units of their epoch count as done (shards,
   * checkpoint, training metrics — so the epoch's {@code train_loss} covers units run before and
   * after a resume; a recorded diverged unit fails the config as it did then).
   *
   * @param round 0-based round number
   * @param r the procedure's round
   * @return the trials to train this round, in the round's order (empty when all were replayed)
   */
  public List<Integer> begin(int round, Round r) {
    this.round = round;
    stopReasons.putAll(r.stopped());
    roundTrials = r.train().stream().map(Trial::id).toList();
    List<TrialState> train = new ArrayList<>();
    doneShards.clear();
    for (Trial t : r.train()) {
      TrialState st = states.computeIfAbsent(t.id(), id -> new TrialState(t, Seeds.split(seed, "trial", id)));
      var recorded = replay.epoch(t.id(), st.epochs + 1);
      if (recorded.isPresent()) {
        EpochRecord e = recorded.get();
        st.epochs++;
        st.ckpt = e.ckpt();
        st.failed = e.failed();
        st.last = e;
        results.add(new EpochResult(t.id(), st.epochs, e.metric(), st.failed));
        continue;
      }
      st.trainMetrics = Metrics.EMPTY;
      Set<Integer> done = new HashSet<>();
      if (replayUnits) {
        for (UnitRecord u : replay.units(t.id(), st.epochs + 1)) {
          done.add(u.shard());
          st.ckpt = u.outCkpt();
          st.trained(u);
        }
      }
      doneShards.put(t.id(), done);
      train.add(st);
    }
    todo = train;
    return train.stream().map(TrialState::id).toList();
  }

  /**
   * @param settings how to place the round's units
   * @return the scheduler of the current round's trials (MOP, sequential, task-parallel)
   * @throws IllegalStateException before {@link #begin}
   */
  public RoundScheduler scheduler(RoundScheduler.Settings settings) {
    if (round < 0) {
      throw new IllegalStateException("no round begun");
    }
    return new RoundScheduler(settings, round, todo, roundTrials, doneShards, times);
  }

  /**
   * @param trial a trial of the current round
   * @param shard shard
   * @return BSP's unit of that trial on that shard, from the trial's state at the start of the epoch
   */
  public Unit bspUnit(int trial, int shard) {
    TrialState st = state(trial);
    return Unit.bspPart(trial, st.epochs + 1, shard, st.ckpt);
  }

  /**
   * Counts a successful unit's training metrics; a non-finite loss fails the config.
   *
   * @param record the unit (error null)
   */
  public void trained(UnitRecord record) {
    state(record.trial()).trained(record);
  }

  /**
   * @param trial a trial
   * @param reason why it failed (replaces an earlier reason of the same epoch)
   */
  public void fail(int trial, String reason) {
    state(trial).failed = Objects.requireNonNull(reason, "reason");
  }

  /**
   * @param trial a trial
   * @param ckpt its new checkpoint
   */
  public void checkpointed(int trial, String ckpt) {
    state(trial).ckpt = ckpt;
  }

  /**
   * Completes a trained config's epoch with its validation outcome.
   *
   * @param trial a trial of the current round that was trained
   * @param roundMs the round's training makespan, ms
   * @param validation validation loss/accuracy sums ({@link Metrics#EMPTY} when not validated)
   * @param validationError why validation failed, or null
   * @return the epoch's record (also the trial's result for the procedure)
   */
  public EpochRecord endEpoch(int trial, long roundMs, Metrics validation, String validationError) {
    TrialState st = state(trial);
    st.epochs++;
    if (st.failed == null && validationError != null) {
      st.failed = "validation failed: " + validationError;
    } else if (st.failed == null && validation.diverged()) {
      st.failed = "diverged: NaN validation loss";
    }
    double metric = st.failed != null ? Double.NaN : validation.get(goal.metric());
    EpochRecord e = new EpochRecord(trial, st.epochs, st.trial.config().toString(), st.trainMetrics.loss(),
        validation.loss(), validation.accuracy(), metric, st.failed, st.ckpt, round, roundMs);
    st.last = e;
    results.add(new EpochResult(trial, st.epochs, metric, st.failed));
    return e;
  }

  /** @return the results since the last call (replayed first, then trained), for {@code Procedure.next} */
  public List<EpochResult> results() {
    List<EpochResult> out = List.copyOf(results);
    results.clear();
    return out;
  }

  /**
   * @param trial a trial
   * @return its current checkpoint (null before its first unit)
   */
  public String checkpoint(int trial) {
    return state(trial).ckpt;
  }

  /**
   * @param trial a trial
   * @return why it failed, or null
   */
  public String failure(int trial) {
    return state(trial).failed;
  }

  /**
   * @param trial a trial
   * @return its config
   */
  public Config config(int trial) {
    return state(trial).trial.config();
  }

  /**
   * @param trial a trial
   * @return its seed
   */
  public long seed(int trial) {
    return state(trial).seed;
  }

  /**
   * @param trial a trial
   * @return the epoch it trains in the current round (epochs completed + 1)
   */
  public int epochInTraining(int trial) {
    return state(trial).epochs + 1;
  }

  /**
   * @param trial any trial of the procedure
   * @return its last completed epoch, or null if it never completed one
   */
  public EpochRecord lastEpoch(int trial) {
    TrialState st = states.get(trial);
    return st == null ? null : st.last;
  }

  /**
   * @param trial any trial of the procedure
   * @return {@code failed: reason} if it failed, else the procedure's stop reason (empty if none)
   */
  public String status(int trial) {
    TrialState st = states.get(trial);
    return st != null && st.failed != null ? "failed: " + st.failed : stopReasons.getOrDefault(trial, "");
  }

  /**
   * @param t any trial of the procedure
   * @return its row of the {@code trials} table
   */
  public TrialRecord trialRecord(Trial t) {
    return new TrialRecord(t.id(), t.config().toString(), Seeds.split(seed, "trial", t.id()), t.bracket(),
        status(t.id()));
  }

  private TrialState state(int trial) {
    TrialState st = states.get(trial);
    if (st == null) {
      throw new IllegalArgumentException("trial " + trial + " has not been scheduled; known: " + states.keySet());
    }
    return st;
  }
}
