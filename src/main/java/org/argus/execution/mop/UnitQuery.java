package org.argus.execution.mop;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.argus.ArgusException;
import org.argus.plan.mop.Unit;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Columns;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.store.CheckpointStore;

/**
 * A unit query as it runs inside a Spark task: restore the config's checkpoint from the store, train
 * one sub-epoch over the shard's rows in a seeded order ({@link Examples#batchIterator}; each batch
 * holds only the columns the config's trainer reads, {@link TrainerFactory#columns}), write the new
 * checkpoint atomically. The input checkpoint is never modified, so a failed unit is retried from
 * it.
 *
 * @param unit which config, epoch, shard and attempt, and its checkpoints
 * @param config the config's hyperparameters
 * @param seed trial seed
 * @param orderKey seeds the batch order: the shard for MOP, 0 for task-parallel (identical replicas)
 * @param injectFailure fail this unit's first attempt after training (tests of retry)
 * @param factory trainer factory
 * @param store checkpoint store
 */
record UnitQuery(
    Unit unit,
    Hyperparameters config,
    long seed,
    int orderKey,
    boolean injectFailure,
    TrainerFactory factory,
    CheckpointStore store)
    implements Serializable {

  /** @return the same unit query's next try (attempt + 1, same checkpoints) */
  UnitQuery retried() {
    return new UnitQuery(unit.retry(), config, seed, orderKey, injectFailure, factory, store);
  }

  /**
   * Runs the unit over the shard's rows (inside a task).
   *
   * @param rows the partition iterator
   * @return the record (error null; job time 0, the driver sets it)
   * @throws ArgusException if the trainer or the checkpoint store fails
   * @throws IllegalStateException for an injected failure
   */
  UnitRecord run(Iterator<Example> rows) throws ArgusException {
    return run(rows, null, false);
  }

  /**
   * Runs the unit over the shard's rows (inside a round job's task), continuing the live trainer a
   * unit of the same job left in this JVM ({@link LiveStates}) when there is one, else restoring
   * the input checkpoint; after writing its checkpoint, leaves its trainer live when another unit
   * of the job reads that checkpoint.
   *
   * @param rows the partition iterator
   * @param job the round job's marker directory, or null (no hand-over)
   * @param handOver another unit of the job reads this unit's output checkpoint
   * @return the record (error null; job time 0, the driver sets it; bytes read 0 when the state
   *     came from a live trainer)
   * @throws ArgusException if the trainer or the checkpoint store fails
   * @throws IllegalStateException for an injected failure
   */
  UnitRecord run(Iterator<Example> rows, String job, boolean handOver) throws ArgusException {
    long start = System.currentTimeMillis();
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    return run(data, start, job, handOver, false);
  }

  /**
   * As {@link #run(Iterator, String, boolean)} over the shard's rows already in a list (a round
   * job's task collects its partition once for all its units).
   *
   * @param data the shard's rows, in storage order
   * @param job the round job's marker directory, or null (no hand-over)
   * @param handOver another unit of the job reads this unit's output checkpoint
   * @param keepInMemory with {@code handOver}: leave the output checkpoint's bytes with the live
   *     trainer ({@link LiveStates}, pending) instead of writing them, for a successor in this JVM
   *     (a mid-epoch hand-over on a local master: {@link RoundJob}); the record's bytes written are
   *     then 0
   * @return the record, as {@link #run(Iterator, String, boolean)}
   * @throws ArgusException if the trainer or the checkpoint store fails
   * @throws IllegalStateException for an injected failure
   */
  UnitRecord run(List<Example> data, String job, boolean handOver, boolean keepInMemory) throws ArgusException {
    return run(data, System.currentTimeMillis(), job, handOver, keepInMemory);
  }

  private UnitRecord run(List<Example> data, long start, String job, boolean handOver, boolean keepInMemory)
      throws ArgusException {
    long read = 0;
    LiveStates.Live in = job == null || unit.inCkpt() == null ? null : LiveStates.take(job, unit.inCkpt());
    Trainer t = in == null ? null : in.trainer();
    boolean kept = false;
    try {
      if (t == null) {
        t = factory.create(config, seed);
        if (in != null) { // bytes a failed try of this unit put back
          t.importState(in.pending());
        } else if (unit.inCkpt() != null) {
          byte[] s = store.read(unit.inCkpt());
          read = s.length + 48L;
          t.importState(s);
        }
      }
      Metrics m = data.isEmpty() ? Metrics.EMPTY
          : t.train(Examples.reusingBatchIterator(data, t.batchSize(), seed, unit.epoch(), orderKey,
              factory.columns(config)));
      if (injectFailure && unit.attempt() == 0) {
        throw new IllegalStateException("injected failure in unit (trial " + unit.trial() + ", epoch " + unit.epoch()
            + ", shard " + unit.shard() + ")");
      }
      boolean live = job != null && handOver && !m.diverged();
      byte[] state = t.exportState();
      long written = live && keepInMemory ? 0 : store.write(unit.outCkpt(), state);
      if (live) {
        LiveStates.put(job, new LiveStates.Live(t, keepInMemory ? state : null, store, unit.outCkpt(),
            state.length));
        kept = true;
      }
      String exec = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
      return new UnitRecord(unit.trial(), unit.epoch(), unit.shard(), unit.attempt(), exec, start,
          System.currentTimeMillis(), 0, read, written, m, unit.inCkpt(), unit.outCkpt(), null);
    } catch (Throwable e) {
      if (in != null && in.pending() != null) { // the input is in memory only: keep it for the retry
        LiveStates.put(job, new LiveStates.Live(null, in.pending(), store, unit.inCkpt(),
            in.pending().length));
      }
      throw e;
    } finally {
      if (t != null && !kept) {
        t.close();
      }
    }
  }

  /**
   * Evaluates a checkpoint over validation rows (inside a task), in batches of 256.
   *
   * @param rows validation rows
   * @param factory trainer factory
   * @param store store
   * @param config the config's hyperparameters
   * @param seed trial seed
   * @param ckpt checkpoint name
   * @return loss/accuracy sums ({@link Metrics#EMPTY} for no rows)
   * @throws ArgusException if the trainer or the checkpoint store fails
   */
  static Metrics evaluate(Iterator<Example> rows, TrainerFactory factory, CheckpointStore store,
      Hyperparameters config, long seed, String ckpt) throws ArgusException {
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    return evaluate(batches(data, factory.columns(config)), factory, store, config, seed, ckpt);
  }

  /**
   * @param rows validation rows
   * @param columns the columns a config's trainer reads ({@link TrainerFactory#columns})
   * @return the rows as batches of 256 of those columns (empty for no rows)
   */
  static List<Batch> batches(List<Example> rows, Columns columns) {
    List<Batch> b = new ArrayList<>();
    for (int s = 0; s < rows.size(); s += 256) {
      b.add(Examples.batch(rows.subList(s, Math.min(rows.size(), s + 256)), columns));
    }
    return b;
  }

  /**
   * Evaluates a checkpoint over validation batches built by {@link #batches} (a round job's task
   * builds them once per column set and validates every epoch's checkpoints on them).
   *
   * @param batches the validation rows as batches of the config's columns
   * @param factory trainer factory
   * @param store store
   * @param config the config's hyperparameters
   * @param seed trial seed
   * @param ckpt checkpoint name
   * @return loss/accuracy sums ({@link Metrics#EMPTY} for no batches)
   * @throws ArgusException if the trainer or the checkpoint store fails
   */
  static Metrics evaluate(List<Batch> batches, TrainerFactory factory, CheckpointStore store,
      Hyperparameters config, long seed, String ckpt) throws ArgusException {
    if (batches.isEmpty()) {
      return Metrics.EMPTY;
    }
    try (Trainer t = factory.create(config, seed)) {
      t.importState(store.read(ckpt));
      return t.evaluate(batches.iterator());
    }
  }
}
