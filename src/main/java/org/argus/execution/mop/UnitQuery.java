package org.argus.execution.mop;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkEnv;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.select.space.Config;
import org.argus.select.space.Seeds;
import org.argus.store.CheckpointStore;

/**
 * A unit query (config, epoch, shard) as it runs inside a Spark task: restore the config's
 * checkpoint from the store, train one sub-epoch over the shard's rows in a seeded order, write the
 * new checkpoint atomically. The input checkpoint is never modified, so a failed unit is retried
 * from it.
 *
 * @param trial trial id
 * @param config hyperparameters
 * @param seed trial seed
 * @param epoch 1-based epoch
 * @param shard data partition index
 * @param orderKey seeds the batch order: the shard for MOP, 0 for task-parallel (identical replicas)
 * @param attempt try number (0 first)
 * @param inCkpt input checkpoint name, null for a fresh model
 * @param outCkpt output checkpoint name
 * @param injectFailure fail this unit's first attempt after training (tests of retry)
 * @param factory trainer factory
 * @param store checkpoint store
 */
public record UnitQuery(
    int trial,
    Config config,
    long seed,
    int epoch,
    int shard,
    int orderKey,
    int attempt,
    String inCkpt,
    String outCkpt,
    boolean injectFailure,
    TrainerFactory factory,
    CheckpointStore store)
    implements Serializable {

  /**
   * The mini-batches of one visit: rows in an order shuffled by {@code split(seed, "order", epoch ×
   * 65536 + shard)}, cut into batches of {@code batchSize} (the last may be smaller).
   *
   * @param rows the shard's rows in storage order
   * @param batchSize examples per batch
   * @param seed trial seed
   * @param epoch 1-based epoch
   * @param shard shard index
   * @return the batches
   */
  public static List<Batch> batches(List<Example> rows, int batchSize, long seed, int epoch, int shard) {
    int n = rows.size();
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    SplittableRandom r = new SplittableRandom(Seeds.split(seed, "order", epoch * 65536L + shard));
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    List<Batch> out = new ArrayList<>();
    for (int start = 0; start < n; start += batchSize) {
      int m = Math.min(batchSize, n - start);
      int dim = rows.get(0).x().length;
      float[] x = new float[m * dim];
      int[] y = new int[m];
      for (int k = 0; k < m; k++) {
        Example e = rows.get(idx[start + k]);
        System.arraycopy(e.x(), 0, x, k * dim, dim);
        y[k] = e.label();
      }
      out.add(new Batch(x, y));
    }
    return out;
  }

  /**
   * Runs the unit over the shard's rows (inside a task).
   *
   * @param rows the partition iterator
   * @return the record (error null)
   * @throws Exception any failure; the driver retries or fails the config
   */
  public UnitRecord run(Iterator<Example> rows) throws Exception {
    long start = System.currentTimeMillis();
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    long read = 0;
    try (Trainer t = factory.create(new org.argus.runtime.train.Hyperparameters(config.values()), seed)) {
      if (inCkpt != null) {
        byte[] s = store.read(inCkpt);
        read = s.length + 48L;
        t.importState(s);
      }
      Metrics m = data.isEmpty() ? Metrics.EMPTY : t.train(batches(data, t.batchSize(), seed, epoch, orderKey).iterator());
      if (injectFailure && attempt == 0) {
        throw new IllegalStateException(
            "injected failure in unit (trial " + trial + ", epoch " + epoch + ", shard " + shard + ")");
      }
      long written = store.write(outCkpt, t.exportState());
      String exec = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
      return new UnitRecord(
          trial, epoch, shard, attempt, exec, start, System.currentTimeMillis(), read, written, m, inCkpt, outCkpt, null);
    }
  }

  /**
   * Evaluates a checkpoint over validation rows (inside a task).
   *
   * @param rows validation rows
   * @param factory trainer factory
   * @param store store
   * @param config config
   * @param seed trial seed
   * @param ckpt checkpoint name
   * @return loss/accuracy sums
   * @throws Exception on failure
   */
  public static Metrics evaluate(
      Iterator<Example> rows, TrainerFactory factory, CheckpointStore store, Config config, long seed, String ckpt)
      throws Exception {
    List<Example> data = new ArrayList<>();
    rows.forEachRemaining(data::add);
    if (data.isEmpty()) {
      return Metrics.EMPTY;
    }
    try (Trainer t = factory.create(new org.argus.runtime.train.Hyperparameters(config.values()), seed)) {
      t.importState(store.read(ckpt));
      List<Batch> b = new ArrayList<>();
      for (int s = 0; s < data.size(); s += 256) {
        List<Example> part = data.subList(s, Math.min(data.size(), s + 256));
        int dim = part.get(0).x().length;
        float[] x = new float[part.size() * dim];
        int[] y = new int[part.size()];
        for (int k = 0; k < part.size(); k++) {
          System.arraycopy(part.get(k).x(), 0, x, k * dim, dim);
          y[k] = part.get(k).label();
        }
        b.add(new Batch(x, y));
      }
      return t.evaluate(b.iterator());
    }
  }
}
