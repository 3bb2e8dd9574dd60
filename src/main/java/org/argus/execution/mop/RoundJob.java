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
 * (Cerebro's long-lived workers, VLDB 2020 §4.1) and runs the round's unit queries on its shard in
 * the order of {@link org.argus.plan.mop.RoundScheduler#plan()}, each after the config's previous
 * unit finished on another shard. Unit queries stay what they are (restore the config's checkpoint,
 * train one sub-epoch, write the next checkpoint), so a config's visit order, and therefore its
 * results, are those of one Spark job per unit query; the round pays one job's scheduling and task
 * (de)serialization instead of one per unit query.
 *
 * <p>Hand-over between tasks goes through the checkpoint store, under {@code rounds/<id>/}: after a
 * unit a task writes {@code t<trial>-e<epoch>-s<shard>.done} (or {@code .failed} when the unit failed
 * every try or its loss was not finite: the config's later units of the round are skipped, and marked
 * failed in turn), holding the unit's records; a task writes {@code shard-<s>.started} first and
 * {@code shard-<s>.stopped} last. A task Spark runs again (its executor was lost) takes the records of
 * the units its earlier attempt finished from their markers instead of running them again.
 * A task waiting for a predecessor polls these markers (1 ms, doubling to 20 ms) and gives up on the
 * rest of its list when the predecessor's task stopped without it, or has not started after {@value
 * #START_GRACE_MS} ms (fewer free slots than shards). Because every list is in plan order, the tasks
 * that run never wait in a cycle; whatever a round job leaves (a give-up, a failed job) is finished by
 * one job per unit query ({@link Rounds#hop}).
 *
 * <p>A failed attempt is retried inside the task from its unchanged input checkpoint, up to {@code
 * maxAttempts} tries, each try a record as in {@link UnitJobs#call}. After its list, each task also
 * validates every config's last checkpoint of the round on its part of the validation split (zipped
 * with its shard), so a round needs no separate validation job.
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
   */
  record Step(UnitQuery query, String after, int afterShard) implements Serializable {}

  /**
   * A config's last unit of the round, whose checkpoint every task validates on its part of the
   * validation split once the unit is done.
   *
   * @param query the config's last unit query (its config, seed and output checkpoint)
   * @param marker the unit's marker prefix
   */
  record Final(UnitQuery query, String marker) implements Serializable {}

  /**
   * What a shard's task returns.
   *
   * @param records every attempt's record, in run order
   * @param validation per trial whose last unit is done, its validation sums on this task's part of
   *     the validation split; null when the task gave up (the driver validates in a job)
   */
  record ShardResult(List<UnitRecord> records, Map<Integer, org.argus.runtime.train.Metrics> validation)
      implements Serializable {}

  /** How a wait for a predecessor ended. */
  private enum Wait {
    DONE,
    FAILED,
    GIVE_UP
  }

  private final List<List<Step>> steps;
  private final List<Final> finals;
  private final int maxAttempts;
  private final CheckpointStore store;
  private final String dir;

  private RoundJob(List<List<Step>> steps, List<Final> finals, int maxAttempts, CheckpointStore store, String dir) {
    this.steps = steps;
    this.finals = finals;
    this.maxAttempts = maxAttempts;
    this.store = store;
    this.dir = dir;
  }

  /**
   * @param plan per shard, its units in run order ({@link org.argus.plan.mop.RoundScheduler#plan()})
   * @param queries builds a unit's query (on the driver's thread)
   * @param maxAttempts tries per unit, {@code >= 1}
   * @param store the run's checkpoint store
   * @param dir the job's marker directory, relative to the store, unique per job
   * @return the job's task side
   */
  static RoundJob of(List<List<Unit>> plan, java.util.function.Function<Unit, UnitQuery> queries, int maxAttempts,
      CheckpointStore store, String dir) {
    Map<String, Unit> byOutput = new HashMap<>();
    for (List<Unit> shard : plan) {
      for (Unit u : shard) {
        byOutput.put(u.outCkpt(), u);
      }
    }
    java.util.Set<String> inputs = new java.util.HashSet<>();
    for (List<Unit> shard : plan) {
      for (Unit u : shard) {
        inputs.add(u.inCkpt());
      }
    }
    List<List<Step>> steps = new ArrayList<>();
    java.util.TreeMap<Integer, Final> finals = new java.util.TreeMap<>();
    for (List<Unit> shard : plan) {
      List<Step> list = new ArrayList<>();
      for (Unit u : shard) {
        Unit before = u.inCkpt() == null ? null : byOutput.get(u.inCkpt());
        UnitQuery q = queries.apply(u);
        list.add(new Step(q, before == null ? null : marker(dir, before), before == null ? -1 : before.shard()));
        if (!inputs.contains(u.outCkpt())) {
          finals.put(u.trial(), new Final(q, marker(dir, u)));
        }
      }
      steps.add(list);
    }
    return new RoundJob(steps, List.copyOf(finals.values()), maxAttempts, store, dir);
  }

  private static String marker(String dir, Unit u) {
    return dir + "/t" + u.trial() + "-e" + u.epoch() + "-s" + u.shard();
  }

  private String shardMarker(int shard, String what) {
    return dir + "/shard-" + shard + "." + what;
  }

  /**
   * Runs shard {@code shard}'s list (inside its task).
   *
   * @param shard the shard = the partition index
   * @param rows the shard's rows
   * @return every attempt's record, in run order
   * @throws ArgusException if a marker cannot be written or read, or the task is interrupted (the
   *     job fails; the driver runs the round's units one job each)
   */
  ShardResult runShard(int shard, Iterator<Example> rows, Iterator<Example> validationRows) throws ArgusException {
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    List<UnitRecord> out = new ArrayList<>();
    boolean gaveUp = false;
    store.write(shardMarker(shard, "started"), EMPTY);
    try {
      for (Step st : steps.get(shard)) {
        Unit u = st.query().unit();
        String mine = marker(dir, u);
        if (store.exists(mine + ".done") || store.exists(mine + ".failed")) { // an earlier attempt of this task
          out.addAll(records(store.read(store.exists(mine + ".done") ? mine + ".done" : mine + ".failed")));
          continue;
        }
        if (st.after() != null) {
          Wait w = await(st.after(), st.afterShard());
          if (w == Wait.GIVE_UP) {
            gaveUp = true;
            break;
          }
          if (w == Wait.FAILED) {
            store.write(mine + ".failed", bytes(List.of()));
            continue;
          }
        }
        List<UnitRecord> tries = withRetries(st.query(), data);
        out.addAll(tries);
        UnitRecord r = tries.get(tries.size() - 1);
        boolean ok = r.error() == null && !r.metrics().diverged();
        store.write(mine + (ok ? ".done" : ".failed"), bytes(tries));
      }
    } finally {
      store.write(shardMarker(shard, "stopped"), EMPTY);
    }
    return new ShardResult(out, gaveUp ? null : validate(validationRows));
  }

  /**
   * Validates every config whose last unit of the round is done, on this task's part of the
   * validation split ({@link UnitQuery#evaluate}); a config whose evaluation throws is left out (the
   * driver validates it in a job, which reports the failure).
   *
   * @return trial → sums, or null when a last unit's task gave up
   */
  private Map<Integer, org.argus.runtime.train.Metrics> validate(Iterator<Example> rows) throws ArgusException {
    List<Example> part = new ArrayList<>();
    rows.forEachRemaining(part::add);
    Map<Integer, org.argus.runtime.train.Metrics> sums = new HashMap<>();
    for (Final f : finals) {
      Unit u = f.query().unit();
      Wait w = await(f.marker(), u.shard());
      if (w == Wait.GIVE_UP) {
        return null;
      }
      if (w == Wait.DONE) {
        try {
          sums.put(u.trial(), UnitQuery.evaluate(part.iterator(), f.query().factory(), store, f.query().config(),
              f.query().seed(), u.outCkpt()));
        } catch (Exception e) { // left to the driver's validation job, which fails the config with the reason
        }
      }
    }
    return sums;
  }

  /** @return the records as a marker's payload (Java serialization) */
  static byte[] bytes(List<UnitRecord> records) throws ArgusException {
    try (java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(b)) {
      o.writeObject(new ArrayList<>(records));
      o.flush();
      return b.toByteArray();
    } catch (java.io.IOException e) {
      throw new ArgusException("cannot serialize unit records " + records + ": " + e.getMessage(), e);
    }
  }

  /** @return the records of a marker's payload */
  @SuppressWarnings("unchecked")
  static List<UnitRecord> records(byte[] payload) throws ArgusException {
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(payload))) {
      return (List<UnitRecord>) in.readObject();
    } catch (java.io.IOException | ClassNotFoundException e) {
      throw new ArgusException("cannot read unit records from a round job's marker: " + e.getMessage(), e);
    }
  }

  /** Tries a unit until it succeeds or {@code maxAttempts} tries failed; returns every try's record. */
  private List<UnitRecord> withRetries(UnitQuery first, List<Example> data) {
    List<UnitRecord> out = new ArrayList<>();
    UnitQuery q = first;
    for (int a = 1; ; a++) {
      long start = System.currentTimeMillis();
      UnitRecord r;
      try {
        r = q.run(data.iterator());
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

  private Wait await(String after, int shard) throws ArgusException {
    long t0 = System.currentTimeMillis();
    long sleep = 1;
    while (true) {
      boolean stopped = store.exists(shardMarker(shard, "stopped"));
      if (store.exists(after + ".done")) {
        return Wait.DONE;
      }
      if (store.exists(after + ".failed")) {
        return Wait.FAILED;
      }
      if (stopped || System.currentTimeMillis() - t0 > START_GRACE_MS && !store.exists(shardMarker(shard, "started"))) {
        return Wait.GIVE_UP;
      }
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ArgusException("round job task interrupted while waiting for " + after, e);
      }
      sleep = Math.min(20, sleep * 2);
    }
  }
}
