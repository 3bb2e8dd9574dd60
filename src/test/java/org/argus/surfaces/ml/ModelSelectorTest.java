package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelSelector}: Spark ML's tuning API executed by MOP — a search space with a procedure,
 * the leaderboard and per-epoch metrics, resume, Spark's evaluator on the output, and the
 * refusals before any training.
 */
class ModelSelectorTest {
  static Dataset<Row> train;

  @BeforeAll
  static void data() throws Exception {
    train = FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TRAIN, 300, 4).cache();
  }

  static DeepImageClassifier pixels() {
    return new DeepImageClassifier().setFeaturesCol("image").setFamily("head").setEpochs(2);
  }

  static String message(ModelSelector s) {
    return assertThrows(IllegalArgumentException.class, () -> s.fit(train)).getMessage();
  }

  @Test
  void aSearchSpaceWithARandomProcedureIsSelectedByMopAndResumes(@TempDir Path dir) {
    SparkSession spark = SparkTestSession.get();
    String run = dir.resolve("run").toString();
    ModelSelector s = new ModelSelector().setEstimator(pixels()).setSpace("lr=loguniform(1e-3,3e-2);batch=choice(16,64)")
        .setProcedure("random:3").setSeed(5).setRunDir(run);
    ModelSelectionModel m = s.fit(train);
    Dataset<Row> metrics = m.selectionMetrics(spark);
    assertEquals(6, metrics.count(), "3 configs x 2 epochs");
    assertEquals(3, metrics.select("trial").distinct().count());
    Row best = metrics.where("rank = 1 AND epoch = 2").first();
    double bestAcc = best.getDouble(best.fieldIndex("val_accuracy"));
    assertEquals(bestAcc, metrics.where("epoch = 2").agg(org.apache.spark.sql.functions.max("val_accuracy"))
        .first().getDouble(0), 0.0, "the best config has the highest held-out accuracy");
    assertTrue(m.runDir().endsWith(run), m.runDir());
    double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(m.transform(train).withColumn("label", org.apache.spark.sql.functions.col("label").cast("double")));
    assertTrue(acc > 0.5, "Spark's evaluator on the best model's output: accuracy " + acc);

    ModelSelectionModel resumed = s.copy(ParamMap.empty()).setResume(true).fit(train);
    assertEquals(m.bestConfig(), resumed.bestConfig());
    assertEquals(metrics.collectAsList(), resumed.selectionMetrics(spark).collectAsList());
  }

  @Test
  void aSavedSelectorLoadsWithItsEstimatorEvaluatorAndParamMaps(@TempDir Path dir) throws Exception {
    DeepImageClassifier c = pixels();
    Pipeline pipe = new Pipeline().setStages(new PipelineStage[] {
        new DeepImageFeaturizer().setModelName("mobilenet_v2").setLayers("block_3_expand_relu"), c});
    ParamMap[] grid = new ParamGridBuilder().addGrid(c.learningRate(), new double[] {1e-2, 1e-3})
        .addGrid(c.batchSize(), new int[] {16, 64}).build();
    ModelSelector s = new ModelSelector().setEstimator(pipe).setEstimatorParamMaps(grid).setSeed(9)
        .setExecution("task-parallel").setEvaluator(new MulticlassClassificationEvaluator().setMetricName("logLoss"));
    String path = dir.resolve("selector").toString();
    s.write().save(path);
    ModelSelector loaded = ModelSelector.load(path);
    assertEquals(s.uid(), loaded.uid());
    assertEquals(9L, loaded.getOrDefault(loaded.seed()));
    assertEquals("task-parallel", loaded.getOrDefault(loaded.execution()));
    assertEquals("logLoss", ((MulticlassClassificationEvaluator) loaded.getEvaluator()).getMetricName());
    Pipeline p = (Pipeline) loaded.getEstimator();
    DeepImageClassifier lc = (DeepImageClassifier) p.getStages()[1];
    assertEquals(c.uid(), lc.uid());
    ParamMap[] maps = loaded.getEstimatorParamMaps();
    assertEquals(4, maps.length);
    for (int i = 0; i < 4; i++) {
      assertEquals(grid[i].get(c.learningRate()).get(), maps[i].get(lc.learningRate()).get(), "map " + i);
      assertEquals(grid[i].get(c.batchSize()).get(), maps[i].get(lc.batchSize()).get(), "map " + i);
    }
  }

  @Test
  void aParamMapOfAnotherStageIsRefusedNamingTheTunableParams() {
    DeepImageClassifier c = pixels();
    LogisticRegression lr = new LogisticRegression();
    ParamMap[] grid = new ParamGridBuilder().addGrid(lr.regParam(), new double[] {0.1, 1}).build();
    String m = message(new ModelSelector().setEstimator(c).setEstimatorParamMaps(grid));
    assertTrue(m.startsWith("param map 0 sets " + lr.uid() + "__regParam, a param of another stage;"
        + " ModelSelector tunes the classifier " + c.uid() + " only: learningRate, batchSize"), m);
  }

  @Test
  void aParamMapVaryingEpochsIsRefusedSayingWhereToSetIt() {
    DeepImageClassifier c = pixels();
    ParamMap[] grid = new ParamGridBuilder().addGrid(c.epochs(), new int[] {1, 2}).build();
    String m = message(new ModelSelector().setEstimator(c).setEstimatorParamMaps(grid));
    assertTrue(m.contains("sets epochs of " + c.uid() + ", which is one value for the whole selection (set it on the"
        + " classifier or with ModelSelector.setEpochs); tunable per config: learningRate"), m);
  }

  @Test
  void aGridWithOnePointIsRefused() {
    DeepImageClassifier c = pixels();
    ParamMap[] grid = new ParamGridBuilder().addGrid(c.learningRate(), new double[] {1e-2}).build();
    assertTrue(message(new ModelSelector().setEstimator(c).setEstimatorParamMaps(grid))
        .startsWith("a grid with 1 param map(s) has nothing to select"));
  }

  @Test
  void anEvaluatorMetricTheTrainersDoNotComputeIsRefusedListingTheValidOnes() {
    DeepImageClassifier c = pixels();
    String f1 = message(new ModelSelector().setEstimator(c).setSpace("lr=choice(0.01,0.001)")
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("f1")));
    assertTrue(f1.startsWith("evaluator metric 'f1':") && f1.endsWith("valid: accuracy, logLoss"), f1);
    String rmse = message(new ModelSelector().setEstimator(c).setSpace("lr=choice(0.01,0.001)")
        .setEvaluator(new RegressionEvaluator()));
    assertTrue(rmse.startsWith("evaluator RegressionEvaluator: valid: a MulticlassClassificationEvaluator"), rmse);
  }

  @Test
  void anEstimatorThatIsNotAClassifierIsRefusedNamingItsStages() {
    Pipeline p = new Pipeline().setStages(new PipelineStage[] {new LogisticRegression()});
    String m = message(new ModelSelector().setEstimator(p).setSpace("lr=choice(0.01,0.001)"));
    assertTrue(m.endsWith("a DeepImageClassifier or a Pipeline whose last stage is one; found Pipeline"
        + " [LogisticRegression]"), m);
  }

  @Test
  void paramMapsAndASpaceTogetherAreRefused() {
    DeepImageClassifier c = pixels();
    ParamMap[] grid = new ParamGridBuilder().addGrid(c.learningRate(), new double[] {1e-2, 1e-3}).build();
    assertEquals("give either param maps (setEstimatorParamMaps) or a search space (setSpace), not both",
        message(new ModelSelector().setEstimator(c).setEstimatorParamMaps(grid).setSpace("lr=choice(0.1)")));
    assertEquals("give either param maps (setEstimatorParamMaps) or a search space (setSpace), not neither",
        message(new ModelSelector().setEstimator(c)));
  }

  @Test
  void labelsThatAreNotClassIndicesAreRefusedWithTheFix() {
    Dataset<Row> named = train.withColumn("label", train.col("label").cast("string"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelSelector()
        .setEstimator(pixels()).setSpace("lr=choice(0.01,0.001)").fit(named));
    assertTrue(e.getMessage().contains("index strings with StringIndexer first"), e.getMessage());
    Dataset<Row> shifted = train.withColumn("label", train.col("label").minus(1));
    IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> new ModelSelector()
        .setEstimator(pixels()).setSpace("lr=choice(0.01,0.001)").fit(shifted));
    assertTrue(neg.getMessage().startsWith("label column 'label' has values in [-1.0, 8.0]; valid: integer class"
        + " indices 0…K−1"), neg.getMessage());
  }

  @Test
  void taskParallelExecutionSelectsAsWell(@TempDir Path dir) {
    DeepImageClassifier c = pixels();
    ParamMap[] grid = new ParamGridBuilder().addGrid(c.learningRate(), new double[] {1e-2, 1e-6}).build();
    ModelSelectionModel m = new ModelSelector().setEstimator(c).setEstimatorParamMaps(grid)
        .setExecution("task-parallel").setRunDir(dir.resolve("tp").toString()).fit(train);
    assertTrue(m.bestConfig().contains("lr=0.01"), "lr 1e-6 barely moves in 2 epochs: best " + m.bestConfig());
    assertEquals(List.of(1, 2), m.selectionMetrics(SparkTestSession.get()).where("rank = 1")
        .select("epoch").as(org.apache.spark.sql.Encoders.INT()).collectAsList());
  }
}
