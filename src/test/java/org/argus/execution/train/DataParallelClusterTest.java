package org.argus.execution.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.execution.mop.Examples;
import org.argus.testing.SparkTestSession;
import org.argus.testing.cluster.ClusterJob;
import org.argus.testing.cluster.StandaloneCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on a real standalone cluster (master + 2 worker JVMs, {@link
 * StandaloneCluster#shared()}): the step tasks run in two executor JVMs and the trained model
 * equals local mode's, parameter for parameter.
 */
class DataParallelClusterTest {
  @TempDir static Path dir;

  /** 2 partitions, global batch 8, 2 shuffled epochs of 48 Fashion-MNIST rows; returns the weights. */
  record Train(String runDir) implements ClusterJob<float[][]> {
    @Override
    public float[][] run(SparkSession spark) throws Exception {
      FashionMnist.provision();
      return DataParallelTraining.builder()
          .setData(Examples.fromImages(
              FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 48, 3), "image", "label"))
          .setTrainerFactory(DataParallelTrainingTest.MLP)
          .optConfig(DataParallelTrainingTest.ADAM)
          .setBatch(8)
          .setEpochs(2)
          .setRunDir(runDir)
          .optPartitions(2)
          .optSeed(11)
          .build()
          .run()
          .weights();
    }
  }

  @Test
  void theClusterTrainsTheSameModelAsLocalMode() throws Exception {
    float[][] onCluster =
        StandaloneCluster.shared().run(new Train(dir.resolve("cluster").toString()), Duration.ofMinutes(4));
    float[][] local = new Train(dir.resolve("local").toString()).run(SparkTestSession.get());

    double d = DataParallelTrainingTest.maxDiff(local, onCluster);
    assertTrue(d <= 1e-6, "max |difference| of parameters, cluster vs local " + d);
    assertEquals(local.length, onCluster.length);
    assertTrue(Files.exists(dir.resolve("cluster/checkpoints/epoch-0002.ckpt")));
  }
}
