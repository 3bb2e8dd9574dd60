package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;
import org.argus.testing.SparkTestSession;
import org.argus.testing.cluster.StandaloneCluster;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MOP on a real Spark standalone cluster (master + 2 worker JVMs on 127.0.0.1, {@link
 * StandaloneCluster#shared()}): unit queries run on both executors, the data is stored once, and
 * every unit trained exactly the rows of its shard as the documented layout defines them —
 * recomputed here from the raw rows, without the layout code — so the final checkpoints equal plain
 * sequential SGD over those shards in the logged visit order.
 *
 * <p>Fault (catalogue row, {@link FaultRecorder}): an executor JVM killed with SIGKILL in the middle
 * of a unit query. The selection must complete with the results of the un-killed run of this class
 * (leaderboard, epoch records, units table, final checkpoints bit for bit), every unit done once.
 */
@Tag(FaultRecorder.TAG)
class MopClusterTest {
  static final String SPACE = "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)";
  static final long SEED = 7;
  static final double VALIDATION = 0.2;
  static final DjlTrainerFactory MLP = DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10).withThreads(1);
  /** The trial whose unit query loses its executor. */
  static final int VICTIM = 1;
  /** Mini-batches the victim unit trains before its executor is killed (a shard holds about 4 of 32 rows). */
  static final int BATCHES_BEFORE_KILL = 2;

  @TempDir static Path shared;
  /** The un-killed cluster run: checked against sequential SGD, and the reference of the kill. */
  static SelectionResult reference;

  @BeforeAll
  static void referenceRun() {
    String runDir = shared.resolve("cluster-run").toString();
    reference = StandaloneCluster.shared().run(s -> select(s, runDir, MLP), Duration.ofMinutes(6));
  }

  static JavaRDD<Example> data(SparkSession spark) throws Exception {
    FashionMnist.provision();
    return Examples.fromImages(FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 300, 3), "image", "label");
  }

  /** The 2-config × 2-epoch MOP selection, run on the cluster's driver. */
  static SelectionResult select(SparkSession spark, String runDir, TrainerFactory factory) throws Exception {
    return ModelSelection.builder()
        .setData(data(spark).cache())
        .setTrainerFactory(factory)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy")))
        .setRunDir(runDir)
        .optSpec(Map.of("space", SPACE, "data", "fashion-mnist:300"))
        .optExecution(Execution.MOP)
        .optWorkers(2)
        .optSeed(SEED)
        .build()
        .run();
  }

  /**
   * The shards as {@code ShardLayout} documents them, recomputed from the rows in order: row {@code
   * i} has key {@code split(seed, "row", i)}, is held out when {@code (key >>> 11)·2⁻⁵³ < 0.2},
   * else goes to shard {@code floorMod(key, 2)}; a shard's rows are sorted by key.
   */
  static List<List<Example>> expectedShards(List<Example> rows) {
    List<TreeMap<Long, Example>> shards = List.of(new TreeMap<>(), new TreeMap<>());
    for (int i = 0; i < rows.size(); i++) {
      long key = Seeds.split(SEED, "row", i);
      if ((key >>> 11) * 0x1.0p-53 >= VALIDATION) {
        shards.get((int) Math.floorMod(key, 2L)).put(key, rows.get(i));
      }
    }
    return shards.stream().map(m -> (List<Example>) new ArrayList<>(m.values())).toList();
  }

  @Test
  void unitsRunOnBothExecutorsAndTrainExactlyTheirShardsRowsStoredOnce() throws Exception {
    SelectionResult r = reference;
    TreeSet<String> executors = new TreeSet<>(r.units().stream().map(UnitRecord::executor).toList());
    assertEquals(2, executors.size(), "unit queries ran on " + executors);
    assertFalse(executors.contains("driver"), executors.toString());
    assertEquals(8, r.units().size(), "2 configs x 2 shards x 2 epochs");

    List<List<Example>> shards = expectedShards(data(SparkTestSession.get()).collect());
    assertEquals(List.of((long) shards.get(0).size(), (long) shards.get(1).size()), r.shardRows());
    long payload = shards.stream().flatMap(List::stream).mapToLong(e -> 4L * e.x().length + 4).sum();
    assertEquals(payload, r.payloadBytes(), "one copy of the training rows, not one per executor");
    for (UnitRecord u : r.units()) {
      assertEquals(shards.get(u.shard()).size(), u.metrics().examples(), "unit " + u);
    }
    assertFinalCheckpointsAreSequentialSgd(r, shards);
    Map<Integer, Long> perShard = new HashMap<>();
    r.units().forEach(u -> perShard.merge(u.shard(), 1L, Long::sum));
    assertEquals(Map.of(0, 4L, 1, 4L), perShard);
    assertTrue(r.cachedBytes() > 0, "Spark's block manager reports the cached shards");
  }

  @Test
  void anExecutorKilledMidUnitQueryLosesNoUnitAndChangesNoResult(@TempDir Path dir) throws Exception {
    String runDir = dir.resolve("killed-run").toString();
    String markers = dir.resolve("markers").toString();
    long victimSeed = Seeds.split(SEED, "trial", VICTIM);
    SelectionResult k = StandaloneCluster.shared().run(
        s -> select(s, runDir, new KillMidUnit(MLP, victimSeed, markers)), Duration.ofMinutes(6));

    Path killed = Path.of(markers, "killed");
    assertTrue(Files.exists(killed), "an executor was killed mid-unit (its pid is in " + killed + ")");
    String[] kill = Files.readString(killed).trim().split(" "); // pid, executor id

    // the units table: every unit once, done, having trained its whole shard (nothing double-counted)
    List<UnitRecord> units = new RunDirectory(runDir).readUnits();
    assertEquals(8, units.size(), "2 configs x 2 shards x 2 epochs, each recorded once: " + units);
    assertEquals(8, units.stream().map(u -> u.trial() + "/" + u.epoch() + "/" + u.shard()).distinct().count());
    for (UnitRecord u : units) {
      assertNull(u.error(), "unit " + u);
      assertEquals(k.shardRows().get(u.shard()), u.metrics().examples(), "unit " + u);
    }
    UnitRecord victim = units.stream().filter(u -> u.trial() == VICTIM && u.inCkpt() != null && u.epoch() == 1)
        .findFirst().orElseThrow();
    assertNotEquals(kill[1], victim.executor(), "the killed unit re-ran on another executor: " + victim);
    assertEquals(visits(reference.units()), visits(units), "same visit order and checkpoint names");

    // results: the un-killed run's, bit for bit
    assertEquals(reference.leaderboard(), k.leaderboard());
    List<EpochRecord> want = epochs(reference.runDir());
    List<EpochRecord> got = epochs(k.runDir());
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      EpochRecord a = want.get(i);
      EpochRecord b = got.get(i);
      String what = "trial " + a.trial() + " epoch " + a.epoch();
      assertEquals(List.of(a.trial(), a.epoch(), a.ckpt()), List.of(b.trial(), b.epoch(), b.ckpt()), what);
      assertEquals(a.trainLoss(), b.trainLoss(), 0.0, what);
      assertEquals(a.valLoss(), b.valLoss(), 0.0, what);
      assertEquals(a.valAccuracy(), b.valAccuracy(), 0.0, what);
    }
    Map<Integer, List<String>> ckWant = finalCheckpoints(reference.runDir(), want);
    Map<Integer, List<String>> ckGot = finalCheckpoints(k.runDir(), got);
    assertEquals(ckWant, ckGot, "final checkpoints (name, sha256 of the payload)");

    FaultRecorder.record(FaultRecorder.Group.PROCESSES,
        "executor JVM killed (SIGKILL) mid-MOP unit query, standalone cluster",
        "executor " + kill[1] + " killed after " + BATCHES_BEFORE_KILL + " mini-batches of unit (trial " + VICTIM
            + ", epoch 1, shard " + victim.shard() + "); Spark re-ran the unit's task on executor "
            + victim.executor() + " from its unchanged input checkpoint; units table: " + units.size()
            + " units, each once, attempt " + victim.attempt() + ", no error; selection completed",
        "no: " + units.size() + " of 8 units done once, each trained its whole shard (" + k.shardRows()
            + " rows); leaderboard, " + got.size() + " epoch records and " + ckGot.size()
            + " final checkpoints equal to an un-killed run (sha256 " + ckGot.get(VICTIM).get(1).substring(0, 12)
            + "… for trial " + VICTIM + ")");
  }

  /** trial → {last epoch's checkpoint name, sha256 of its payload}. */
  static Map<Integer, List<String>> finalCheckpoints(String runDir, List<EpochRecord> epochs) throws Exception {
    CheckpointStore store = new CheckpointStore(runDir);
    Map<Integer, List<String>> out = new TreeMap<>();
    for (EpochRecord e : epochs) {
      out.put(e.trial(), List.of(e.ckpt(), ResumeAfterKillTest.sha256(store.read(e.ckpt()))));
    }
    return out;
  }

  /** The run's epoch records sorted by trial then epoch. */
  static List<EpochRecord> epochs(String runDir) throws IOException {
    return new RunDirectory(runDir).readEpochs().stream()
        .sorted(Comparator.comparingInt(EpochRecord::trial).thenComparingInt(EpochRecord::epoch)).toList();
  }

  /** Each config's units in visit order: {@code epoch/shard in -> out}. */
  static Map<Integer, List<String>> visits(List<UnitRecord> units) {
    Map<Integer, List<String>> out = new TreeMap<>();
    units.stream().sorted(Comparator.comparingLong(UnitRecord::startMs)).forEach(u -> out
        .computeIfAbsent(u.trial(), t -> new ArrayList<>())
        .add(u.epoch() + "/" + u.shard() + " " + u.inCkpt() + " -> " + u.outCkpt()));
    return out;
  }

  /** Replays sequential SGD over the recomputed shards in each config's logged visit order. */
  static void assertFinalCheckpointsAreSequentialSgd(SelectionResult r, List<List<Example>> shards)
      throws Exception {
    CheckpointStore store = new CheckpointStore(r.runDir());
    List<Config> configs = FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy"))
        .next(List.of()).train().stream().map(t -> t.config()).toList();
    for (int trial = 0; trial < 2; trial++) {
      final int t = trial;
      List<UnitRecord> visits = r.units().stream().filter(u -> u.trial() == t)
          .sorted(Comparator.comparingLong(UnitRecord::startMs)).toList();
      long seed = Seeds.split(SEED, "trial", trial);
      float[] replay;
      try (Trainer tr = MLP.create(new Hyperparameters(configs.get(trial).values()), seed)) {
        for (UnitRecord u : visits) {
          List<Batch> b = Examples.batches(shards.get(u.shard()), tr.batchSize(), seed, u.epoch(), u.shard());
          tr.train(b.iterator());
        }
        replay = ModelSelectionTest.floats(tr.exportState());
      }
      float[] cluster = ModelSelectionTest.floats(store.read(visits.get(visits.size() - 1).outCkpt()));
      assertEquals(replay.length, cluster.length);
      for (int i = 0; i < cluster.length; i++) {
        assertEquals(replay[i], cluster[i], 1e-5, "trial " + trial + " state element " + i);
      }
    }
  }

  /**
   * A trainer factory whose trainers for one trial (known by its seed) kill their own executor JVM
   * with SIGKILL in the middle of that trial's second unit query — the first that starts from a
   * checkpoint — after {@value #BATCHES_BEFORE_KILL} mini-batches; once per marker folder, so the
   * re-run task trains normally. The folder ({@code first-unit}, {@code killed} = "pid executor-id")
   * is on the local disk every executor of the test cluster shares.
   */
  static final class KillMidUnit implements TrainerFactory {
    private static final long serialVersionUID = 1L;
    private final TrainerFactory inner;
    private final long victimSeed;
    private final String markers;

    KillMidUnit(TrainerFactory inner, long victimSeed, String markers) {
      this.inner = inner;
      this.victimSeed = victimSeed;
      this.markers = markers;
    }

    @Override
    public Trainer create(Hyperparameters config, long seed) throws TrainingException {
      Trainer t = inner.create(config, seed);
      return seed == victimSeed ? new Killing(t, Path.of(markers)) : t;
    }

    @Override
    public byte[] average(List<byte[]> states) throws TrainingException {
      return inner.average(states);
    }

    @Override
    public String describe() {
      return inner.describe(); // the run's spec equals the reference's
    }
  }

  /** A trainer that kills its JVM mid-{@link #train} when the markers say it is the victim unit. */
  private static final class Killing implements Trainer {
    private final Trainer t;
    private final Path markers;

    Killing(Trainer t, Path markers) {
      this.t = t;
      this.markers = markers;
    }

    @Override
    public Metrics train(Iterator<Batch> batches) throws TrainingException {
      try {
        Files.createDirectories(markers);
        Path first = markers.resolve("first-unit");
        if (!Files.exists(first)) {
          Files.writeString(first, "seen");
          return t.train(batches);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Path killed = markers.resolve("killed");
      return t.train(Files.exists(killed) ? batches : new Iterator<>() {
        private int served;

        @Override
        public boolean hasNext() {
          return batches.hasNext();
        }

        @Override
        public Batch next() {
          if (served++ == BATCHES_BEFORE_KILL) {
            killThisJvm(killed);
          }
          return batches.next();
        }
      });
    }

    private static void killThisJvm(Path marker) {
      long pid = ProcessHandle.current().pid();
      org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
      try {
        Files.writeString(marker, pid + " " + (env == null ? "?" : env.executorId()));
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        Thread.sleep(60_000); // SIGKILL arrives first
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("executor JVM " + pid + " survived kill -9");
    }

    @Override
    public int batchSize() {
      return t.batchSize();
    }

    @Override
    public Metrics evaluate(Iterator<Batch> batches) throws TrainingException {
      return t.evaluate(batches);
    }

    @Override
    public float[] predict(Batch batch) throws TrainingException {
      return t.predict(batch);
    }

    @Override
    public byte[] exportState() {
      return t.exportState();
    }

    @Override
    public void importState(byte[] state) throws TrainingException {
      t.importState(state);
    }

    @Override
    public void close() {
      t.close();
    }
  }
}
