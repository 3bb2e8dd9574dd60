package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Feature transfer as Spark ML model selection on real Fashion-MNIST through the real MobileNetV2:
 * a Pipeline (featurizer + logistic regression) tuned by CrossValidator over 2 layers × 2 pooling
 * modes picks a layer; the best PipelineModel saves, reloads in a new SparkSession and predicts
 * identically. TrainValidationSplit over pooling modes picks one too, and over the model itself
 * ({@code modelName}: MobileNetV2 vs InceptionV3, each with its own layer and input size).
 */
class PipelineSelectionTest {
  private static final List<String[]> LAYERS =
      List.of(new String[] {"block_3_expand_relu"}, new String[] {"block_6_expand_relu"});

  @Test
  void crossValidatorPicksALayerAndTheSavedPipelineModelPredictsIdentically(@TempDir Path dir)
      throws Exception {
    FashionMnist.provision();
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> data = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 120, 3)
        .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"))
        .repartition(2)
        .cache();
    DeepImageFeaturizer featurizer = new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setImageSize(32).setLayers("block_3_expand_relu").setBatchSize(16);
    LogisticRegression lr = new LogisticRegression().setMaxIter(10).setRegParam(0.01);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {featurizer, lr});
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(featurizer.layers(), CollectionConverters.asScala(LAYERS))
        .addGrid(featurizer.pooling(), CollectionConverters.asScala(List.of("avg", "max:2")))
        .build();
    assertEquals(4, grid.length);
    CrossValidator cv = new CrossValidator()
        .setEstimator(pipeline)
        .setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
        .setNumFolds(2)
        .setSeed(42);
    CrossValidatorModel model = cv.fit(data);
    assertEquals(4, model.avgMetrics().length);
    for (double m : model.avgMetrics()) {
      assertTrue(m > 0.2, "accuracy above chance (0.1) for every config: " + Arrays.toString(model.avgMetrics()));
    }
    PipelineModel best = (PipelineModel) model.bestModel();
    DeepImageFeaturizer picked = (DeepImageFeaturizer) best.stages()[0];
    assertTrue(LAYERS.stream().anyMatch(l -> Arrays.equals(l, picked.getLayers())),
        Arrays.toString(picked.getLayers()));

    String saved = dir.resolve("best").toString();
    best.write().save(saved);
    SparkSession other = spark.newSession();
    PipelineModel loaded = PipelineModel.load(saved);
    Dataset<Row> otherData = other.createDataFrame(data.collectAsList(), data.schema());
    List<Row> expected = best.transform(data).select("id", "prediction", "probability")
        .orderBy("id").collectAsList();
    List<Row> actual = loaded.transform(otherData).select("id", "prediction", "probability")
        .orderBy("id").collectAsList();
    assertEquals(expected, actual);
    DeepImageFeaturizer back = (DeepImageFeaturizer) loaded.stages()[0];
    assertEquals(Arrays.asList(picked.getLayers()), Arrays.asList(back.getLayers()));
    assertEquals(picked.getPooling(), back.getPooling());

    // TrainValidationSplit over the pooling modes with the same pipeline
    org.apache.spark.ml.tuning.TrainValidationSplitModel tvs =
        new org.apache.spark.ml.tuning.TrainValidationSplit()
            .setEstimator(pipeline)
            .setEstimatorParamMaps(new ParamGridBuilder()
                .addGrid(featurizer.pooling(), CollectionConverters.asScala(List.of("avg", "max")))
                .build())
            .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
            .setTrainRatio(0.75)
            .setSeed(42)
            .fit(data);
    assertEquals(2, tvs.validationMetrics().length);
    String pooling = ((DeepImageFeaturizer) ((PipelineModel) tvs.bestModel()).stages()[0]).getPooling();
    assertTrue(List.of("avg", "max").contains(pooling), pooling);
    data.unpersist();
  }

  /**
   * A layer name belongs to one model, so a grid over {@code modelName} alone would pair
   * InceptionV3 with a MobileNetV2 layer (transformSchema rejects it). The grid is the union of one
   * ParamGridBuilder grid per model, {@code baseOn} that model's (modelName, layers, imageSize)
   * pairs, so every config is a valid (model, layer) and further params still combine by addGrid.
   */
  @Test
  void trainValidationSplitOverModelNamePicksAModelWithItsOwnLayer() throws Exception {
    FashionMnist.provision();
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> data = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 80, 11)
        .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"))
        .repartition(2)
        .cache();
    DeepImageFeaturizer featurizer = new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setLayers("block_3_expand_relu").setPooling("avg").setBatchSize(16);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        featurizer, new LogisticRegression().setMaxIter(10).setRegParam(0.01)});
    ParamMap[] mobilenet = new ParamGridBuilder()
        .baseOn(featurizer.modelName().w("mobilenet_v2"),
            featurizer.layers().w(new String[] {"block_3_expand_relu"}),
            featurizer.imageSize().w(32))
        .build();
    ParamMap[] inception = new ParamGridBuilder()
        .baseOn(featurizer.modelName().w("inception_v3"),
            featurizer.layers().w(new String[] {"mixed2"}),
            featurizer.imageSize().w(75)) // InceptionV3's minimum input size
        .build();
    ParamMap[] grid = java.util.stream.Stream.concat(Arrays.stream(mobilenet), Arrays.stream(inception))
        .toArray(ParamMap[]::new);
    assertEquals(2, grid.length);

    org.apache.spark.ml.tuning.TrainValidationSplitModel tvs =
        new org.apache.spark.ml.tuning.TrainValidationSplit()
            .setEstimator(pipeline)
            .setEstimatorParamMaps(grid)
            .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
            .setTrainRatio(0.75)
            .setSeed(7)
            .fit(data);

    assertEquals(2, tvs.validationMetrics().length);
    for (double m : tvs.validationMetrics()) {
      assertTrue(m > 0.2, "accuracy above chance (0.1) for both models: "
          + Arrays.toString(tvs.validationMetrics()));
    }
    DeepImageFeaturizer picked = (DeepImageFeaturizer) ((PipelineModel) tvs.bestModel()).stages()[0];
    int best = tvs.validationMetrics()[0] >= tvs.validationMetrics()[1] ? 0 : 1;
    assertEquals(best == 0 ? "mobilenet_v2" : "inception_v3", picked.getModelName(),
        "the better model by validation accuracy " + Arrays.toString(tvs.validationMetrics()));
    assertEquals(best == 0 ? "block_3_expand_relu" : "mixed2", picked.getLayers()[0]);
    assertEquals(best == 0 ? 32 : 75, picked.getImageSize());
    data.unpersist();
  }
}
