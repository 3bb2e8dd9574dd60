package org.argus.execution.mop;

import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;

/**
 * A small MOP selection (2 configs × 3 epochs × 2 shards on 300 Fashion-MNIST images) that a test
 * runs in a child JVM to kill it: {@code SelectionChild RUN_DIR SLEEP_MS SPARK_LOCAL_DIR}. The
 * listener sleeps after each unit query so the run lasts long enough to be killed half-way.
 */
public final class SelectionChild {
  static final String SPACE = "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)";
  static final int EPOCHS = 3;
  static final long SEED = 7;

  private SelectionChild() {}

  static JavaRDD<Example> data(SparkSession spark) throws Exception {
    FashionMnist.provision();
    return Examples.fromImages(FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 300, 3), "image", "label").cache();
  }

  /** The selection, the same in the child and in the test JVM. */
  static ModelSelection.Builder selection(JavaRDD<Example> data, String runDir) {
    return ModelSelection.builder()
        .setData(data)
        .setTrainerFactory(DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10).withThreads(1))
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), EPOCHS, Goal.maximize("accuracy")))
        .setRunDir(runDir)
        .optSpec(Map.of("space", SPACE, "data", "fashion-mnist:300"))
        .optExecution(Execution.MOP)
        .optWorkers(2)
        .optSeed(SEED);
  }

  /**
   * @param args run directory, milliseconds to sleep after each unit, Spark's local directory
   * @throws Exception whatever fails (the test reads the child's log)
   */
  public static void main(String[] args) throws Exception {
    long sleep = Long.parseLong(args[1]);
    SparkSession spark = SparkSession.builder().master("local[2]").appName("argus-selection-child")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.local.dir", args[2]).getOrCreate();
    selection(data(spark), args[0]).optListener(u -> {
      System.out.println("UNIT " + u.trial() + "/" + u.epoch() + "/" + u.shard());
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }).build().run();
    System.out.println("DONE");
    spark.stop();
  }
}
