package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.model.roster.Roster;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/** The SQL functions on real Fashion-MNIST images agree with the DataFrame stages. */
class ArgusSqlTest {
  private static float[] floats(List<Float> l) {
    float[] f = new float[l.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = l.get(i);
    }
    return f;
  }

  @Test
  void featurizeAndPredictFromSql() throws Exception {
    FashionMnist.provision();
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> imgs = FashionMnist.sample(spark, FashionMnist.Split.TEST, 6, 5).repartition(2);
    imgs.createOrReplaceTempView("imgs");
    Argus.registerFunctions(spark);

    List<Row> sql = spark.sql(
        "SELECT id, argus_featurize('mobilenet_v2', 'block_13_expand_relu', image) AS f FROM imgs")
        .collectAsList();
    Map<Long, float[]> stage = new HashMap<>();
    for (Row r : new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setLayers("block_13_expand_relu").setOutputType("array").setBatchSize(4)
        .transform(imgs).select("id", "features").collectAsList()) {
      stage.put(r.getLong(0), floats(r.getList(1)));
    }
    assertEquals(6, sql.size());
    for (Row r : sql) {
      float[] f = floats(r.getList(1));
      assertEquals(576 * 4, f.length); // block_13_expand_relu: 576 channels, max:2
      assertArrayEquals(stage.get(r.getLong(0)), f, 1e-4f);
    }

    List<Row> top = spark.sql("SELECT id, argus_predict('mobilenet_v2', image, 3) AS p FROM imgs")
        .collectAsList();
    assertEquals(6, top.size());
    for (Row r : top) {
      List<Row> p = r.getList(1);
      assertEquals(3, p.size());
      assertTrue(Roster.NSFWJS_LABELS.contains(p.get(0).getString(0)));
      assertTrue(p.get(0).getFloat(1) >= p.get(2).getFloat(1));
    }
    // a fitted pipeline called from SQL by name predicts what transform predicts
    Dataset<Row> train = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 40, 2)
        .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"));
    org.apache.spark.ml.PipelineModel fitted = new org.apache.spark.ml.Pipeline().setStages(
        new org.apache.spark.ml.PipelineStage[] {
            new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(32)
                .setLayers("block_3_expand_relu").setPooling("avg"),
            new org.apache.spark.ml.classification.LogisticRegression().setMaxIter(5)})
        .fit(train);
    Argus.registerPipeline(spark, "fmnist_item", fitted);
    train.createOrReplaceTempView("train_imgs");
    List<Row> bySql = spark.sql("SELECT id, fmnist_item(image) FROM train_imgs ORDER BY id")
        .collectAsList();
    List<Row> byTransform = fitted.transform(train).select("id", "prediction").orderBy("id")
        .collectAsList();
    assertEquals(byTransform, bySql);

    assertEquals(0, spark.sql("SELECT argus_featurize('mobilenet_v2', 'out_relu', CAST(NULL AS BINARY)) AS f")
        .where("f IS NOT NULL").count());
  }
}
