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
    long read = 0;
    try (Trainer t = factory.create(config, seed)) {
      if (unit.inCkpt() != null) {
        byte[] s = store.read(unit.inCkpt());
        read = s.length + 48L;
        t.importState(s);
      }
      Metrics m = data.isEmpty() ? Metrics.EMPTY
          : t.train(Examples.batchIterator(data, t.batchSize(), seed, unit.epoch(), orderKey, factory.columns(config)));
      if (injectFailure && unit.attempt() == 0) {
        throw new IllegalStateException("injected failure in unit (trial " + unit.trial() + ", epoch " + unit.epoch()
            + ", shard " + unit.shard() + ")");
      }
      long written = store.write(unit.outCkpt(), t.exportState());
      String exec = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
      return new UnitRecord(unit.trial(), unit.epoch(), unit.shard(), unit.attempt(), exec, start,
          System.currentTimeMillis(), 0, read, written, m, unit.inCkpt(), unit.outCkpt(), null);
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
    if (data.isEmpty()) {
      return Metrics.EMPTY;
    }
    Columns columns = factory.columns(config);
    try (Trainer t = factory.create(config, seed)) {
      t.importState(store.read(ckpt));
      List<Batch> b = new ArrayList<>();
      for (int s = 0; s < data.size(); s += 256) {
        b.add(Examples.batch(data.subList(s, Math.min(data.size(), s + 256)), columns));
      }
      return t.evaluate(b.iterator());
    }
  }
}
