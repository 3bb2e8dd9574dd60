package org.argus.execution.train;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DataParallelTrainer;
import org.argus.runtime.train.GradientSum;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainerStates;

/**
 * The Spark jobs of data-parallel training, one per synchronization: every cached partition
 * computes on its share of the global batch ({@link Shards}), the results are summed with {@code
 * treeAggregate} (depth 2), and only the sum reaches the driver.
 *
 * @param shards the laid-out, cached examples
 * @param run the run's id (executor trainer pool key)
 * @param factory builds the executor trainers
 * @param config the config
 * @param seed the run's seed
 * @param globalBatch the global batch {@code B}
 * @param shuffle whether epochs reshuffle each partition's rows
 */
record StepJobs(JavaRDD<Example> shards, String run, TrainerFactory factory, Hyperparameters config,
    long seed, int globalBatch, boolean shuffle) {

  /**
   * Synchronous step: the sum over the global batch of per-example gradients at the broadcast
   * weights.
   *
   * @param weights the driver's parameters
   * @param epoch 1-based epoch
   * @param step 0-based step within the epoch
   * @return the summed gradients and metrics
   */
  GradientSum gradient(Broadcast<float[][]> weights, int epoch, int step) {
    String run = this.run;
    TrainerFactory factory = this.factory;
    Hyperparameters config = this.config;
    long seed = this.seed;
    int b = globalBatch;
    boolean shuffle = this.shuffle;
    int p = shards.getNumPartitions();
    return shards
        .mapPartitionsWithIndex(
            (k, it) -> {
              List<Batch> mine = batches(it, seed, epoch, k, Shards.share(b, p, k), step, 1, shuffle);
              DataParallelTrainer t = ExecutorTrainers.borrow(run, factory, config, seed);
              try {
                t.setWeights(weights.value());
                return List.of(t.gradientSum(mine.get(0))).iterator();
              } finally {
                ExecutorTrainers.giveBack(run, t);
              }
            },
            true)
        .treeAggregate(GradientSum.zero(), GradientSum::addInPlace, GradientSum::addInPlace, 2);
  }

  /**
   * Local SGD round: each partition imports the broadcast state, trains {@code steps} local steps
   * on its shares of the next global batches with the config's optimizer, and contributes its
   * resulting state's arrays (weights and optimizer slots); the sum comes back with the metrics.
   *
   * @param state the driver's full trainer state
   * @param epoch 1-based epoch
   * @param firstStep 0-based step within the epoch of the round's first local step
   * @param steps local steps in this round, {@code >= 1}
   * @return the sum of the partitions' state arrays (in {@link GradientSum#sum()}) and metrics
   */
  GradientSum localRound(Broadcast<byte[]> state, int epoch, int firstStep, int steps) {
    String run = this.run;
    TrainerFactory factory = this.factory;
    Hyperparameters config = this.config;
    long seed = this.seed;
    int b = globalBatch;
    boolean shuffle = this.shuffle;
    int p = shards.getNumPartitions();
    return shards
        .mapPartitionsWithIndex(
            (k, it) -> {
              List<Batch> mine =
                  batches(it, seed, epoch, k, Shards.share(b, p, k), firstStep, steps, shuffle);
              DataParallelTrainer t = ExecutorTrainers.borrow(run, factory, config, seed);
              try {
                t.importState(state.value());
                Metrics m = t.train(mine.iterator());
                float[][] arrays = m.diverged() ? null : TrainerStates.arrays(t.exportState());
                return List.of(new GradientSum(arrays, m)).iterator();
              } finally {
                ExecutorTrainers.giveBack(run, t);
              }
            },
            true)
        .treeAggregate(GradientSum.zero(), GradientSum::addInPlace, GradientSum::addInPlace, 2);
  }

  /** Frees the run's pooled trainers in the executors that hold its partitions. */
  void closeTrainers() {
    String run = this.run;
    shards.foreachPartition(it -> ExecutorTrainers.close(run));
    ExecutorTrainers.close(run);
  }

  /**
   * @return per partition, its row count, in partition order
   */
  long[] rowsPerPartition() {
    List<Long> counts =
        shards
            .mapPartitions(
                it -> {
                  long n = 0;
                  for (; it.hasNext(); it.next()) {
                    n++;
                  }
                  return List.of(n).iterator();
                })
            .collect();
    return counts.stream().mapToLong(Long::longValue).toArray();
  }

  /** The partition's batches of steps {@code [first, first + count)} of an epoch. */
  private static List<Batch> batches(Iterator<Example> it, long seed, int epoch, int k, int share,
      int first, int count, boolean shuffle) {
    List<Example> rows = new ArrayList<>();
    it.forEachRemaining(rows::add);
    int[] order = Shards.order(seed, epoch, k, rows.size(), shuffle);
    List<Batch> out = new ArrayList<>(count);
    for (int s = first; s < first + count; s++) {
      List<Example> part = new ArrayList<>(share);
      for (int i = s * share; i < (s + 1) * share; i++) {
        part.add(rows.get(order[i]));
      }
      out.add(Examples.batch(part));
    }
    return out;
  }
}
