package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;
import org.argus.store.CheckpointStore;
import org.argus.testing.SparkTestSession;
import org.argus.testing.cluster.StandaloneCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MOP on a real Spark standalone cluster (master + 2 worker JVMs on 127.0.0.1, {@link
 * StandaloneCluster#shared()}): unit queries run on both executors, the data is stored once, and
 * every unit trained exactly the rows of its shard as the documented layout defines them —
 * recomputed here from the raw rows, without the layout code — so the final checkpoints equal plain
 * sequential SGD over those shards in the logged visit order.
 */
class MopClusterTest {
  static final String SPACE = "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)";
  static final long SEED = 7;
  static final double VALIDATION = 0.2;
  static final DjlTrainerFactory MLP = DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10).withThreads(1);

  static JavaRDD<Example> data(SparkSession spark) throws Exception {
    FashionMnist.provision();
    return Examples.fromImages(FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 300, 3), "image", "label");
  }

  /** The 2-config × 2-epoch MOP selection, run on the cluster's driver. */
  static SelectionResult select(SparkSession spark, String runDir) throws Exception {
    return ModelSelection.builder()
        .setData(data(spark).cache())
        .setTrainerFactory(MLP)
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
  void unitsRunOnBothExecutorsAndTrainExactlyTheirShardsRowsStoredOnce(@TempDir Path dir) throws Exception {
    String runDir = dir.resolve("cluster-run").toString();
    SelectionResult r = StandaloneCluster.shared().run(s -> select(s, runDir), java.time.Duration.ofMinutes(6));

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

    // sequential SGD over the recomputed shards, in each config's logged visit order
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
    Map<Integer, Long> perShard = new HashMap<>();
    r.units().forEach(u -> perShard.merge(u.shard(), 1L, Long::sum));
    assertEquals(Map.of(0, 4L, 1, 4L), perShard);
    assertTrue(r.cachedBytes() > 0, "Spark's block manager reports the cached shards");
  }
}
