package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.testing.cluster.StandaloneCluster;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real Spark standalone cluster (master + 2 workers as separate JVMs on 127.0.0.1, one core
 * each, driver in its own JVM; {@link StandaloneCluster#shared()}), the featurizer and a fitted pipeline give the same results as local
 * mode.
 */
class ClusterTest {
  @Test
  void featuresAndPipelinePredictionsEqualLocalMode(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTestSession.get();
    String local = dir.resolve("local").toString();
    String cluster = dir.resolve("cluster").toString();
    FeaturizeAndFitJob.run(spark, local);
    StandaloneCluster.shared()
        .run(
            s -> {
              FeaturizeAndFitJob.run(s, cluster);
              return Boolean.TRUE;
            },
            java.time.Duration.ofMinutes(7));
    Map<Long, float[]> lf = features(spark, local);
    Map<Long, float[]> cf = features(spark, cluster);
    assertEquals(24, lf.size());
    assertEquals(lf.keySet(), cf.keySet());
    for (Map.Entry<Long, float[]> e : lf.entrySet()) {
      assertArrayEquals(e.getValue(), cf.get(e.getKey()), 1e-5f, "image " + e.getKey());
    }
    List<Row> lp = spark.read().parquet(local + "/predictions").orderBy("id").collectAsList();
    List<Row> cp = spark.read().parquet(cluster + "/predictions").orderBy("id").collectAsList();
    assertEquals(24, lp.size());
    assertEquals(lp, cp);
    Map<Long, float[]> ls = features(spark, local + "/sql");
    Map<Long, float[]> cs = features(spark, cluster + "/sql");
    assertEquals(24, cs.size());
    assertEquals(ls.keySet(), cs.keySet());
    for (Map.Entry<Long, float[]> e : ls.entrySet()) {
      assertArrayEquals(e.getValue(), cs.get(e.getKey()), 1e-5f, "SQL, image " + e.getKey());
    }
    String plan = java.nio.file.Files.readString(Path.of(cluster, "sql-plan.txt"));
    assertTrue(plan.contains("ArgusBatchEval"), "the cluster ran SQL batched; plan:\n" + plan);
  }

  private static Map<Long, float[]> features(SparkSession spark, String dir) {
    return byId(spark, dir.endsWith("/sql") ? dir : dir + "/features");
  }

  /** @return {@code id → features} of a Parquet table {@code (id bigint, features array<float>)} */
  static Map<Long, float[]> byId(SparkSession spark, String parquet) {
    Map<Long, float[]> m = new HashMap<>();
    for (Row r : spark.read().parquet(parquet).collectAsList()) {
      List<Float> l = r.getList(1);
      float[] f = new float[l.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = l.get(i);
      }
      m.put(r.getLong(0), f);
    }
    return m;
  }
}
