package org.argus.execution.mop;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.storage.StorageLevel;
import org.argus.ArgusException;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.TrainerFactory;
import org.argus.select.procedure.EpochResult;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Procedure;
import org.argus.select.procedure.Round;
import org.argus.select.procedure.Trial;
import org.argus.select.space.Seeds;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Runs a model-selection {@link Procedure} on Spark with model hopper parallelism or a baseline.
 *
 * <p>Data: the labelled rows are split once into a validation part ({@code validationFraction},
 * chosen by a hash of the run seed and the row index) and a training part that is shuffled once
 * with the seed into {@code workers} shards, cached on the executors ({@code MEMORY_ONLY}): stored
 * once. Task-parallel instead stores one full copy per worker.
 *
 * <p>MOP (Cerebro, VLDB 2020 §4.2): each round of the per-epoch template, every listed config must
 * visit every shard once. A randomized driver-side scheduler repeatedly takes the free shards in a
 * random order (stream split from the seed and round) and gives each an idle config whose next
 * shard it is in the config's seeded visit order (a Latin-square schedule, see {@code
 * visitOrders}): among those, the one with the most remaining work in the round, ties at random
 * (see {@code pick}). So a config is in one place at a time, a shard runs one unit at a time,
 * units are never preempted, and results do not depend on task timing (the scheduler decides when
 * a unit runs, never a config's visit order). A unit query is a Spark job over the single cached partition holding
 * its shard ({@link PartitionPruningRDD}; Spark's locality puts the task on the executor caching
 * it). Its checkpoint is read from and written to the {@link CheckpointStore} under a new name;
 * a failed unit is re-submitted from its unchanged input checkpoint up to {@code maxAttempts}
 * times, then the config fails with the reason and the run continues. After the round every
 * config is validated on the held-out split and the procedure decides what runs next.
 *
 * <p>Everything learned is in the run directory (see {@link RunDirectory}) as it happens;
 * {@link Builder#optResume(boolean)} replays recorded epochs into the procedure and continues from
 * the last completed unit queries.
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
    private int workers = -1;
    private long seed = 42;
    private double validationFraction = 0.2;
    private int maxAttempts = 3;
    private boolean resume;
    private Consumer<UnitRecord> listener = u -> {};
    private Set<String> injectFailures = Set.of();

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

  /** Keeps one partition. */
  static final class OnlyPartition extends AbstractFunction1<Object, Object> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int p;

    OnlyPartition(int p) {
      this.p = p;
    }

    @Override
    public Object apply(Object i) {
      return ((Integer) i) == p;
    }
  }

  private static final class TrialState {
    final Trial trial;
    final long seed;
    String ckpt;
    int epochs;
    String failed;
    Metrics trainMetrics = Metrics.EMPTY;

    TrialState(Trial t, long seed) {
      this.trial = t;
      this.seed = seed;
    }
  }

  private record Done(UnitQuery q, UnitRecord rec, Throwable error) {}

  // run state
  private final Map<Integer, TrialState> states = new HashMap<>();
  private final List<UnitRecord> units = new ArrayList<>();
  private final List<SelectionResult.RoundStats> roundStats = new ArrayList<>();
  private final Map<Integer, SelectionResult.Entry> last = new HashMap<>();
  private final Map<Integer, String> stopReasons = new HashMap<>();
  private JavaRDD<Example> shards;
  private JavaRDD<Example> validation;
  private int slots;
  private CheckpointStore store;
  private RunDirectory dir;
  private long bytesMovedInRound;

  /**
   * Runs the procedure to completion.
   *
   * @return leaderboard, unit log and statistics (also written to the run directory)
   * @throws ArgusException if the run directory cannot be written or read, or a resume's spec
   *     differs (the message lists the differences)
   * @throws IllegalArgumentException if there are fewer training rows than shards
   */
  public SelectionResult run() throws ArgusException {
    try { // executors resolve relative paths against their own working directory: qualify here
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(b.runDir);
      b.runDir = p.getFileSystem(new org.apache.hadoop.conf.Configuration()).makeQualified(p).toString();
    } catch (IOException e) {
      throw new ArgusException("run directory " + b.runDir + ": " + e.getMessage(), e);
    }
    dir = new RunDirectory(b.runDir);
    store = dir.checkpoints();
    Map<String, String> spec = new LinkedHashMap<>(b.spec);
    spec.put("execution", b.execution.cli());
    spec.put("procedure", b.procedure.name());
    spec.put("goal", b.procedure.goal().toString());
    spec.put("seed", Long.toString(b.seed));
    spec.put("validation_fraction", Double.toString(b.validationFraction));
    spec.put("trainer", b.factory.describe());
    slots = b.workers > 0 ? b.workers : b.data.context().defaultParallelism();
    spec.put("workers", Integer.toString(slots));
    Map<String, List<Map<String, Object>>> recorded = new HashMap<>();
    try {
      Map<String, String> stored = dir.readSpec();
      if (b.resume) {
        if (stored == null) {
          throw new ArgusException("cannot resume: " + b.runDir + " holds no run (spec.properties missing)");
        }
        List<String> diff = RunDirectory.differences(stored, spec);
        if (!diff.isEmpty()) {
          throw new ArgusException(
              "cannot resume " + b.runDir + " with a different spec:\n  " + String.join("\n  ", diff));
        }
        recorded.put("epochs", dir.table("epochs").readAll());
        recorded.put("units", dir.table("units").readAll());
      } else {
        if (stored != null) {
          throw new ArgusException(
              "run directory " + b.runDir + " already holds a run; use --resume or another directory");
        }
        dir.writeSpec(spec);
      }
    } catch (IOException e) {
      throw new ArgusException("run directory " + b.runDir + ": " + e.getMessage(), e);
    }
    prepareData();
    try {
      loop(recorded);
    } finally {
      shards.unpersist(false);
      validation.unpersist(false);
    }
    return finish();
  }

  private long bytesStored;
  private List<Long> shardRows;

  /**
   * The data layout of a run: a seeded validation split, and the training rows shuffled once into
   * {@code k} shards (partition i = shard i, rows sorted by their seeded key) or, with {@code
   * replicate}, {@code k} identical full copies. Not persisted.
   *
   * @param data labelled rows
   * @param seed run seed
   * @param frac validation fraction
   * @param k shards (worker slots)
   * @param replicate one full copy per slot (task-parallel)
   * @return {@code [train, validation]}
   */
  static List<JavaRDD<Example>> layout(JavaRDD<Example> data, long seed, double frac, int k, boolean replicate) {
    JavaPairRDD<Long, Example> keyed =
        data.zipWithIndex().mapToPair(t -> new scala.Tuple2<>(Seeds.split(seed, "row", t._2()), t._1()));
    JavaPairRDD<Long, Example> train = keyed.filter(t -> ((t._1() >>> 11) * 0x1.0p-53) >= frac);
    JavaPairRDD<Long, Example> val = keyed.filter(t -> ((t._1() >>> 11) * 0x1.0p-53) < frac);
    if (replicate) {
      train = train.flatMapToPair(t -> {
        List<scala.Tuple2<Long, Example>> out = new ArrayList<>();
        for (int w = 0; w < k; w++) {
          out.add(new scala.Tuple2<>(Math.floorDiv(t._1(), (long) k) * k + w, t._2()));
        }
        return out.iterator();
      });
    }
    return List.of(
        train.repartitionAndSortWithinPartitions(new ModPartitioner(k)).values(),
        val.partitionBy(new HashPartitioner(k)).values());
  }

  private void prepareData() {
    final double frac = b.validationFraction;
    final int k = slots;
    List<JavaRDD<Example>> l = layout(b.data, b.seed, frac, k, b.execution == Execution.TASK_PARALLEL);
    shards = l.get(0).persist(StorageLevel.MEMORY_ONLY());
    validation = l.get(1).persist(StorageLevel.MEMORY_ONLY());
    shardRows = shards.mapPartitions(it -> {
      long n = 0;
      long dim = 0;
      while (it.hasNext()) {
        dim = it.next().x().length;
        n++;
      }
      return List.of(n, dim).iterator();
    }).collect();
    List<Long> rows = new ArrayList<>();
    bytesStored = 0;
    for (int i = 0; i < shardRows.size(); i += 2) {
      rows.add(shardRows.get(i));
      bytesStored += shardRows.get(i) * (4 * shardRows.get(i + 1) + 4);
    }
    shardRows = rows;
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i) == 0) {
        throw new IllegalArgumentException(
            "shard " + i + " of " + k + " is empty: " + rows.stream().mapToLong(Long::longValue).sum()
                + " training rows are too few for " + k + " workers (need at least one row per shard)");
      }
    }
    if (validation.count() == 0) {
      throw new IllegalArgumentException("the validation split (fraction " + frac + ") is empty; use more rows");
    }
  }

  /** Partitions long keys by {@code floorMod(key, n)}. */
  static final class ModPartitioner extends org.apache.spark.Partitioner {
    private static final long serialVersionUID = 1L;
    private final int n;

    ModPartitioner(int n) {
      this.n = n;
    }

    @Override
    public int numPartitions() {
      return n;
    }

    @Override
    public int getPartition(Object key) {
      return (int) Math.floorMod((Long) key, (long) n);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ModPartitioner m && m.n == n;
    }

    @Override
    public int hashCode() {
      return n;
    }
  }

  private void loop(Map<String, List<Map<String, Object>>> recorded) throws ArgusException {
    Map<String, Map<String, Object>> epochRows = new HashMap<>();
    for (Map<String, Object> r : recorded.getOrDefault("epochs", List.of())) {
      epochRows.put(r.get("trial") + "/" + r.get("epoch"), r);
    }
    Map<String, List<Map<String, Object>>> unitRows = new HashMap<>();
    for (Map<String, Object> r : recorded.getOrDefault("units", List.of())) {
      if (r.get("error") == null) {
        unitRows.computeIfAbsent(r.get("trial") + "/" + r.get("epoch"), x -> new ArrayList<>()).add(r);
      }
    }
    List<EpochResult> results = List.of();
    Goal goal = b.procedure.goal();
    for (int round = 0; ; round++) {
      Round r = b.procedure.next(results);
      for (Map.Entry<Integer, String> s : r.stopped().entrySet()) {
        stopReasons.put(s.getKey(), s.getValue());
      }
      if (r.done()) {
        return;
      }
      List<TrialState> todo = new ArrayList<>();
      List<Integer> roundIds = r.train().stream().map(Trial::id).toList();
      List<EpochResult> next = new ArrayList<>();
      for (Trial t : r.train()) {
        TrialState st = states.computeIfAbsent(t.id(), id -> new TrialState(t, Seeds.split(b.seed, "trial", id)));
        Map<String, Object> row = epochRows.get(t.id() + "/" + (st.epochs + 1));
        if (row != null) { // replay a recorded epoch
          st.epochs++;
          st.ckpt = (String) row.get("ckpt");
          st.failed = (String) row.get("failed");
          double m = row.get("metric") == null ? Double.NaN : (Double) row.get("metric");
          last.put(t.id(), new SelectionResult.Entry(t.id(), t.config().toString(), st.epochs, m,
              nz(row.get("val_accuracy")), nz(row.get("val_loss")), null));
          next.add(new EpochResult(t.id(), st.epochs, m, st.failed));
        } else {
          todo.add(st);
        }
      }
      if (!todo.isEmpty()) {
        bytesMovedInRound = 0;
        long t0 = System.currentTimeMillis();
        int epochOf = -1;
        Map<Integer, Set<Integer>> doneShards = new HashMap<>();
        for (TrialState st : todo) {
          st.trainMetrics = Metrics.EMPTY;
          int e = st.epochs + 1;
          Set<Integer> d = new HashSet<>();
          if (b.execution == Execution.MOP || b.execution == Execution.SEQUENTIAL) {
            List<Map<String, Object>> us = new ArrayList<>(unitRows.getOrDefault(st.trial.id() + "/" + e, List.of()));
            us.sort((x, y) -> Long.compare((Long) x.get("end_ms"), (Long) y.get("end_ms")));
            for (Map<String, Object> u : us) {
              d.add(((Long) u.get("shard")).intValue());
              st.ckpt = (String) u.get("out_ckpt");
            }
          }
          doneShards.put(st.trial.id(), d);
        }
        switch (b.execution) {
          case MOP -> hop(todo, roundIds, doneShards, round, slots, true);
          case SEQUENTIAL -> hop(todo, roundIds, doneShards, round, 1, true);
          case TASK_PARALLEL -> hop(todo, roundIds, doneShards, round, slots, false);
          case BSP -> bsp(todo);
        }
        long makespan = System.currentTimeMillis() - t0;
        roundStats.add(new SelectionResult.RoundStats(round, todo.size(), makespan, bytesMovedInRound));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (TrialState st : todo) {
          st.epochs++;
          Metrics v = Metrics.EMPTY;
          if (st.failed == null) {
            try {
              v = evaluate(st);
            } catch (Exception ex) {
              st.failed = "validation failed: " + ex.getMessage();
            }
            if (st.failed == null && v.diverged()) {
              st.failed = "diverged: NaN validation loss";
            }
          }
          double metric = st.failed != null ? Double.NaN : v.get(goal.metric());
          last.put(st.trial.id(), new SelectionResult.Entry(st.trial.id(), st.trial.config().toString(),
              st.epochs, metric, v.accuracy(), v.loss(), null));
          next.add(new EpochResult(st.trial.id(), st.epochs, metric, st.failed));
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("trial", (long) st.trial.id());
          row.put("epoch", (long) st.epochs);
          row.put("config", st.trial.config().toString());
          row.put("train_loss", st.trainMetrics.loss());
          row.put("val_loss", v.loss());
          row.put("val_accuracy", v.accuracy());
          row.put("metric", metric);
          row.put("failed", st.failed);
          row.put("ckpt", st.ckpt);
          row.put("round", (long) round);
          row.put("round_ms", makespan);
          rows.add(row);
        }
        append("epochs", rows);
      }
      results = next;
    }
  }

  private static double nz(Object o) {
    return o == null ? Double.NaN : (Double) o;
  }

  private void append(String table, List<Map<String, Object>> rows) throws ArgusException {
    try {
      dir.table(table).append(rows);
    } catch (IOException e) {
      throw new ArgusException("cannot write table " + table + " in " + b.runDir + ": " + e.getMessage(), e);
    }
  }

  private Metrics evaluate(TrialState st) {
    final TrainerFactory f = b.factory;
    final CheckpointStore s = store;
    final var cfg = st.trial.config();
    final long seed = st.seed;
    final String ck = st.ckpt;
    return validation
        .mapPartitions(it -> List.of(UnitQuery.evaluate(it, f, s, cfg, seed, ck)).iterator())
        .reduce(Metrics::plus);
  }

  private UnitQuery query(TrialState st, int shard, int attempt, String out) {
    int e = st.epochs + 1;
    int orderKey = b.execution == Execution.TASK_PARALLEL ? 0 : shard;
    return new UnitQuery(st.trial.id(), st.trial.config(), st.seed, e, shard, orderKey, attempt, st.ckpt, out,
        b.injectFailures.contains(st.trial.id() + "/" + e + "/" + shard), b.factory, store);
  }

  private UnitRecord submit(UnitQuery q) {
    JavaRDD<Example> one =
        new JavaRDD<>(PartitionPruningRDD.create(shards.rdd(), new OnlyPartition(q.shard())),
            ClassTag$.MODULE$.apply(Example.class));
    return one.mapPartitions(it -> List.of(q.run(it)).iterator()).collect().get(0);
  }

  private void log(UnitRecord r) throws ArgusException {
    observe(r);
    persist(r);
  }

  /** Counts a finished unit and tells the listener (before any unit that depends on it starts). */
  private void observe(UnitRecord r) {
    units.add(r);
    bytesMovedInRound += r.bytesRead() + r.bytesWritten();
    b.listener.accept(r);
  }

  /** Appends a finished unit to the run directory's {@code units} table. */
  private void persist(UnitRecord r) throws ArgusException {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("trial", (long) r.trial());
    row.put("epoch", (long) r.epoch());
    row.put("shard", (long) r.shard());
    row.put("attempt", (long) r.attempt());
    row.put("executor", r.executor());
    row.put("start_ms", r.startMs());
    row.put("end_ms", r.endMs());
    row.put("bytes_read", r.bytesRead());
    row.put("bytes_written", r.bytesWritten());
    row.put("examples", r.metrics().examples());
    row.put("train_loss", r.metrics().loss());
    row.put("in_ckpt", r.inCkpt());
    row.put("out_ckpt", r.outCkpt());
    row.put("error", r.error());
    append("units", List.of(row));
  }

  private UnitRecord failedRecord(UnitQuery q, long start, Throwable ex) {
    Throwable root = ex;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getClass().getSimpleName() + ": " + root.getMessage();
    return new UnitRecord(q.trial(), q.epoch(), q.shard(), q.attempt(), "?", start, System.currentTimeMillis(),
        0, 0, Metrics.EMPTY, q.inCkpt(), q.outCkpt(), msg);
  }

  /** MOP / sequential (perShard) and task-parallel (one unit on any replica) scheduling. */
  private void hop(List<TrialState> todo, List<Integer> roundIds, Map<Integer, Set<Integer>> doneShards, int round,
      int concurrency, boolean perShard) throws ArgusException {
    Map<Integer, Set<Integer>> remaining = new LinkedHashMap<>();
    for (TrialState st : todo) {
      Set<Integer> need = new HashSet<>();
      for (int s = 0; s < slots; s++) {
        if (!doneShards.get(st.trial.id()).contains(s)) {
          need.add(s);
        }
      }
      remaining.put(st.trial.id(), need);
    }
    Map<Integer, TrialState> byId = new HashMap<>();
    todo.forEach(st -> byId.put(st.trial.id(), st));
    Set<Integer> freeSlots = new HashSet<>();
    for (int s = 0; s < slots; s++) {
      freeSlots.add(s);
    }
    Set<Integer> idle = new HashSet<>(remaining.keySet());
    SplittableRandom rng = new SplittableRandom(Seeds.split(b.seed, "schedule", round));
    Map<Integer, List<Integer>> order = visitOrders(todo, roundIds);
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    CompletionService<Done> cs = new ExecutorCompletionService<>(pool);
    List<UnitRecord> pending = new ArrayList<>();
    int inflight = 0;
    try {
      while (true) {
        List<Integer> free = new ArrayList<>(freeSlots);
        free.sort(null);
        shuffle(free, rng);
        for (int s : free) {
          if (inflight >= concurrency) {
            break;
          }
          List<Integer> cands = new ArrayList<>();
          for (int id : idle) {
            if (perShard ? nextShard(order.get(id), remaining.get(id)) == s : !remaining.get(id).isEmpty()) {
              cands.add(id);
            }
          }
          if (cands.isEmpty()) {
            continue;
          }
          cands.sort(null);
          int id = pick(cands, remaining, perShard, rng);
          TrialState st = byId.get(id);
          String out = String.format("ckpt/trial-%d/e%d-s%d.ckpt", id, st.epochs + 1, s);
          UnitQuery q = query(st, s, 0, out);
          idle.remove(id);
          freeSlots.remove(s);
          inflight++;
          cs.submit(() -> call(q));
        }
        // persist what finished only after the free slots have new work: the Parquet append is
        // off the critical path (a driver that dies before it re-runs those units on resume)
        for (UnitRecord rec : pending) {
          persist(rec);
        }
        pending.clear();
        if (inflight == 0) {
          return;
        }
        Done d;
        try {
          d = cs.take().get();
        } catch (InterruptedException | ExecutionException e) {
          throw new ArgusException("scheduler interrupted: " + e.getMessage(), e);
        }
        inflight--;
        UnitQuery q = d.q();
        TrialState st = byId.get(q.trial());
        observe(d.rec());
        pending.add(d.rec());
        if (d.error() != null) {
          if (q.attempt() + 1 < b.maxAttempts) {
            UnitQuery retry = new UnitQuery(q.trial(), q.config(), q.seed(), q.epoch(), q.shard(), q.orderKey(), q.attempt() + 1,
                q.inCkpt(), q.outCkpt(), q.injectFailure(), q.factory(), q.store());
            inflight++;
            cs.submit(() -> call(retry));
            continue;
          }
          st.failed = "unit (epoch " + q.epoch() + ", shard " + q.shard() + ") failed " + b.maxAttempts
              + " times: " + d.rec().error();
          remaining.get(q.trial()).clear();
        } else {
          st.ckpt = q.outCkpt();
          unitMs.merge(q.trial(), new long[] {d.rec().endMs() - d.rec().startMs(), 1},
              (x, y) -> new long[] {x[0] + y[0], x[1] + y[1]});
          st.trainMetrics = st.trainMetrics.plus(d.rec().metrics());
          if (perShard) {
            remaining.get(q.trial()).remove(q.shard());
          } else {
            remaining.get(q.trial()).clear();
          }
          if (d.rec().metrics().diverged()) {
            st.failed = "diverged: NaN loss in epoch " + q.epoch();
            remaining.get(q.trial()).clear();
          }
        }
        freeSlots.add(q.shard());
        idle.add(q.trial());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Measured unit-query milliseconds per trial in this run: {sum, count}; scheduling only. */
  private final Map<Integer, long[]> unitMs = new HashMap<>();

  /**
   * Chooses which idle config a free shard runs next: the one with the most remaining work
   * (remaining units of this round × its mean measured unit time so far; configs not yet measured
   * count the mean over all measured configs), ties broken at random. Longest-remaining-work
   * first keeps the round's tail short (list scheduling, Graham 1969); it changes only when a unit
   * runs, never a config's visit order, so results do not depend on it.
   */
  private int pick(List<Integer> cands, Map<Integer, Set<Integer>> remaining, boolean perShard,
      SplittableRandom rng) {
    double all = 0;
    long n = 0;
    for (long[] v : unitMs.values()) {
      all += v[0];
      n += v[1];
    }
    double fallback = n == 0 ? 1 : all / n;
    double best = -1;
    List<Integer> top = new ArrayList<>();
    for (int id : cands) {
      long[] v = unitMs.get(id);
      double mean = v == null ? fallback : (double) v[0] / v[1];
      double work = (perShard ? remaining.get(id).size() : 1) * mean;
      if (work > best * (1 + 1e-9)) {
        best = work;
        top.clear();
        top.add(id);
      } else if (work >= best * (1 - 1e-9)) {
        top.add(id);
      }
    }
    return top.get(rng.nextInt(top.size()));
  }

  /**
   * Each config's shard order for its epoch: a Latin-square schedule (config with offset o visits
   * {@code π[(o + j) mod k]} at step j) over a permutation π of the shards, with offsets from a
   * random ordering of the configs; all drawn from {@code split(seed, "visits", epoch)}. Fixing
   * the order makes results independent of task timing, retries and resumes (same seed ⇒ same
   * visit order ⇒ same results), while configs with different offsets never wait on each other.
   */
  private Map<Integer, List<Integer>> visitOrders(List<TrialState> todo, List<Integer> roundIds) {
    Map<Integer, List<Integer>> out = new HashMap<>();
    List<Integer> ids = new ArrayList<>(roundIds);
    ids.sort(null);
    for (TrialState st : todo) {
      int e = st.epochs + 1;
      SplittableRandom r = new SplittableRandom(Seeds.split(b.seed, "visits", e));
      List<Integer> pi = new ArrayList<>();
      for (int s = 0; s < slots; s++) {
        pi.add(s);
      }
      shuffle(pi, r);
      List<Integer> rank = new ArrayList<>(ids);
      shuffle(rank, new SplittableRandom(Seeds.split(b.seed, "offsets", e)));
      int o = rank.indexOf(st.trial.id()) % slots;
      if (b.execution == Execution.SEQUENTIAL) {
        o = 0;
      }
      List<Integer> seq = new ArrayList<>();
      for (int j = 0; j < slots; j++) {
        seq.add(pi.get((o + j) % slots));
      }
      out.put(st.trial.id(), seq);
    }
    return out;
  }

  private static int nextShard(List<Integer> order, Set<Integer> remaining) {
    for (int s : order) {
      if (remaining.contains(s)) {
        return s;
      }
    }
    return -1;
  }

  private Done call(UnitQuery q) {
    long start = System.currentTimeMillis();
    try {
      return new Done(q, submit(q), null);
    } catch (Throwable ex) {
      return new Done(q, failedRecord(q, start, ex), ex);
    }
  }

  private static void shuffle(List<Integer> l, SplittableRandom r) {
    for (int i = l.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      Integer t = l.get(i);
      l.set(i, l.get(j));
      l.set(j, t);
    }
  }

  /** BSP: per config, all shards train from the same state in parallel, then states are averaged. */
  private void bsp(List<TrialState> todo) throws ArgusException {
    ExecutorService pool = Executors.newFixedThreadPool(slots);
    try {
      for (TrialState st : todo) {
        int e = st.epochs + 1;
        List<Future<Done>> fs = new ArrayList<>();
        for (int s = 0; s < slots; s++) {
          String out = String.format("ckpt/trial-%d/e%d-s%d.part", st.trial.id(), e, s);
          UnitQuery q = query(st, s, 0, out);
          fs.add(pool.submit(() -> {
            Done d = call(q);
            for (int a = 1; d.error() != null && a < b.maxAttempts; a++) {
              synchronized (this) {
                log(d.rec());
              }
              UnitQuery r = new UnitQuery(q.trial(), q.config(), q.seed(), q.epoch(), q.shard(), q.orderKey(), a, q.inCkpt(),
                  q.outCkpt(), q.injectFailure(), q.factory(), q.store());
              d = call(r);
            }
            return d;
          }));
        }
        List<byte[]> parts = new ArrayList<>();
        for (Future<Done> f : fs) {
          Done d;
          try {
            d = f.get();
          } catch (InterruptedException | ExecutionException ex) {
            throw new ArgusException("bsp interrupted: " + ex.getMessage(), ex);
          }
          synchronized (this) {
            log(d.rec());
          }
          if (d.error() != null) {
            st.failed = "unit (epoch " + e + ", shard " + d.q().shard() + ") failed: " + d.rec().error();
          } else {
            st.trainMetrics = st.trainMetrics.plus(d.rec().metrics());
            if (d.rec().metrics().diverged()) {
              st.failed = "diverged: NaN loss in epoch " + e;
            }
            parts.add(store.read(d.q().outCkpt()));
            bytesMovedInRound += parts.get(parts.size() - 1).length + 48L;
          }
        }
        if (st.failed == null) {
          String out = String.format("ckpt/trial-%d/e%d-avg.ckpt", st.trial.id(), e);
          bytesMovedInRound += store.write(out, b.factory.average(parts));
          st.ckpt = out;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private SelectionResult finish() throws ArgusException {
    Goal goal = b.procedure.goal();
    List<SelectionResult.Entry> board = new ArrayList<>();
    List<Map<String, Object>> trialRows = new ArrayList<>();
    for (Trial t : b.procedure.trials()) {
      SelectionResult.Entry e = last.get(t.id());
      TrialState st = states.get(t.id());
      String status = st != null && st.failed != null ? "failed: " + st.failed : stopReasons.getOrDefault(t.id(), "");
      if (e != null) {
        board.add(new SelectionResult.Entry(e.trial(), e.config(), e.epochs(), e.metric(), e.valAccuracy(),
            e.valLoss(), status));
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("trial", (long) t.id());
      row.put("config", t.config().toString());
      row.put("seed", Seeds.split(b.seed, "trial", t.id()));
      row.put("bracket", (long) t.bracket());
      row.put("stopped", status);
      trialRows.add(row);
    }
    board.sort((x, y) -> {
      int c = Double.compare(goal.key(y.metric()), goal.key(x.metric()));
      return c != 0 ? c : Integer.compare(x.trial(), y.trial());
    });
    append("trials", trialRows);
    SelectionResult res = new SelectionResult(b.runDir, b.procedure.name(), b.execution, goal, List.copyOf(board),
        List.copyOf(roundStats), List.copyOf(units), bytesStored, shardRows);
    SelectionResult.Entry best = res.best();
    try {
      if (best != null) {
        TrialState st = states.get(best.trial());
        store.write("best/model.ckpt", store.read(st.ckpt));
        dir.writeText("best/config.txt", best.config() + "\nseed=" + st.seed + "\ntrainer=" + b.factory.describe()
            + "\n" + goal.metric() + "=" + best.metric() + "\nepochs=" + best.epochs() + "\n");
      }
      dir.writeText("report.json", Reports.json(res));
      dir.writeText("report.md", Reports.markdown(res));
    } catch (IOException e) {
      throw new ArgusException("cannot write reports in " + b.runDir + ": " + e.getMessage(), e);
    }
    return res;
  }
}
