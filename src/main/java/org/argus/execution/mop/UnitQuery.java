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
    long start = System.currentTimeMillis();
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    return run(data, start, null, HandOver.NONE);
  }

  /**
   * What a unit leaves live for the unit that reads its output checkpoint ({@link LiveStates}), in
   * this JVM: that unit continues the trainer instead of building one and reading the checkpoint.
   */
  enum HandOver {
    /** Nothing: the trainer is closed, the checkpoint written. */
    NONE,
    /** A unit of the same round job reads the checkpoint: it is written, the trainer stays live. */
    WRITTEN,
    /**
     * The config's next unit of the same epoch, in the same round job and JVM (a local master),
     * reads the checkpoint: it stays with the live trainer as pending bytes instead of a file.
     */
    IN_MEMORY,
    /**
     * No unit of this round job reads the checkpoint (the config's last of the job), but the run's
     * next round job may, in this JVM (a local master): it is written, and the trainer stays live in
     * the run's scope ({@link LiveStates#runScope}) until taken, evicted, or the run ends.
     */
    LATER_JOB
  }

  /**
   * Runs the unit over the shard's rows already in a list (a round job's task collects its
   * partition once for all its units), continuing the live trainer the unit that wrote its input
   * checkpoint left in this JVM ({@link LiveStates}: in this job, or in the run's scope) when there
   * is one, else restoring the input checkpoint; then leaves its own trainer live as {@code
   * handOver} says.
   *
   * @param data the shard's rows, in storage order
   * @param job the round job's marker directory, or null (no hand-over: {@code handOver} must be
   *     {@link HandOver#NONE})
   * @param handOver what this unit leaves live for the reader of its output checkpoint
   * @return the record (error null; job time 0, the driver sets it; bytes read 0 when the state
   *     came from a live trainer; bytes written 0 for {@link HandOver#IN_MEMORY})
   * @throws ArgusException if the trainer or the checkpoint store fails
   * @throws IllegalStateException for an injected failure
   */
  UnitRecord run(List<Example> data, String job, HandOver handOver) throws ArgusException {
    return run(data, System.currentTimeMillis(), job, handOver);
  }

  private UnitRecord run(List<Example> data, long start, String job, HandOver handOver) throws ArgusException {
    long read = 0;
    LiveStates.Live in = job == null || unit.inCkpt() == null ? null : LiveStates.take(job, unit.inCkpt());
    in = in != null || job == null || unit.inCkpt() == null ? in
        : LiveStates.take(LiveStates.runScope(store), unit.inCkpt()); // left by the run's previous job
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
      boolean live = job != null && handOver != HandOver.NONE && !m.diverged();
      boolean inMemory = live && handOver == HandOver.IN_MEMORY;
      byte[] state = t.exportState();
      LiveStates.discard(LiveStates.runScope(store), unit.outCkpt()); // a trainer left for what is rewritten now
      long written = inMemory ? 0 : store.write(unit.outCkpt(), state);
      if (live) {
        LiveStates.put(handOver == HandOver.LATER_JOB ? LiveStates.runScope(store) : job,
            new LiveStates.Live(t, inMemory ? state : null, store, unit.outCkpt(), state.length));
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
    return evaluate(batches, factory, store, config, seed, ckpt, null);
  }

  /**
   * {@link #evaluate(List, TrainerFactory, CheckpointStore, Hyperparameters, long, String)} with the
   * trainer the checkpoint's unit left live in this JVM, when there is one ({@link LiveStates#lend},
   * in job {@code job}'s scope or the run's): it holds exactly the checkpoint's state, so the sums
   * are those of a trainer restored from it, without building one and reading the file (on the
   * development machine, on average over a 32-config selection's states: 3.5 ms to build, 5.3 ms to
   * read and 1.2 ms to import, against 7.0 ms to score one on 500 rows).
   *
   * @param job the round job's marker directory whose units may have left the trainer, or null
   *     (restore from the store)
   */
  static Metrics evaluate(List<Batch> batches, TrainerFactory factory, CheckpointStore store,
      Hyperparameters config, long seed, String ckpt, String job) throws ArgusException {
    if (batches.isEmpty()) {
      return Metrics.EMPTY;
    }
    for (String scope : job == null ? List.<String>of() : List.of(job, LiveStates.runScope(store))) {
      LiveStates.Live l = LiveStates.lend(scope, ckpt);
      if (l != null) {
        try {
          return l.trainer().evaluate(batches.iterator());
        } finally {
          LiveStates.giveBack(scope, l);
        }
      }
    }
    try (Trainer t = factory.create(config, seed)) {
      t.importState(store.read(ckpt));
      return t.evaluate(batches.iterator());
    }
  }
}
