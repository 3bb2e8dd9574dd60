package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.ArgusException;
import org.argus.plan.mop.RoundScheduler;
import org.argus.plan.mop.SelectionState;
import org.argus.plan.mop.Unit;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Metrics;
import org.argus.select.procedure.Round;

/**
 * One or several MOP rounds run as one Spark job ({@link RoundJob} over {@link
 * RoundScheduler#plan(int)}); several when the procedure has decided them already ({@code
 * Round#decided() > 1}: grid, random, a transfer's heads): one job launch and one round tail instead
 * of one per epoch, and no driver turn between epochs. The job validates every epoch, or only its
 * last ({@code ModelSelection.Builder#optValidateEveryEpoch(false)}). The driver then takes the job's outcome round by round, as if each epoch had been
 * its own job: {@link #apply} gives the current round's scheduler that epoch's records (in each
 * config's visit order) and returns their validation sums, so the procedure, the tables and the
 * listener see exactly what the per-epoch path gives them (same visit orders, same checkpoints, same
 * results).
 *
 * <p>A block is only good while the rounds go as planned: the same configs, each one epoch further,
 * none failed, every unit of the epoch done. Otherwise the rest is dropped ({@link #usable} false) and
 * trained again one round at a time (a failed config changes the survivors' visit orders; a unit the
 * job left undone leaves its config's later epochs unrun). Not thread-safe: the driver's loop uses it.
 */
final class EpochBlock {
  /** Epochs a local master's first round job plans at most, to stop where its budget ends ({@link #epochsFor}). */
  static final int FIRST_JOB_EPOCHS = 16;
  private final Set<Integer> trials;
  private final Map<Integer, Integer> firstEpoch = new HashMap<>();
  private final int epochs;
  private final RoundJob.Validation validation;
  private final Map<String, Unit> planned = new HashMap<>();
  private final RoundJob.ShardResult done;
  private final long jobMs;
  private boolean dropped;

  private EpochBlock(Set<Integer> trials, int epochs, RoundJob.Validation validation, RoundJob.ShardResult done,
      long jobMs) {
    this.trials = trials;
    this.epochs = epochs;
    this.validation = validation;
    this.done = done;
    this.jobMs = jobMs;
  }

  /**
   * Runs {@code epochs} epochs of the scheduler's configs as one Spark job.
   *
   * @param scheduler the current round's scheduler (nothing assigned yet)
   * @param state the run's state (each config's epochs so far)
   * @param todo the round's configs to train
   * @param epochs epochs to run, {@code >= 1}
   * @param jobs the Spark side
   * @param maxAttempts tries per unit
   * @param validation which epochs the job validates: every one, only the last ({@link
   *     #validatesLater}), or none (a later job of the same configs validates them)
   * @return the block, its first epoch ready for {@link #apply}
   */
  static EpochBlock run(RoundScheduler scheduler, SelectionState state, List<Integer> todo, int epochs,
      UnitJobs jobs, int maxAttempts, RoundJob.Validation validation) {
    List<List<Unit>> plan = scheduler.plan(epochs);
    long t0 = System.nanoTime();
    RoundJob.ShardResult done = jobs.round(plan, maxAttempts, validation);
    EpochBlock b = new EpochBlock(Set.copyOf(todo), epochs, validation, done, (System.nanoTime() - t0) / 1_000_000);
    for (int t : todo) {
      b.firstEpoch.put(t, state.epochInTraining(t));
    }
    for (List<Unit> shard : plan) {
      for (Unit u : shard) {
        b.planned.put(u.outCkpt(), u);
      }
    }
    return b;
  }

  /**
   * @param todo the current round's configs to train
   * @param state the run's state
   * @return whether this block ran the current round: same configs, each in an epoch the block
   *     planned and its job went into ({@link RoundJob.ShardResult#epochs}), and nothing dropped
   */
  boolean usable(List<Integer> todo, SelectionState state) {
    if (dropped || todo.size() != trials.size() || !trials.containsAll(todo)) {
      return false;
    }
    for (int t : todo) {
      int e = state.epochInTraining(t) - firstEpoch.get(t);
      if (e < 0 || e >= done.epochs()) { // past the plan, or the job stopped before this epoch
        return false;
      }
    }
    return true;
  }

  /**
   * Gives the current round's scheduler this epoch's attempts (observed and appended to the {@code
   * units} table in each config's visit order). What the job left undone stays with the scheduler
   * (for one job per unit query), and the rest of the block is dropped. (A config that fails drops
   * it too: the next round's configs differ, see {@link #usable}.)
   *
   * @param scheduler the current round's scheduler (nothing assigned yet)
   * @param state the run's state
   * @param todo the round's configs ({@link #usable})
   * @param log the run's log
   * @return per config the job validated, its validation sums of this epoch; empty when the job left
   *     a unit of the epoch undone (the caller validates what is missing)
   * @throws ArgusException if the {@code units} table cannot be written
   */
  Map<Integer, Metrics> apply(RoundScheduler scheduler, SelectionState state, List<Integer> todo, RunLog log)
      throws ArgusException {
    Map<Integer, Integer> epochOf = new HashMap<>();
    for (int t : todo) {
      epochOf.put(t, state.epochInTraining(t));
    }
    List<UnitRecord> records = new ArrayList<>();
    for (UnitRecord r : done.records()) {
      if (epochOf.getOrDefault(r.trial(), -1) == r.epoch()) {
        records.add(r);
      }
    }
    records.sort(Comparator.<UnitRecord>comparingInt(r -> scheduler.visitOrder(r.trial()).indexOf(r.shard()))
        .thenComparingInt(UnitRecord::trial).thenComparingInt(UnitRecord::attempt));
    for (UnitRecord r : records) {
      Unit u = planned.get(r.outCkpt());
      log.observe(r);
      scheduler.applied(new Unit(u.trial(), u.epoch(), u.shard(), r.attempt(), u.inCkpt(), u.outCkpt()), r);
    }
    log.persistAll(records);
    Map<Integer, Metrics> validation = new HashMap<>();
    for (int t : todo) {
      Metrics m = done.validation().get(new RoundJob.TrialEpoch(t, epochOf.get(t)));
      if (m != null) {
        validation.put(t, m);
      }
    }
    boolean complete = scheduler.remainingUnits() == 0;
    if (!complete) {
      dropped = true;
    }
    return complete ? validation : Map.of();
  }

  /**
   * @param todo the current round's configs (after {@link #apply})
   * @param state the run's state
   * @return whether a later job validates these configs: the block goes on past the current round
   *     and validates only its last epoch, or it validates none (the procedure trains them further
   *     after it; every config's last epoch is always validated)
   */
  boolean validatesLater(List<Integer> todo, SelectionState state) {
    return !dropped && (validation == RoundJob.Validation.NONE
        || todo.stream().allMatch(t -> state.epochInTraining(t) - firstEpoch.get(t) < epochs - 1));
  }

  /**
   * Which epochs a round job of {@code epochs} decided rounds validates.
   *
   * @param everyEpoch {@code ModelSelection.Builder#optValidateEveryEpoch}
   * @param epochs the job's epochs ({@link #epochsFor})
   * @param decided rounds the procedure has decided, this one included ({@link Round#decided()})
   * @return every epoch; else only the job's last when its configs' decided epochs end with it;
   *     else none (a later job validates them: scoring every config once per job cost as much as
   *     the job launches and round tails the longer jobs save, {@code bench/run fusion mop-many})
   */
  static RoundJob.Validation validation(boolean everyEpoch, int epochs, int decided) {
    return everyEpoch ? RoundJob.Validation.EVERY_EPOCH
        : epochs < decided ? RoundJob.Validation.NONE : RoundJob.Validation.LAST_EPOCH;
  }

  /** @return the job's wall time divided evenly among the epochs it ran, ms */
  long msPerEpoch() {
    return jobMs / Math.max(1, done.epochs()); // at most the epochs planned; 0 when the job failed
  }

  /**
   * How many rounds, this one included, the next MOP round job spans: as many as the procedure has
   * decided ({@link Round#decided()}) and fit in {@code roundJobMs} at the pace of the last round
   * trained (so the listener, the tables and the console hear of progress about that often); 1 for a
   * round that replayed some of its configs. For the first round nothing is measured yet: on a local
   * master the job plans every decided round (at most {@value #FIRST_JOB_EPOCHS}) and its tasks stop
   * it at the epoch that would overrun {@code roundJobMs} ({@link RoundJob#of}); elsewhere it is 1.
   *
   * @param r the procedure's round
   * @param todo its configs to train
   * @param done the rounds trained so far
   * @param roundJobMs the builder's {@code roundJobMs}
   * @param stopsEarly round jobs stop themselves at the budget ({@link UnitJobs#oneJvm})
   * @return epochs for the next round job, {@code >= 1}
   */
  static int epochsFor(Round r, List<Integer> todo, List<SelectionResult.RoundStats> done, long roundJobMs,
      boolean stopsEarly) {
    if (r.decided() < 2 || todo.size() != r.train().size() || roundJobMs == 0) {
      return 1;
    }
    if (done.isEmpty()) {
      return stopsEarly ? Math.min(r.decided(), FIRST_JOB_EPOCHS) : 1;
    }
    long last = Math.max(1, done.get(done.size() - 1).makespanMs());
    return (int) Math.max(1, Math.min(r.decided(), roundJobMs / last));
  }
}
