package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.testing.SparkTestSession;
import org.argus.testing.cluster.StandaloneCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MOP on a real Spark standalone cluster (master + 2 worker JVMs on 127.0.0.1, {@link
 * StandaloneCluster#shared()}): unit queries run on both executors, the data is stored once, and
 * the selection's results equal local mode's.
 */
class MopClusterTest {
  static final String SPACE = "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)";

  /** Runs the same 2-config × 2-epoch MOP selection on any session; returns a small summary. */
  static HashMap<String, Serializable> select(SparkSession spark, String runDir) throws Exception {
    FashionMnist.provision();
    JavaRDD<Example> data =
        Examples.fromImages(FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 300, 3), "image", "label")
            .cache();
    SelectionResult r =
        ModelSelection.builder()
            .setData(data)
            .setTrainerFactory(DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10))
            .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy")))
            .setRunDir(runDir)
            .optSpec(Map.of("space", SPACE, "data", "fashion-mnist:300"))
            .optExecution(Execution.MOP)
            .optWorkers(2)
            .optSeed(7)
            .build()
            .run();
    HashMap<String, Serializable> out = new HashMap<>();
    out.put("executors", new TreeSet<>(r.units().stream().map(UnitRecord::executor).toList()));
    out.put("units", r.units().size());
    out.put("bytesStored", r.payloadBytes());
    ArrayList<Double> losses = new ArrayList<>();
    r.leaderboard().stream()
        .sorted(Comparator.comparingInt(SelectionResult.Entry::trial))
        .forEach(e -> losses.add(e.valLoss()));
    out.put("valLoss", losses);
    return out;
  }

  @Test
  @SuppressWarnings("unchecked")
  void unitsRunOnBothExecutorsWithTheDataStoredOnceAndLocalResults(@TempDir Path dir)
      throws Exception {
    String clusterDir = dir.resolve("cluster-run").toString();
    HashMap<String, Serializable> onCluster =
        StandaloneCluster.shared()
            .run(s -> select(s, clusterDir), java.time.Duration.ofMinutes(6));
    HashMap<String, Serializable> local = select(SparkTestSession.get(), dir.resolve("local-run").toString());

    TreeSet<String> executors = (TreeSet<String>) onCluster.get("executors");
    assertEquals(2, executors.size(), "unit queries ran on " + executors);
    assertTrue(!executors.contains("driver"), executors.toString());
    assertEquals(8, onCluster.get("units"), "2 configs x 2 shards x 2 epochs");
    // shards are not replicated: the cluster stores exactly what local mode stores (one copy)
    assertEquals(local.get("bytesStored"), onCluster.get("bytesStored"));
    ArrayList<Double> a = (ArrayList<Double>) local.get("valLoss");
    ArrayList<Double> b = (ArrayList<Double>) onCluster.get("valLoss");
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i), b.get(i), 1e-4 * Math.max(1, Math.abs(a.get(i))), "trial " + i);
    }
  }
}
