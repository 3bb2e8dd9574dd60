package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.argus.ArgusException;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.Replay;
import org.argus.plan.mop.RoundScheduler;
import org.argus.plan.mop.SelectionState;
import org.argus.plan.mop.TrialRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.TrainerFactory;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Procedure;
import org.argus.select.procedure.Round;
import org.argus.select.procedure.Trial;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;

/**
 * Runs a model-selection {@link Procedure} on Spark with model hopper parallelism or a baseline.
 *
 * <p>Data ({@code ShardLayout}): the labelled rows are split once into a validation part ({@code
 * validationFraction}, chosen by a hash of the run seed and the row index) and a training part that
 * is shuffled once with the seed into {@code workers} shards, cached on the executors ({@code
 * MEMORY_ONLY}): stored once. Task-parallel instead stores one full copy per worker.
 *
 * <p>MOP (Cerebro, VLDB 2020 §4.2): each round of the per-epoch template, every listed config visits
 * every shard once, placed by the Spark-free {@link RoundScheduler} (seeded Latin-square visit
 * orders, longest remaining work first); so a config is in one place at a time, a shard runs one unit
 * at a time and results do not depend on task timing. By default a round is one Spark job with one
 * task per cached shard ({@link RoundJob}: each task runs its shard's unit queries in the plan's
 * order, taking each config's checkpoint over from the previous shard's task, then validates the
 * round's last checkpoints on its part of the held-out split). When the procedure has decided
 * several rounds ahead ({@link Round#decided()}: grid, random, a transfer's heads), one round job
 * runs as many of them as fit in {@link Builder#optRoundJobMs} ({@link EpochBlock}), with the results
 * of one job per round. With {@link Builder#optRoundJobs optRoundJobs(false)}, or for what a round job
 * leaves, a unit query is a Spark job over the cached partition holding its shard (on its executor).
 * A unit's checkpoint is read from and written to the {@link CheckpointStore} under a new name; a
 * failed unit is tried again from its unchanged input checkpoint up to {@code maxAttempts} times, then
 * the config fails with the reason and the run continues. After the round every config is validated
 * on the held-out split and the procedure decides what runs next ({@link SelectionState}).
 *
 * <p>Everything learned is in the run directory (see {@link RunDirectory}) as it happens; {@link
 * Builder#optResume(boolean)} replays recorded epochs into the procedure and continues from the last
 * completed unit queries. {@link #run()} returns the result; the caller writes reports.
 */
public final class ModelSelection {
  private final Builder b;

  private ModelSelection(Builder b) {
    this.b = b;
  }

  /** @return a builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder: {@code set…} required, {@code opt…} optional. */
  public static final class Builder {
    private JavaRDD<Example> data;
    private TrainerFactory factory;
    private Procedure procedure;
    private String runDir;
    private Map<String, String> spec = new LinkedHashMap<>();
    private Execution execution = Execution.MOP;
    private boolean roundJobs = true;
    private long roundJobMs = 5_000;
    private boolean validateEveryEpoch = true;
    private int workers = -1;
    private long seed = 42;
    private double validationFraction = 0.2;
    private int maxAttempts = 3;
    private boolean resume;
    private Consumer<UnitRecord> listener = u -> {};
    private Set<String> injectFailures = Set.of();
    private JavaRDD<Example> validationData;
    private JavaRDD<Example> testData;
    private Runnable onDataCached = () -> {};

    /**
     * @param data labelled rows (read once; need not be cached)
     * @return this
     */
    public Builder setData(JavaRDD<Example> data) {
      this.data = data;
      return this;
    }

    /**
     * @param factory trainer factory
     * @return this
     */
    public Builder setTrainerFactory(TrainerFactory factory) {
      this.factory = factory;
      return this;
    }

    /**
     * @param procedure a fresh procedure
     * @return this
     */
    public Builder setProcedure(Procedure procedure) {
      this.procedure = procedure;
      return this;
    }

    /**
     * @param runDir run directory (path or Hadoop URI; reachable from all executors)
     * @return this
     */
    public Builder setRunDir(String runDir) {
      this.runDir = runDir;
      return this;
    }

    /**
     * @param spec what defines the run (data, family, space, …); a resume must match it
     * @return this
     */
    public Builder optSpec(Map<String, String> spec) {
      this.spec = new LinkedHashMap<>(spec);
      return this;
    }

    /**
     * @param e execution [MOP]
     * @return this
     */
    public Builder optExecution(Execution e) {
      this.execution = Objects.requireNonNull(e, "execution");
      return this;
    }

    /**
     * @param r MOP runs each round as one Spark job with one task per shard ({@code RoundJob}: the
     *     round pays one job's overhead instead of one per unit query; the units of a round reach the
     *     listener and the {@code units} table when the round ends); false: one Spark job per unit
     *     query, placed as shards free up (per-unit progress). Same visit orders, same results
     *     [true]
     * @return this
     */
    public Builder optRoundJobs(boolean r) {
      this.roundJobs = r;
      return this;
    }

    /**
     * @param ms when the procedure has decided several rounds ahead (grid, random, a transfer's
     *     heads: {@link Round#decided()}), one round job spans as many of them as fit in this many
     *     ms at the last round's pace (a local master's jobs stop themselves at it): one Spark job
     *     launch and one round tail for all of them (about 0.1 s of worker time each, a 32-config run
     *     on 2 cores); their units and epochs reach the listener and the tables when the job ends.
     *     Same visit orders, same results; 0: one round per job [5 000]
     * @return this
     * @throws IllegalArgumentException if {@code ms < 0}
     */
    public Builder optRoundJobMs(long ms) {
      if (ms < 0) {
        throw new IllegalArgumentException("roundJobMs must be >= 0; found " + ms);
      }
      this.roundJobMs = ms;
      return this;
    }

    /**
     * @param v validate every config after every epoch; false: a round job validates only its
     *     configs' last epoch, none when the procedure has decided that they train on after the job
     *     ({@code Round#decided()} beyond its epochs), and the other epochs are recorded with NaN validation
     *     metrics (for heads scored once at the end, e.g. a transfer's, whose procedure decides
     *     nothing on them); every config's last epoch is validated either way [true]
     * @return this
     */
    public Builder optValidateEveryEpoch(boolean v) {
      this.validateEveryEpoch = v;
      return this;
    }

    /**
     * @param n worker slots = shards [Spark's default parallelism]
     * @return this
     */
    public Builder optWorkers(int n) {
      this.workers = n;
      return this;
    }

    /**
     * @param seed run seed [42]
     * @return this
     */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * @param f held-out fraction in (0, 1) [0.2]
     * @return this
     */
    public Builder optValidationFraction(double f) {
      this.validationFraction = f;
      return this;
    }

    /**
     * @param n tries per unit query, {@code >= 1} [3]
     * @return this
     */
    public Builder optMaxAttempts(int n) {
      this.maxAttempts = n;
      return this;
    }

    /**
     * @param r continue the run in {@code runDir} [false]
     * @return this
     */
    public Builder optResume(boolean r) {
      this.resume = r;
      return this;
    }

    /**
     * @param l called on the driver after every unit query (also failed attempts), before any
     *     unit that reads its checkpoint is scheduled
     * @return this
     */
    public Builder optListener(Consumer<UnitRecord> l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /**
     * @param rows explicit validation rows: every row of {@link #setData} then trains and {@link
     *     #optValidationFraction} is ignored (e.g. a transfer's test split, when there is one config
     *     per layer to score rather than configs to choose) [null: a seeded split of the data]
     * @return this
     */
    public Builder optValidationData(JavaRDD<Example> rows) {
      this.validationData = rows;
      return this;
    }

    /**
     * @param rows held-out test rows: when the run ends, every config that did not fail is scored
     *     on them from its last checkpoint — accuracy, loss and macro-F1, all configs in one Spark
     *     job ({@link SelectionResult#test()}, empty when there are no rows); they never inform the
     *     procedure [null: no test scores]
     * @return this
     */
    public Builder optTestData(JavaRDD<Example> rows) {
      this.testData = rows;
      return this;
    }

    /**
     * @param r called on the driver once the shards and the validation rows are cached, before the
     *     first unit query (e.g. to drop the table they were read from) [nothing]
     * @return this
     */
    public Builder optOnDataCached(Runnable r) {
      this.onDataCached = Objects.requireNonNull(r, "onDataCached");
      return this;
    }

    /**
     * @param units {@code "trial/epoch/shard"} keys whose first attempt fails after training
     *     (fault-injection tests)
     * @return this
     */
    public Builder optInjectFailures(Set<String> units) {
      this.injectFailures = Set.copyOf(units);
      return this;
    }

    /**
     * @return the runner
     * @throws NullPointerException naming a missing required setting
     * @throws IllegalArgumentException for out-of-range options
     */
    public ModelSelection build() {
      Objects.requireNonNull(data, "data");
      Objects.requireNonNull(factory, "trainerFactory");
      Objects.requireNonNull(procedure, "procedure");
      Objects.requireNonNull(runDir, "runDir");
      if (!(validationFraction > 0 && validationFraction < 1)) {
        throw new IllegalArgumentException("validationFraction must be in (0, 1); found " + validationFraction);
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1; found " + maxAttempts);
      }
      if (workers == 0 || workers < -1) {
        throw new IllegalArgumentException("workers must be >= 1; found " + workers);
      }
      return new ModelSelection(this);
    }
  }

  /**
   * Runs the procedure to completion.
   *
   * @return leaderboard, unit log and statistics (the tables, the best checkpoint and its config are
   *     in the run directory)
   * @throws ArgusException if the run directory cannot be written or read, a resume's spec differs
   *     (the message lists the differences), or the driver is interrupted
   * @throws IllegalArgumentException if there are fewer training rows than shards or no validation
   *     rows
   */
  public SelectionResult run() throws ArgusException {
    String runDir = RunLog.qualified(b.runDir);
    RunDirectory dir = new RunDirectory(runDir);
    int slots = b.workers > 0 ? b.workers : b.data.context().defaultParallelism();
    Map<String, String> spec = spec(slots);
    Replay replay = RunLog.replay(dir, spec, b.resume);
    boolean unitReplay = b.execution == Execution.MOP || b.execution == Execution.SEQUENTIAL;
    SelectionState state = new SelectionState(b.seed, b.procedure.goal(), replay, unitReplay);
    RunLog log = new RunLog(dir, b.listener);
    return log.closing(() -> run(runDir, dir, slots, spec, state, dir.checkpoints(), log));
  }

  /** The rounds, then {@link #finish}; {@code log}'s appends are written behind ({@link RunLog}). */
  private SelectionResult run(String runDir, RunDirectory dir, int slots, Map<String, String> spec,
      SelectionState state, CheckpointStore store, RunLog log) throws ArgusException {
    boolean replicas = b.execution == Execution.TASK_PARALLEL;
    ShardLayout data = ShardLayout.prepare(b.data, b.seed, b.validationFraction, slots, replicas, b.validationData);
    b.onDataCached.run();
    List<SelectionResult.RoundStats> rounds = new ArrayList<>();
    try {
      UnitJobs jobs = new UnitJobs(data, state, b.factory, store, replicas, b.injectFailures, b.roundJobMs);
      EpochBlock block = null; // a job's later epochs, while the rounds go as it planned them
      for (int round = 0; ; round++) {
        Round r = b.procedure.next(state.results());
        List<Integer> todo = state.begin(round, r);
        if (r.done()) {
          break;
        }
        block = block != null && block.usable(todo, state) ? block : null; // false for no configs
        if (todo.isEmpty()) {
          continue;
        }
        int ahead = block != null || b.execution != Execution.MOP || !b.roundJobs ? 1
            : EpochBlock.epochsFor(r, todo, rounds, b.roundJobMs, jobs.oneJvm());
        if (ahead > 1) {
          block = EpochBlock.run(state.scheduler(settings(slots, slots, true, false)), state, todo, ahead, jobs,
              b.maxAttempts, EpochBlock.validation(b.validateEveryEpoch, ahead, r.decided()));
        }
        boolean later = !b.validateEveryEpoch && r.decided() > 1 && todo.size() == r.train().size();
        rounds.add(train(round, todo, state, jobs, log, slots, store, block, later)); // later: validated later
      }
    } finally {
      data.unpersist();
      LiveStates.forget(LiveStates.runScope(store)); // trainers left for a next round job (a local master)
    }
    return finish(runDir, spec, state, log, data, rounds, store, dir);
  }

  /**
   * Trains and validates one round's configs; appends their epochs.
   *
   * @param block a round job over several epochs that ran this round already, or null
   * @param validateLater the procedure trains these configs in the next round and the run validates
   *     once per round job ({@link Builder#optValidateEveryEpoch} false): a round job of this round
   *     alone does not validate (its epochs table rows have no validation metrics)
   */
  private SelectionResult.RoundStats train(int round, List<Integer> todo, SelectionState state, UnitJobs jobs,
      RunLog log, int slots, CheckpointStore store, EpochBlock block, boolean validateLater) throws ArgusException {
    log.takeBytesMoved();
    long t0 = System.currentTimeMillis();
    Map<Integer, Metrics> validated = new java.util.HashMap<>();
    switch (b.execution) {
      case MOP -> {
        RoundScheduler scheduler = state.scheduler(settings(slots, slots, true, false));
        boolean later = validateLater;
        if (block != null) {
          validated.putAll(block.apply(scheduler, state, todo, log));
          t0 -= block.msPerEpoch();
          later = !b.validateEveryEpoch && block.validatesLater(todo, state);
        } else if (b.roundJobs) {
          EpochBlock one = EpochBlock.run(scheduler, state, todo, 1, jobs, b.maxAttempts,
              later ? RoundJob.Validation.NONE : RoundJob.Validation.EVERY_EPOCH);
          validated.putAll(one.apply(scheduler, state, todo, log));
        }
        if (later) {
          todo.forEach(t -> validated.putIfAbsent(t, Metrics.EMPTY)); // not validated: NaN metrics
        }
        if (scheduler.remainingUnits() > 0) { // what a round job left (a give-up, a failed job)
          validated.clear();
          Rounds.hop(scheduler, jobs, log, slots);
        }
      }
      case SEQUENTIAL -> Rounds.hop(state.scheduler(settings(slots, 1, true, true)), jobs, log, 1);
      case TASK_PARALLEL -> Rounds.hop(state.scheduler(settings(slots, slots, false, false)), jobs, log, slots);
      case BSP -> Rounds.bsp(todo, state, jobs, log, slots, b.maxAttempts, b.factory, store);
    }
    long makespan = System.currentTimeMillis() - t0;
    SelectionResult.RoundStats stats = new SelectionResult.RoundStats(round, todo.size(), makespan,
        log.takeBytesMoved());
    List<EpochRecord> rows = new ArrayList<>();
    List<Integer> trained = todo.stream().filter(t -> state.failure(t) == null).toList();
    List<Integer> unvalidated = trained.stream().filter(t -> !validated.containsKey(t)).toList();
    if (unvalidated.size() > 1) {
      try { // one Spark job for the round's configs a round job did not validate
        validated.putAll(jobs.validateAll(unvalidated));
      } catch (Exception e) { // one config's failure must not fail the others: one job each below
      }
    }
    for (int trial : todo) {
      Metrics v = Metrics.EMPTY;
      String error = null;
      if (state.failure(trial) == null) {
        try {
          v = validated.containsKey(trial) ? validated.get(trial) : jobs.validate(trial);
        } catch (Exception e) { // a failed Spark job: the config fails with the reason
          error = e.getMessage();
        }
      }
      rows.add(state.endEpoch(trial, makespan, v, error));
    }
    log.epochs(rows);
    return stats;
  }

  /**
   * The training shards a run with these settings trains on, recomputed on the driver (to replay or
   * audit a run: a config's final checkpoint equals sequential SGD over these shards in its logged
   * visit order). Collects the training rows: for tests and small data only.
   *
   * @param data the run's labelled rows, in the run's order
   * @param seed run seed
   * @param validationFraction the run's held-out fraction
   * @param workers the run's worker slots
   * @return shard i's rows in storage order, for each i
   */
  public static List<List<Example>> shards(JavaRDD<Example> data, long seed, double validationFraction, int workers) {
    return ShardLayout.layout(data, seed, validationFraction, workers, false).get(0).glom().collect();
  }

  /** @return round settings: the run's seed and tries, {@code slots} shards */
  private RoundScheduler.Settings settings(int slots, int concurrency, boolean perShard, boolean sameOffset) {
    return new RoundScheduler.Settings(b.seed, slots, concurrency, perShard, sameOffset, b.maxAttempts);
  }

  private Map<String, String> spec(int slots) {
    Map<String, String> spec = new LinkedHashMap<>(b.spec);
    spec.put("execution", b.execution.cli());
    spec.put("procedure", b.procedure.name());
    spec.put("goal", b.procedure.goal().toString());
    spec.put("seed", Long.toString(b.seed));
    spec.put("validation_fraction", Double.toString(b.validationFraction));
    spec.put("trainer", b.factory.describe());
    spec.put("workers", Integer.toString(slots));
    return spec;
  }

  /** Leaderboard, {@code trials} table, best model. */
  private SelectionResult finish(String runDir, Map<String, String> spec, SelectionState state, RunLog log,
      ShardLayout data, List<SelectionResult.RoundStats> rounds, CheckpointStore store, RunDirectory dir)
      throws ArgusException {
    Goal goal = b.procedure.goal();
    List<SelectionResult.Entry> board = new ArrayList<>();
    List<TrialRecord> trials = new ArrayList<>();
    for (Trial t : b.procedure.trials()) {
      EpochRecord e = state.lastEpoch(t.id());
      if (e != null) {
        board.add(new SelectionResult.Entry(t.id(), e.config(), e.epoch(), e.metric(), e.valAccuracy(),
            e.valLoss(), state.status(t.id())));
      }
      trials.add(state.trialRecord(t));
    }
    board.sort(java.util.Comparator.<SelectionResult.Entry>comparingDouble(e -> -goal.key(e.metric()))
        .thenComparingInt(SelectionResult.Entry::trial));
    log.trials(trials);
    log.flush(); // a table that could not be written fails the run before it scores or exports anything
    Map<Integer, SelectionResult.TestScore> test = new LinkedHashMap<>();
    if (b.testData != null && b.testData.getNumPartitions() > 0) {
      List<Integer> finished = board.stream().filter(e -> !Double.isNaN(e.metric())).map(SelectionResult.Entry::trial)
          .toList();
      if (!finished.isEmpty()) { // one Spark job for all; empty test rows: no test scores
        test.putAll(TestScoring.score(b.testData, finished, state, b.factory, store));
      }
    }
    SelectionResult res = new SelectionResult(runDir, spec, b.procedure.name(), b.execution, goal, board, rounds,
        log.units(), data.shardRows, data.payloadBytes, data.cachedBytes, test);
    SelectionResult.Entry best = res.best();
    if (best != null) {
      BestModel.write(best, state, b.factory.describe(), goal, store, dir);
    }
    return res;
  }
}
