package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.testing.SparkTestSession;
import org.argus.testing.cluster.StandaloneCluster;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault: an executor JVM is killed with SIGKILL in the middle of a featurize job on the standalone
 * cluster (the executor running partition 3 kills itself with {@code kill -9} once, the first
 * time it gets there). Spark reschedules the lost tasks and the standalone master replaces the
 * executor; the job must complete with every image featurized exactly once and the same features as
 * local mode — nothing lost, nothing changed. A row of the fault catalogue ({@link FaultRecorder}).
 */
@Tag(FaultRecorder.TAG)
class ExecutorKillTest {
  /** The images featurized. */
  private static final int IMAGES = 48;

  /** Kills its own executor JVM (SIGKILL) on partition 3, once per marker file ("pid executor-id"). */
  static final class KillOnce implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String marker;

    KillOnce(String marker) {
      this.marker = marker;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws IOException, InterruptedException {
      Path m = Path.of(marker);
      if (org.apache.spark.TaskContext.getPartitionId() == 3 && !Files.exists(m)) {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        Files.writeString(m, ProcessHandle.current().pid() + " " + (env == null ? "?" : env.executorId()));
        new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
        Thread.sleep(60_000); // SIGKILL arrives first
      }
      return rows;
    }
  }

  /** Featurizes the sample, with or without the kill, and writes {@code id, features}. */
  static void featurize(SparkSession spark, String out, String marker) throws Exception {
    FashionMnist.provision();
    Dataset<Row> images = FashionMnist.sample(spark, FashionMnist.Split.TEST, IMAGES, 5).repartition(6);
    if (marker != null) {
      images = images.mapPartitions(new KillOnce(marker), org.apache.spark.sql.Encoders.row(images.schema()));
    }
    new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(48).setLayers("block_6_expand_relu")
        .setPooling("avg").setBatchSize(4).setOutputType("array")
        .transform(images).select("id", "features").write().mode("overwrite").parquet(out);
  }

  @Test
  void aKilledExecutorLosesNoImageAndChangesNoFeature(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTestSession.get();
    String local = dir.resolve("local").toString();
    String cluster = dir.resolve("cluster").toString();
    String marker = dir.resolve("killed.pid").toString();
    featurize(spark, local, null);
    StandaloneCluster.shared().run(s -> {
      featurize(s, cluster, marker);
      return Boolean.TRUE;
    }, java.time.Duration.ofMinutes(7));
    assertTrue(Files.exists(Path.of(marker)), "an executor was killed (its pid is in the marker file)");
    Map<Long, float[]> want = ClusterTest.byId(spark, local);
    Map<Long, float[]> got = ClusterTest.byId(spark, cluster);
    assertEquals(IMAGES, want.size());
    long written = spark.read().parquet(cluster).count();
    assertEquals(IMAGES, written, "every image exactly once");
    assertEquals(want.keySet(), got.keySet());
    double maxDiff = 0;
    for (Map.Entry<Long, float[]> e : want.entrySet()) {
      assertArrayEquals(e.getValue(), got.get(e.getKey()), 1e-5f, "image " + e.getKey());
      for (int i = 0; i < e.getValue().length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(e.getValue()[i] - got.get(e.getKey())[i]));
      }
    }
    String executor = Files.readString(Path.of(marker)).trim().split(" ")[1];
    FaultRecorder.record(FaultRecorder.Group.PROCESSES,
        "executor JVM killed (SIGKILL) mid-featurize, standalone cluster",
        "executor " + executor + " killed in partition 3 of 6; Spark re-ran the lost tasks; the featurize job"
            + " completed",
        "no: " + written + " rows for " + want.size() + " images, each written once; features equal to local mode"
            + " (max |diff| " + String.format(java.util.Locale.ROOT, "%.1e", maxDiff) + ", tolerance 1e-5)");
  }
}
