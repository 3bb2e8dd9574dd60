package org.argus.execution.mop;

import java.util.List;
import java.util.Set;
import org.argus.ArgusException;
import org.argus.plan.mop.SelectionState;
import org.argus.plan.mop.Unit;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.TrainerFactory;
import org.argus.store.CheckpointStore;

/**
 * Runs rounds ({@link RoundJob}), unit queries and validations as Spark jobs: a round is a job with
 * a task per shard, a unit query alone a job over the single cached partition holding its shard, a
 * validation a job over the validation split.
 */
final class UnitJobs {
  /**
   * A finished attempt.
   *
   * @param unit the unit
   * @param record its outcome (error set when it failed)
   */
  record Done(Unit unit, UnitRecord record) {}

  private final ShardLayout data;
  private final SelectionState state;
  private final TrainerFactory factory;
  private final CheckpointStore store;
  private final boolean replicas;
  private final Set<String> injectFailures;
  private final long roundJobMs;

  /**
   * @param roundJobMs a round job's time budget, ms ({@link RoundJob#of}'s {@code budgetMs})
   */
  UnitJobs(ShardLayout data, SelectionState state, TrainerFactory factory, CheckpointStore store, boolean replicas,
      Set<String> injectFailures, long roundJobMs) {
    this.roundJobMs = roundJobMs;
    this.data = data;
    this.state = state;
    this.factory = factory;
    this.store = store;
    this.replicas = replicas;
    this.injectFailures = injectFailures;
  }

  /** The task's side of a unit (built on the driver's thread: the state is not thread-safe). */
  UnitQuery query(Unit u) {
    return new UnitQuery(u, hyperparameters(u.trial()), state.seed(u.trial()), replicas ? 0 : u.shard(),
        injectFailures.contains(u.key()), factory, store);
  }

  /**
   * Runs one attempt and waits for it. A failure of the job (Spark reports a task's exception as a
   * {@code SparkException}, with the task's exception as its cause) becomes a failed record, to be
   * retried or to fail the config; an {@link Error} on this thread is not caught: it ends the run.
   *
   * @param q the unit query
   * @return the attempt's outcome, with the driver-side job time
   */
  Done call(UnitQuery q) {
    long start = System.currentTimeMillis();
    long t0 = System.nanoTime();
    try {
      UnitRecord r = data.shard(q.unit().shard()).mapPartitions(it -> List.of(q.run(it)).iterator()).collect().get(0);
      return new Done(q.unit(), r.withJobMs((System.nanoTime() - t0) / 1_000_000));
    } catch (Exception e) {
      return new Done(q.unit(), UnitRecord.failed(q.unit(), start, System.currentTimeMillis(), rootCause(e)));
    }
  }

  /**
   * Runs a round's plan (one or several epochs) as one Spark job ({@link RoundJob}): one task per
   * shard, over the cached shards. A failed job loses its records (the caller runs what is left one job per unit query; a
   * unit that ran writes the same checkpoint again).
   *
   * @param plan per shard, its units in run order
   * @param maxAttempts tries per unit
   * @param validation which epochs of the plan the tasks validate
   * @return every attempt's record (job time = the unit's own time inside the task; none when the
   *     job failed), and per (config, epoch) whose last unit is done its validation sums over every
   *     part of the validation split (none when a task gave up or the job failed)
   */
  RoundJob.ShardResult round(List<List<Unit>> plan, int maxAttempts, RoundJob.Validation validation) {
    String dir = "rounds/" + java.util.UUID.randomUUID();
    RoundJob job = RoundJob.of(plan, this::query, maxAttempts, store, dir, validation, oneJvm(), roundJobMs);
    try {
      List<RoundJob.ShardResult> parts = data.shards.zipPartitions(data.validation, (a, b) -> {
        int shard = org.apache.spark.TaskContext.getPartitionId();
        return List.of(job.runShard(shard, a, b)).iterator();
      }).collect();
      List<UnitRecord> records = parts.stream().flatMap(p -> p.records().stream()).toList();
      java.util.Map<RoundJob.TrialEpoch, Metrics> sums = new java.util.HashMap<>();
      if (parts.stream().allMatch(p -> p.validation() != null)) {
        for (RoundJob.TrialEpoch k : parts.get(0).validation().keySet()) {
          if (parts.stream().allMatch(p -> p.validation().containsKey(k))) {
            sums.put(k, parts.stream().map(p -> p.validation().get(k)).reduce(Metrics::plus).orElseThrow());
          }
        }
      }
      int epochs = parts.stream().mapToInt(RoundJob.ShardResult::epochs).min().orElse(0);
      return new RoundJob.ShardResult(records, sums, epochs);
    } catch (Exception e) {
      return new RoundJob.ShardResult(List.of(), java.util.Map.of(), 0);
    } finally {
      try {
        store.delete(dir);
      } catch (ArgusException e) { // markers left behind are harmless: the next job has its own directory
      }
      MarkerBoard.forget(dir);
      // trainers a unit left for a successor that did not come (the job stopped early, a give-up, a failure):
      // on a local master those of written checkpoints wait for the run's next round job
      LiveStates.forget(dir, oneJvm() ? LiveStates.runScope(store) : null);
    }
  }

  /**
   * @return whether every task runs in this JVM (a local master): round jobs may then stop early
   *     ({@link EpochStops})
   */
  boolean oneJvm() {
    return data.shards.context().isLocal();
  }

  /**
   * @param trial a trial of the current round
   * @return its current checkpoint's validation loss/accuracy sums
   * (a failed Spark job throws its {@code SparkException}: the caller fails the config)
   */
  Metrics validate(int trial) {
    return evaluateAll(data.validation, List.of(trial), state, factory, store).get(trial);
  }

  /**
   * Validates several trials of a round in one Spark job: each task scores every trial's current
   * checkpoint on its partition of the validation split (the same sums as {@link #validate} per
   * trial, one job instead of one per trial).
   *
   * @param trials trials of the current round, each with a checkpoint
   * @return per trial, its validation loss/accuracy sums (a failed Spark job throws: the caller
   *     falls back to {@link #validate} per trial, so one config's failure fails only that config)
   */
  java.util.Map<Integer, Metrics> validateAll(List<Integer> trials) {
    return evaluateAll(data.validation, trials, state, factory, store);
  }

  /**
   * Scores several trials' current checkpoints on held-out rows in one Spark job (each task scores
   * every trial on its partition).
   *
   * @param rows held-out rows
   * @param trials trials with a checkpoint
   * @param state the run's state (configs, seeds, checkpoints)
   * @param factory the trainer factory
   * @param store the checkpoints
   * @return per trial, its loss/accuracy sums over {@code rows} (a failed job throws)
   */
  static java.util.Map<Integer, Metrics> evaluateAll(org.apache.spark.api.java.JavaRDD<Example> rows,
      List<Integer> trials, SelectionState state, TrainerFactory factory, CheckpointStore store) {
    final TrainerFactory f = factory;
    final CheckpointStore s = store;
    final List<Hyperparameters> cfg = trials.stream().map(t -> new Hyperparameters(state.config(t).values())).toList();
    final long[] seeds = trials.stream().mapToLong(state::seed).toArray();
    final List<String> ck = trials.stream().map(state::checkpoint).toList();
    Metrics[] sums = rows.mapPartitions(it -> {
      List<Example> part = new java.util.ArrayList<>();
      it.forEachRemaining(part::add);
      Metrics[] m = new Metrics[cfg.size()];
      for (int i = 0; i < m.length; i++) {
        m[i] = UnitQuery.evaluate(part.iterator(), f, s, cfg.get(i), seeds[i], ck.get(i));
      }
      return List.<Metrics[]>of(m).iterator();
    }).reduce((a, b) -> {
      Metrics[] c = new Metrics[a.length];
      for (int i = 0; i < c.length; i++) {
        c[i] = a[i].plus(b[i]);
      }
      return c;
    });
    java.util.Map<Integer, Metrics> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      out.put(trials.get(i), sums[i]);
    }
    return out;
  }

  private Hyperparameters hyperparameters(int trial) {
    return new Hyperparameters(state.config(trial).values());
  }

  /**
   * @return {@code Class: message} of the innermost {@link ArgusException} in the cause chain (its
   *     message has the context: e.g. {@code cannot write checkpoint PATH: No space left on device}),
   *     or else of the innermost cause
   */
  static String rootCause(Throwable ex) {
    Throwable root = ex;
    Throwable argus = ex instanceof ArgusException ? ex : null;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      if (root instanceof ArgusException) {
        argus = root;
      }
    }
    Throwable shown = argus != null ? argus : root;
    return shown.getClass().getSimpleName() + ": " + shown.getMessage();
  }
}
