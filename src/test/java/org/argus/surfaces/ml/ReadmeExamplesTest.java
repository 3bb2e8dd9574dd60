package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
 * The Java examples of README.md's "Deep featurization in Spark ML and SQL" section, verbatim
 * between the {@code // README:name} markers (keep them in sync), compiled and run.
 */
class ReadmeExamplesTest {
  @Test
  void readmeShowsTheseExamplesVerbatim() throws Exception {
    String test = java.nio.file.Files.readString(
        Path.of("src/test/java/org/argus/surfaces/ml/ReadmeExamplesTest.java"));
    String readme = java.nio.file.Files.readString(Path.of("README.md"));
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("// README:(\\w+)\\n(.*?)\\n\\s*// README:end", java.util.regex.Pattern.DOTALL)
        .matcher(test);
    int n = 0;
    while (m.find()) {
      if (m.group(1).equals("end")) {
        continue;
      }
      String snippet = m.group(2).lines().map(l -> l.length() >= 4 ? l.substring(4) : l.strip())
          .collect(java.util.stream.Collectors.joining("\n"));
      assertTrue(readme.contains(snippet), "README.md lacks the '" + m.group(1) + "' example:\n" + snippet);
      n++;
    }
    assertEquals(5, n);
  }

  @Test
  void readmeModelSelectorExampleRuns(@TempDir Path dir) throws Exception {
    FashionMnist.provision();
    SparkSession spark = SparkTestSession.get();
    String selectedDir = dir.resolve("fmnist-selection").toString();
    Dataset<Row> train = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 300, 5);
    Dataset<Row> imgs = FashionMnist.sample(spark, FashionMnist.Split.TEST, 40, 5);
    imgs.createOrReplaceTempView("imgs");

    // README:select
    DeepImageClassifier head = new DeepImageClassifier()
        .setFeaturesCol("features").setFamily("head").setEpochs(3);   // trained in DJL on the executors
    Pipeline pipe = new Pipeline().setStages(new PipelineStage[] {
        new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(32)
            .setLayers("block_13_expand_relu").setPooling("avg"),
        head});
    ModelSelectionModel selected = new ModelSelector()
        .setEstimator(pipe)                                    // the featurizer runs once, not per config
        .setEstimatorParamMaps(new ParamGridBuilder()
            .addGrid(head.learningRate(), new double[] {1e-2, 1e-3})
            .addGrid(head.batchSize(), new int[] {16, 64}).build())   // 4 configs, trained by MOP
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
        .setSeed(7)
        .fit(train);
    selected.selectionMetrics().show();                        // every config, every epoch
    selected.write().overwrite().save(selectedDir);
    PipelineModel bestPipeline = (PipelineModel) ModelSelectionModel.load(selectedDir).bestModel();
    Argus.registerPipeline(spark, "fmnist_item", bestPipeline);
    Dataset<Row> labelled = spark.sql("SELECT id, fmnist_item(image) AS item FROM imgs");
    // README:end

    assertEquals(12, selected.selectionMetrics(spark).count(), "4 configs x 3 epochs");
    assertEquals(2, bestPipeline.stages().length);
    List<Row> sql = labelled.orderBy("id").collectAsList();
    List<Row> frame = bestPipeline.transform(imgs).select("id", "prediction").orderBy("id").collectAsList();
    assertEquals(40, sql.size());
    for (int i = 0; i < sql.size(); i++) {
      assertEquals(frame.get(i).getLong(0), sql.get(i).getLong(0));
      assertEquals(frame.get(i).getDouble(1), sql.get(i).getDouble(1), 0.0, "image " + sql.get(i).getLong(0));
    }
  }

  @Test
  void readmeExamplesRun(@TempDir Path dir) throws Exception {
    FashionMnist.provision();
    SparkSession spark = SparkTestSession.get();
    String savedDir = dir.resolve("fmnist-model").toString();

    // README:featurize
    Dataset<Row> images = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 48, 1)
        .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"));
    DeepImageFeaturizer featurizer = new DeepImageFeaturizer()
        .setModelName("mobilenet_v2")          // a roster model (argus models list)
        .setImageSize(32)                       // resize the 28x28 images to 32x32 (default: 224)
        .setLayers("block_6_expand_relu")       // any layer (tensor) of the model
        .setPooling("avg")                      // none | avg | max | avg:K | max:K
        .setHandleInvalid("keep");              // error | skip | keep (adds invalid_reason)
    Dataset<Row> features = featurizer.transform(images);   // + features: vector[192]
    // README:end

    // README:pipeline
    LogisticRegression lr = new LogisticRegression().setMaxIter(5);
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {featurizer, lr});
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(featurizer.layers(), CollectionConverters.asScala(List.of(
            new String[] {"block_3_expand_relu"}, new String[] {"block_6_expand_relu"})))
        .build();
    CrossValidatorModel cv = new CrossValidator()
        .setEstimator(pipeline)
        .setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
        .setNumFolds(2)
        .setSeed(7)
        .fit(images);
    PipelineModel best = (PipelineModel) cv.bestModel();
    // README:end

    // README:save
    best.write().overwrite().save(savedDir);     // roster model by name + sha256; user ONNX embedded
    PipelineModel loaded = PipelineModel.load(savedDir);
    Dataset<Row> predictions = loaded.transform(images);
    // README:end

    // README:sql
    Argus.registerFunctions(spark);
    images.createOrReplaceTempView("imgs");
    Dataset<Row> f = spark.sql(
        "SELECT id, argus_featurize('mobilenet_v2', 'block_13_expand_relu', image) AS f FROM imgs");
    Dataset<Row> top = spark.sql(
        "SELECT id, argus_predict('mobilenet_v2', image, 3) AS top3 FROM imgs");
    // README:end

    assertEquals(192, ((org.apache.spark.ml.linalg.Vector) features.first().getAs("features")).size());
    assertEquals(2, cv.avgMetrics().length);
    assertEquals(best.transform(images).select("prediction").collectAsList(),
        predictions.select("prediction").collectAsList());
    assertEquals(48, f.where("f IS NOT NULL").count());
    assertTrue(top.limit(2).collectAsList().stream().allMatch(r -> r.getList(1).size() == 3));
  }
}
