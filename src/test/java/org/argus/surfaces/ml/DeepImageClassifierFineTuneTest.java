package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DeepImageClassifier} with {@code fineTuneFrom}: a pretrained roster CNN fine-tuned above a
 * layer (its activations materialized once by the featurizer), predicting from images, saved and
 * loaded; the {@code rawPrediction} column; and the refusals of a bad fine-tuning request before
 * any job.
 */
class DeepImageClassifierFineTuneTest {
  static Dataset<Row> train;
  static Dataset<Row> test;

  @BeforeAll
  static void data() throws Exception {
    SparkSession spark = SparkTestSession.get();
    train = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 400, 11).cache();
    test = FashionMnist.sample(spark, FashionMnist.Split.TEST, 100, 11).cache();
  }

  static DeepImageClassifier fineTuner() {
    return new DeepImageClassifier().setFeaturesCol("image").setModelName("mobilenet_v2").setImageSize(48);
  }

  @Test
  void fineTuningAboveALayerLearnsAndPredictsTheSameAfterSaveAndLoad(@TempDir Path dir) throws Exception {
    DeepImageClassificationModel m = fineTuner().setFineTuneFrom("block_13_expand_relu").setEpochs(3)
        .setLearningRate(3e-3).setBodyLearningRate(3e-4).setWorkers(2).setRunDir(dir.resolve("run").toString())
        .fit(train);
    assertEquals("finetune", m.state().family());
    assertArrayEquals(new long[] {576, 3, 3}, m.state().inputShape(), "block_13_expand_relu at 48²");
    Dataset<Row> p = m.transform(test).cache();
    double acc = DeepImageClassifierTest.accuracy(p);
    assertTrue(acc > 0.5, "10 classes, chance 0.1: accuracy " + acc);
    assertEquals(List.of("probability", "prediction", "rawPrediction"),
        List.of(p.columns()).subList(p.columns().length - 3, p.columns().length));
    String path = dir.resolve("model").toString();
    m.write().save(path);
    DeepImageClassificationModel loaded = DeepImageClassificationModel.load(path);
    assertEquals("block_13_expand_relu", loaded.state().fineTuning().from(), "the fine-tuning spec is saved");
    List<Row> before = p.orderBy("id").select("probability").collectAsList();
    List<Row> after = loaded.transform(test).orderBy("id").select("probability").collectAsList();
    for (int i = 0; i < before.size(); i++) {
      assertArrayEquals(((Vector) before.get(i).get(0)).toArray(), ((Vector) after.get(i).get(0)).toArray(), 1e-6);
    }
  }

  @Test
  void modelSelectorTunesAFineTuningClassifierOverOneMaterialization(@TempDir Path dir) {
    DeepImageClassifier c = fineTuner().setFineTuneFrom("block_16_project_BN").setEpochs(1).setWorkers(2);
    ModelSelectionModel m = new ModelSelector().setEstimator(c)
        .setEstimatorParamMaps(new org.apache.spark.ml.tuning.ParamGridBuilder()
            .addGrid(c.learningRate(), new double[] {3e-3, 3e-4}).build())
        .setEvaluator(new org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator().setMetricName("accuracy"))
        .setRunDir(dir.resolve("run").toString()).fit(train);
    assertEquals(2, m.selectionMetrics(SparkTestSession.get()).select("trial").distinct().count(), "two configs");
    DeepImageClassificationModel best = (DeepImageClassificationModel) m.bestModel();
    assertEquals("finetune", best.state().family());
    assertEquals(100, best.transform(test).count(), "the best model predicts from images");
  }

  @Test
  void rawPredictionIsTheNaturalLogOfEachClassProbability(@TempDir Path dir) {
    DeepImageClassificationModel m = new DeepImageClassifier().setFeaturesCol("image").setFamily("mlp").setWidth(16)
        .setDepth(1).setEpochs(1).setRunDir(dir.resolve("run").toString()).fit(train);
    for (Row r : m.transform(test).select("probability", "rawPrediction").limit(20).collectAsList()) {
      double[] prob = ((Vector) r.get(0)).toArray();
      double[] raw = ((Vector) r.get(1)).toArray();
      assertEquals(10, raw.length);
      for (int c = 0; c < prob.length; c++) {
        assertEquals(Math.log(prob[c]), raw[c], 1e-9);
      }
    }
    assertEquals(-1, List.of(m.setRawPredictionCol("").transform(test).columns()).indexOf("rawPrediction"),
        "an empty rawPredictionCol adds no column");
  }

  @Test
  void fineTuneFromAnUnknownLayerIsRefusedListingTheCuratedOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fineTuner().setFineTuneFrom("block_99_expand_relu").fit(train));
    assertTrue(e.getMessage().startsWith("unknown layer 'block_99_expand_relu' in mobilenet_v2; curated: "
        + "block_3_expand_relu, block_6_expand_relu"), e.getMessage());
  }

  @Test
  void fineTuneFromInsideAResidualBlockIsRefusedNamingTheJoin() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fineTuner().setFineTuneFrom("block_14_expand_relu").fit(train));
    assertTrue(e.getMessage().startsWith("cannot fine-tune mobilenet_v2 above 'block_14_expand_relu'"),
        e.getMessage());
    assertTrue(e.getMessage().contains("block_14_add"), e.getMessage());
  }

  @Test
  void fineTuningNeedsAModelAnImageColumnAndNoFamily() {
    SparkSession spark = SparkTestSession.get();
    int jobs = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
    IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class,
        () -> new DeepImageClassifier().setFeaturesCol("image").setFineTuneFrom("block_13_expand_relu").fit(train));
    assertTrue(noModel.getMessage().startsWith("fineTuneFrom='block_13_expand_relu' needs modelName"),
        noModel.getMessage());
    Dataset<Row> arrays = train.withColumn("x", org.apache.spark.sql.functions.array(
        org.apache.spark.sql.functions.lit(1f), org.apache.spark.sql.functions.lit(2f)));
    IllegalArgumentException notImages = assertThrows(IllegalArgumentException.class,
        () -> fineTuner().setFeaturesCol("x").setFineTuneFrom("block_13_expand_relu").fit(arrays));
    assertTrue(notImages.getMessage().contains("fineTuneFrom needs Spark image structs in 'x'; found array<float>"),
        notImages.getMessage());
    IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
        () -> fineTuner().setFamily("cnn").setFineTuneFrom("block_13_expand_relu").fit(train));
    assertTrue(both.getMessage().startsWith("family=cnn and fineTuneFrom=block_13_expand_relu exclude each other"),
        both.getMessage());
    assertEquals(jobs, spark.sparkContext().statusTracker().getJobIdsForGroup(null).length, "no job ran");
  }
}
