package org.argus.execution.mop;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.argus.ArgusException;
import org.argus.plan.mop.Unit;
import org.argus.plan.mop.UnitRecord;
import org.argus.store.CheckpointStore;

/**
 * One MOP round as one Spark job: task {@code s} is shard {@code s}'s worker for the whole round
 * (Cerebro's long-lived workers, VLDB 2020 §4.1) and runs the round's unit queries on its shard, each
 * after the config's previous unit finished on another shard: each time the first unit of its list
 * ({@link org.argus.plan.mop.RoundScheduler#plan(int)}: by epoch, then step of the visit order, then
 * longest config first) that is ready, or a ready unit of the same step whose config's units took the
 * task longer ({@link #longestAlike}), so a shard whose next unit waits trains a later one meanwhile.
 * Unit queries stay what they are (restore the config's checkpoint,
 * train one sub-epoch, write the next checkpoint), so a config's visit order, and therefore its
 * results, are those of one Spark job per unit query; the round pays one job's scheduling and task
 * (de)serialization instead of one per unit query.
 *
 * <p>A job may span several epochs ({@link org.argus.plan.mop.RoundScheduler#plan(int)}, for rounds
 * the procedure decided ahead): a config's first unit of an epoch then waits for its last unit of the
 * epoch before, and every config's last checkpoint of every epoch is validated (each task builds its
 * validation batches once per column set and scores every checkpoint on them). On a local master the
 * tasks may stop the job at an epoch's start, all at the same one, when at its pace so far it would
 * overrun its time budget ({@link EpochStops}); the driver plans what is left as the next job.
 *
 * <p>Hand-over between tasks goes through the checkpoint store, under {@code rounds/<id>/} (on a
 * local master, through the {@link MarkerBoard} alone: see below): after a unit a task writes {@code t<trial>-e<epoch>-s<shard>.done} (or {@code .failed} when the unit failed
 * every try or its loss was not finite: the config's later units of the round are skipped, and marked
 * failed in turn), holding the unit's records; a task writes {@code shard-<s>.started} first and
 * {@code shard-<s>.stopped} last. A task Spark runs again (its executor was lost) takes the records of
 * the units its earlier attempt finished from their markers instead of running them again.
 * Markers are also posted on the JVM's {@link MarkerBoard}: a task first looks there, lists the
 * directory when nothing is ready by what it knows, then waits on the board (woken by a post of its
 * executor's other tasks, or after 1 ms, doubling to 20 ms, to list again), and gives up on the rest of
 * its list when no predecessor it waits for can come: its task stopped without it, or has not started
 * after {@value #START_GRACE_MS} ms (fewer free slots than shards). The pending unit first in plan
 * order across all tasks is always ready (its predecessor comes earlier), so running tasks never wait
 * in a cycle; whatever a round job leaves (a give-up, a failed job) is finished by one job per unit
 * query ({@link Rounds#hop}).
 *
 * <p>A unit whose output checkpoint another unit of the job reads leaves its trainer live in the JVM
 * ({@link LiveStates}): that unit continues it when it runs in the same JVM, instead of building a
 * trainer and reading the checkpoint back (1.6–2.6 ms a unit on the development machine, `./argus
 * demo`'s heads); the checkpoint is written all the same, except on a local master ({@code oneJvm}),
 * where every task shares the JVM: there a config's checkpoints inside an epoch, which only the
 * next unit of the epoch reads, stay in memory with the live trainer unless that unit does not take
 * them (written then: {@link LiveStates}), and the markers stay on the {@link MarkerBoard} with
 * their payloads, no files. The last checkpoint of each epoch is always written: validation, the
 * epochs table, {@code --resume} and the best model read it; on a local master a config's last unit
 * of the job also leaves its trainer live for the config's first unit of the run's next round job
 * ({@link UnitQuery.HandOver#LATER_JOB}). On a cluster, every checkpoint and marker is written, and
 * no trainer outlives its job, since a successor or a retried task may run in another executor.
 *
 * <p>A failed attempt is retried inside the task from its unchanged input checkpoint, up to {@code
 * maxAttempts} tries, each try a record as in {@link UnitJobs#call}. Each task also validates every
 * config's last checkpoint of the round on its part of the validation split (zipped with its shard),
 * so a round needs no separate validation job: a config whose last unit is done while the task has
 * no unit ready is validated then, the rest after the task's list (a round's tail was 20–50 ms of
 * validation on the development machine, `./argus demo`'s heads).
 */
final class RoundJob implements Serializable {
  private static final long serialVersionUID = 1L;
  /** How long a waiting task waits for the predecessor's task to start before giving up, ms. */
  static final long START_GRACE_MS = 3_000;
  private static final byte[] EMPTY = new byte[0];

  /**
   * A unit query in a shard's list and the unit it waits for.
   *
   * @param query the unit query
   * @param after the predecessor's marker prefix in this job, or null (its input exists already)
   * @param afterShard the predecessor's shard (-1 when none)
   * @param handOver another unit of the job reads this unit's output checkpoint ({@link LiveStates})
   * @param midEpoch the reader is the config's next unit of the same epoch (not the first unit of
   *     its next epoch): no validation, epochs table or best model reads this checkpoint
   * @param epochIndex the unit's epoch counted from the config's first epoch in this job (0, 1, …)
   * @param step the unit's step in its config's visit order of the epoch (0 … shards - 1)
   */
  record Step(UnitQuery query, String after, int afterShard, boolean handOver, boolean midEpoch, int epochIndex,
      int step) implements Serializable {}

  /**
   * A config's last unit of an epoch, whose checkpoint every task validates on its part of the
   * validation split once the unit is done (while it waits, or after its list).
   *
   * @param query the config's last unit query (its config, seed and output checkpoint)
   * @param marker the unit's marker prefix
   * @param epochIndex the epoch counted from the config's first epoch in this job (0, 1, …)
   */
  record Final(UnitQuery query, String marker, int epochIndex) implements Serializable {
    TrialEpoch key() {
      return new TrialEpoch(query.unit().trial(), query.unit().epoch());
    }
  }

  /**
   * Which epoch of which config a validation is of.
   *
   * @param trial trial id
   * @param epoch 1-based epoch
   */
  record TrialEpoch(int trial, int epoch) implements Serializable {}

  /**
   * What a shard's task returns.
   *
   * @param records every attempt's record, in run order
   * @param validation per (trial, epoch) whose last unit is done, its validation sums on this task's
   *     part of the validation split; null when the task gave up (the driver validates in a job)
   * @param epochs the job's epochs its tasks went into: all it planned, unless they stopped early
   *     ({@link EpochStops}); 0 when the job failed
   */
  record ShardResult(List<UnitRecord> records, Map<TrialEpoch, org.argus.runtime.train.Metrics> validation,
      int epochs) implements Serializable {}

  /** Which of a round job's epochs its tasks validate. */
  enum Validation {
    /** every config's last checkpoint of every epoch of the job */
    EVERY_EPOCH,
    /** each config's last epoch of the job only */
    LAST_EPOCH,
    /** none: the procedure trains these configs further and a later job validates them */
    NONE
  }

  /** How a wait for a predecessor ended. */
  private enum Wait {
    DONE,
    FAILED,
    GIVE_UP
  }

  private final List<List<Step>> steps;
  private final List<Final> finals;
  private final EpochStops stops;

  private final int maxAttempts;
  private final CheckpointStore store;
  private final String dir;
  private final JobMarkers markers;

  private RoundJob(List<List<Step>> steps, List<Final> finals, EpochStops stops, int maxAttempts,
      CheckpointStore store, String dir, boolean oneJvm) {
    this.steps = steps;
    this.finals = finals;
    this.stops = stops;
    this.maxAttempts = maxAttempts;
    this.store = store;
    this.dir = dir;
    this.markers = new JobMarkers(store, dir, oneJvm);
  }

  /**
   * @param plan per shard, its units in run order ({@link org.argus.plan.mop.RoundScheduler#plan(int)})
   * @param queries builds a unit's query (on the driver's thread)
   * @param maxAttempts tries per unit, {@code >= 1}
   * @param store the run's checkpoint store
   * @param dir the job's marker directory, relative to the store, unique per job
   * @param validation which epochs the tasks validate
   * @param oneJvm every task runs in this JVM (a local master): markers live on the {@link
   *     MarkerBoard} only, and mid-epoch checkpoints handed over live stay in memory ({@link
   *     LiveStates}) unless their successor does not take them
   * @param budgetMs on one JVM, the job goes into a next epoch only while it would end within this
   *     many ms of its planning at its pace so far ({@link EpochStops}); elsewhere it runs its plan
   * @return the job's task side
   */
  static RoundJob of(List<List<Unit>> plan, java.util.function.Function<Unit, UnitQuery> queries, int maxAttempts,
      CheckpointStore store, String dir, Validation validation, boolean oneJvm, long budgetMs) {
    Map<String, Unit> byOutput = new HashMap<>();
    Map<Integer, Integer> first = new HashMap<>(); // trial -> its first epoch in the plan
    for (List<Unit> shard : plan) {
      for (Unit u : shard) {
        byOutput.put(u.outCkpt(), u);
        first.merge(u.trial(), u.epoch(), Math::min);
      }
    }
    int epochs = 0;
    java.util.Set<String> notLast = new java.util.HashSet<>(); // read by the same config's next unit of the epoch
    for (List<Unit> shard : plan) {
      for (Unit u : shard) {
        Unit before = u.inCkpt() == null ? null : byOutput.get(u.inCkpt());
        if (before != null && before.epoch() == u.epoch()) {
          notLast.add(before.outCkpt());
        }
      }
    }
    java.util.Set<String> read = new java.util.HashSet<>(); // the checkpoints the job's units read
    plan.forEach(shard -> shard.forEach(u -> read.add(u.inCkpt())));
    List<List<Step>> steps = new ArrayList<>();
    java.util.TreeMap<TrialEpoch, Final> finals = new java.util.TreeMap<>(
        java.util.Comparator.comparingInt(TrialEpoch::epoch).thenComparingInt(TrialEpoch::trial));
    for (List<Unit> shard : plan) {
      List<Step> list = new ArrayList<>();
      for (Unit u : shard) {
        Unit before = u.inCkpt() == null ? null : byOutput.get(u.inCkpt());
        UnitQuery q = queries.apply(u);
        int index = u.epoch() - first.get(u.trial());
        epochs = Math.max(epochs, index + 1);
        list.add(new Step(q, before == null ? null : marker(dir, before), before == null ? -1 : before.shard(),
            read.contains(u.outCkpt()), notLast.contains(u.outCkpt()), index, stepOf(u, byOutput)));
        if (!notLast.contains(u.outCkpt())) {
          finals.put(new TrialEpoch(u.trial(), u.epoch()), new Final(q, marker(dir, u), index));
        }
      }
      steps.add(list);
    }
    if (validation == Validation.LAST_EPOCH) { // only each config's last epoch of the job is validated
      Map<Integer, Integer> last = new HashMap<>();
      finals.keySet().forEach(k -> last.merge(k.trial(), k.epoch(), Math::max));
      finals.keySet().removeIf(k -> k.epoch() != last.get(k.trial()));
    } else if (validation == Validation.NONE) {
      finals.clear();
    }
    EpochStops stops = new EpochStops(dir, oneJvm, budgetMs, epochs);
    return new RoundJob(steps, List.copyOf(finals.values()), stops, maxAttempts, store, dir, oneJvm);
  }

  /** @return {@code u}'s step in its config's visit order of its epoch: its units of the epoch before it in the plan */
  private static int stepOf(Unit u, Map<String, Unit> byOutput) {
    int step = 0;
    for (Unit b = byOutput.get(u.inCkpt()); b != null && b.epoch() == u.epoch(); b = byOutput.get(b.inCkpt())) {
      step++;
    }
    return step;
  }

  private static String marker(String dir, Unit u) {
    return dir + "/t" + u.trial() + "-e" + u.epoch() + "-s" + u.shard();
  }

  private String shardMarker(int shard, String what) {
    return dir + "/shard-" + shard + "." + what;
  }

  /**
   * Runs shard {@code shard}'s list (inside its task): each time, the first unit of the list whose
   * predecessor is done, or a longer config's ready unit of its step ({@link #longestAlike}) (so a
   * unit of a later step may pass one whose predecessor is still
   * training elsewhere; a config's own units stay chained); a unit whose predecessor failed is
   * marked failed unrun; with nothing ready, it waits, and gives up when no waited-for predecessor
   * can still come (its task stopped, or has not started after {@value #START_GRACE_MS} ms).
   *
   * @param shard the shard = the partition index
   * @param rows the shard's rows
   * @param validationRows this task's part of the validation split
   * @return every attempt's record, in run order, and the validation sums
   * @throws ArgusException if a marker cannot be written or read, or the task is interrupted (the
   *     job fails; the driver runs the round's units one job each)
   */
  ShardResult runShard(int shard, Iterator<Example> rows, Iterator<Example> validationRows) throws ArgusException {
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    List<Example> partRows = new ArrayList<>();
    validationRows.forEachRemaining(partRows::add);
    ShardValidation validation = new ShardValidation(finals, shard, steps.size(), partRows, store, dir);
    List<UnitRecord> out = new ArrayList<>();
    boolean gaveUp = false;
    int cutAt = stops.epochs(); // the first epoch index the job does not go into, as far as this task knows
    org.argus.plan.mop.UnitTimes own = new org.argus.plan.mop.UnitTimes(); // of the units this task ran
    markers.post(shardMarker(shard, "started"), EMPTY);
    try {
      List<Step> todo = new ArrayList<>(steps.get(shard));
      long waitingSince = -1;
      long sleep = 1;
      boolean dead = false;
      java.util.Set<String> m = new java.util.HashSet<>(markers.list()); // markers only grow in a job: m gathers them
      boolean listed = true; // m has a listing newer than the last unit, validation or wait
      while (!todo.isEmpty()) {
        long seen = MarkerBoard.version();
        m.addAll(MarkerBoard.posted(dir));
        cutAt = Math.min(cutAt, stops.stopsBefore(m)); // the job's decisions so far
        final int cut = cutAt;
        todo.removeIf(st -> st.epochIndex() >= cut);
        Step next = null;
        for (java.util.Iterator<Step> it = todo.iterator(); it.hasNext() && next == null; ) {
          Step st = it.next();
          String mine = JobMarkers.name(marker(dir, st.query().unit()));
          if (m.contains(mine + ".done") || m.contains(mine + ".failed")) { // an earlier attempt of this task
            out.addAll(JobMarkers.records(markers.read(mine + (m.contains(mine + ".done") ? ".done" : ".failed"))));
            it.remove();
          } else if (st.after() != null && m.contains(JobMarkers.name(st.after()) + ".failed")) {
            markers.post(dir + "/" + mine + ".failed", JobMarkers.bytes(List.of()));
            it.remove();
          } else if (st.after() == null || m.contains(JobMarkers.name(st.after()) + ".done")) {
            next = longestAlike(dir, st, todo, m, own);
          }
        }
        final Step chosen = next;
        todo.removeIf(st -> st == chosen);
        if (next != null && !stops.goesInto(next.epochIndex())) { // the job stops before next's epoch: the
          continue; // decision is on the board, and the loop's top drops every unit from that epoch on
        }
        if (next != null) {
          List<UnitRecord> tries = withRetries(next, data);
          out.addAll(tries);
          UnitRecord r = tries.get(tries.size() - 1);
          own.add(r.trial(), r.taskMs());
          boolean ok = r.error() == null && !r.metrics().diverged();
          markers.post(marker(dir, next.query().unit()) + (ok ? ".done" : ".failed"), JobMarkers.bytes(tries));
          waitingSince = -1;
          sleep = 1;
          listed = false;
          continue;
        }
        if (todo.isEmpty()) {
          break;
        }
        if (!listed) { // nothing ready by this JVM's markers: look for other executors' once before waiting
          m.addAll(markers.list());
          listed = true;
          continue;
        }
        if (validation.oneDone(m)) { // waiting: use the time
          listed = false;
          continue;
        }
        long now = System.currentTimeMillis();
        waitingSince = waitingSince < 0 ? now : waitingSince;
        long waited = now - waitingSince;
        final java.util.Set<String> known = m;
        if (todo.stream().noneMatch(st -> canCome(known, st.afterShard(), waited))) {
          if (dead) { // seen in two listings: a listing racing a task's last writes cannot fool it
            gaveUp = true;
            break;
          }
          dead = true;
          listed = false;
          continue;
        }
        dead = false;
        if (!JobMarkers.pause(seen, sleep)) { // nothing posted in this JVM meanwhile: list again, wait longer next time
          listed = false;
          sleep = Math.min(20, sleep * 2);
        }
      }
    } finally {
      markers.post(shardMarker(shard, "stopped"), EMPTY);
    }
    Map<TrialEpoch, org.argus.runtime.train.Metrics> v = gaveUp ? null : validate(validation);
    return new ShardResult(out, v, Math.min(cutAt, stops.stopsBefore(MarkerBoard.posted(dir))));
  }

  /**
   * Which ready unit a task runs: of the units of {@code first}'s epoch and step that are ready, the
   * one whose config's units took this task longest so far (list order on ties, and before any is
   * measured): a job planned before anything was measured (its configs in trial order) still runs the
   * longest config's chain first, as {@link org.argus.plan.mop.RoundScheduler#plan(int)} orders a
   * measured job's lists. Scheduling only: which unit runs first never changes a result.
   *
   * @param dir the job's marker directory
   * @param first the first ready unit of the task's list
   * @param todo the task's units left
   * @param m the markers known
   * @param own per config, this task's unit times so far
   * @return the unit to run
   */
  static Step longestAlike(String dir, Step first, List<Step> todo, java.util.Set<String> m,
      org.argus.plan.mop.UnitTimes own) {
    Step best = first;
    double bestMs = own.mean(first.query().unit().trial(), -1); // -1: not measured
    for (Step st : todo) {
      String mine = JobMarkers.name(marker(dir, st.query().unit()));
      if (st != first && st.epochIndex() == first.epochIndex() && st.step() == first.step()
          && (st.after() == null || m.contains(JobMarkers.name(st.after()) + ".done"))
          && !m.contains(mine + ".done") && !m.contains(mine + ".failed")
          && own.mean(st.query().unit().trial(), -1) > bestMs) {
        best = st;
        bestMs = own.mean(st.query().unit().trial(), -1);
      }
    }
    return best;
  }

  /** @return whether a predecessor on {@code shard} can still be done: its task has not stopped, and has started or may still */
  private static boolean canCome(java.util.Set<String> m, int shard, long waitedMs) {
    return !m.contains("shard-" + shard + ".stopped") && (m.contains("shard-" + shard + ".started")
        || waitedMs <= START_GRACE_MS);
  }

  /**
   * Validates every checkpoint of the job that the task did not validate while it waited ({@link
   * ShardValidation#oneDone}), once its unit is done, unless its epoch did not run.
   *
   * @param validation this task's validation
   * @return (trial, epoch) → sums, or null when a last unit's task gave up
   */
  private Map<TrialEpoch, org.argus.runtime.train.Metrics> validate(ShardValidation validation)
      throws ArgusException {
    for (Final f : validation.left()) {
      if (!stops.goesInto(f.epochIndex())) { // its epoch did not run
        continue;
      }
      Wait w = await(f.marker(), f.query().unit().shard());
      if (w == Wait.GIVE_UP) {
        return null;
      }
      if (w == Wait.DONE) {
        validation.evaluate(f);
      }
    }
    return validation.sums();
  }

  /** Tries a unit until it succeeds or {@code maxAttempts} tries failed; returns every try's record. */
  private List<UnitRecord> withRetries(Step step, List<Example> data) {
    List<UnitRecord> out = new ArrayList<>();
    UnitQuery q = step.query();
    for (int a = 1; ; a++) {
      long start = System.currentTimeMillis();
      UnitRecord r;
      try {
        r = q.run(data, dir, handOver(step));
      } catch (Exception e) {
        r = UnitRecord.failed(q.unit(), start, System.currentTimeMillis(), UnitJobs.rootCause(e));
      }
      r = r.withJobMs(r.taskMs());
      out.add(r);
      if (r.error() == null || a >= maxAttempts) {
        return out;
      }
      q = q.retried();
    }
  }

  /** What a step's unit leaves live for its output's reader: in memory, or for the next job, only on one JVM. */
  private UnitQuery.HandOver handOver(Step step) {
    if (!step.handOver()) {
      return markers.oneJvm() ? UnitQuery.HandOver.LATER_JOB : UnitQuery.HandOver.NONE;
    }
    return markers.oneJvm() && step.midEpoch() ? UnitQuery.HandOver.IN_MEMORY : UnitQuery.HandOver.WRITTEN;
  }

  private Wait await(String after, int shard) throws ArgusException {
    long t0 = System.currentTimeMillis();
    long sleep = 1;
    boolean dead = false;
    java.util.Set<String> m = new java.util.HashSet<>();
    boolean listed = false;
    while (true) {
      long seen = MarkerBoard.version();
      m.addAll(MarkerBoard.posted(dir));
      if (!listed && !m.contains(JobMarkers.name(after) + ".done") && !m.contains(JobMarkers.name(after) + ".failed")) {
        m.addAll(markers.list());
        listed = true;
      }
      if (m.contains(JobMarkers.name(after) + ".done")) {
        return Wait.DONE;
      }
      if (m.contains(JobMarkers.name(after) + ".failed")) {
        return Wait.FAILED;
      }
      if (!canCome(m, shard, System.currentTimeMillis() - t0)) {
        if (dead) { // seen in two listings
          return Wait.GIVE_UP;
        }
        dead = true;
        listed = false;
        continue;
      }
      dead = false;
      if (!JobMarkers.pause(seen, sleep)) {
        listed = false;
        sleep = Math.min(20, sleep * 2);
      }
    }
  }

}
