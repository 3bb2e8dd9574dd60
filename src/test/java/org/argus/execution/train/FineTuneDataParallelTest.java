package org.argus.execution.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.model.keras.OrtHarness;
import org.argus.runtime.train.DataParallelTrainer;
import org.argus.runtime.train.FineTuneTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code finetune} family trains data-parallel too: fine-tuning the tiny TF.js fixture above
 * {@code conv_s2} (images {@code [8, 8, 2]}, frozen part recomputed, 2 classes) on 2 partitions
 * with per-step sync equals the plain fine-tuning loop on the concatenated global batches.
 */
class FineTuneDataParallelTest {
  static final FineTuneTrainerFactory FACTORY = FineTuneTrainerFactory.builder()
      .setModelJson(OrtHarness.fixture("tiny_same").resolve("model.json")).setFrom("conv_s2").setTop("cat")
      .setClasses(2).optMaterialized(false).setInputShape(8, 8, 2).optThreads(1).build();
  static final Hyperparameters CONFIG = new Hyperparameters(Map.of("lr", 0.01, "body_lr", 0.003));

  @Test
  void twoPartitionsWithPerStepSyncEqualThePlainLoopOnTheGlobalBatches(@TempDir Path dir) throws Exception {
    SplittableRandom r = new SplittableRandom(3);
    List<Example> rows = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      int y = r.nextInt(2);
      float[] x = new float[128];
      for (int p = 0; p < 128; p++) {
        x[p] = (float) (r.nextDouble() + (p % 2 == 0 && y == 1 ? 0.5 : 0));
      }
      rows.add(new Example(y, x));
    }
    DataParallelResult dp = DataParallelTraining.builder()
        .setData(JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext()).parallelize(rows, 2))
        .setTrainerFactory(FACTORY).optConfig(CONFIG).setBatch(8).setEpochs(1).setRunDir(dir.toString())
        .optPartitions(2).optShuffle(false).optSeed(9).build().run();

    try (DataParallelTrainer t = (DataParallelTrainer) FACTORY.create(CONFIG, 9)) {
      for (int s = 0; s < 3; s++) {
        List<Example> global = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
          for (int j = 0; j < 4; j++) {
            global.add(rows.get(2 * (4 * s + j) + k)); // partition k holds rows k, k+2, k+4, ...
          }
        }
        t.train(List.of(Examples.batch(global)).iterator());
      }
      double d = DataParallelTrainingTest.maxDiff(t.weights(), dp.weights());
      assertTrue(d <= 1e-5, "max |difference| of the trainable arrays " + d);
      assertEquals(3, dp.steps());
    }
  }
}
