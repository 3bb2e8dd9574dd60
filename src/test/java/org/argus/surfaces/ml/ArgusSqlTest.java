package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.model.roster.Roster;
import org.argus.surfaces.sql.ArgusBatchEvalExec;
import org.argus.surfaces.sql.BatchPlans;
import org.argus.surfaces.sql.SqlBatching;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL functions on real Fashion-MNIST test images through the real MobileNetV2: in a SELECT
 * list they run batched (an ArgusBatchEval node, batches of more than one image) and give what the
 * per-row fallback and the DataFrame stages give; elsewhere they run per row.
 */
class ArgusSqlTest {
  private static final String VIEW = "argus_sql_imgs";
  private static final String FEATURIZE =
      "SELECT id, argus_featurize('mobilenet_v2', 'block_13_expand_relu', image) AS f FROM " + VIEW;
  private static final String PREDICT =
      "SELECT id, argus_predict('mobilenet_v2', image, 3) AS p FROM " + VIEW;
  private static SparkSession spark;
  private static Dataset<Row> imgs;

  @BeforeAll
  static void setUp() throws Exception {
    FashionMnist.provision();
    spark = SparkTestSession.get();
    imgs = FashionMnist.sample(spark, FashionMnist.Split.TEST, 6, 5).repartition(2);
    imgs.createOrReplaceTempView(VIEW);
    Argus.registerFunctions(spark);
  }

  @AfterEach
  void resetConf() {
    spark.conf().unset(SqlBatching.ENABLED);
    spark.conf().unset(Argus.INTRA_OP_THREADS);
  }

  private static float[] floats(List<Float> l) {
    float[] f = new float[l.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = l.get(i);
    }
    return f;
  }

  private static ArgusBatchEvalExec batchNode(Dataset<Row> df) {
    return BatchPlans.batchNode(df);
  }

  /** @return id → features of {@code df}'s (id, array<float>) rows */
  private static Map<Long, float[]> byId(List<Row> rows) {
    Map<Long, float[]> m = new HashMap<>();
    for (Row r : rows) {
      m.put(r.getLong(0), r.isNullAt(1) ? null : floats(r.getList(1)));
    }
    return m;
  }

  /** @return the rows of {@code sql} with batching turned off (the per-row UDFs) */
  private static List<Row> perRow(String sql) {
    spark.conf().set(SqlBatching.ENABLED, "false");
    try {
      Dataset<Row> df = spark.sql(sql);
      assertNull(batchNode(df), "per-row plan: " + df.queryExecution().executedPlan());
      return df.collectAsList();
    } finally {
      spark.conf().unset(SqlBatching.ENABLED);
    }
  }

  @Test
  void featurizeInSelectRunsBatchedAndEqualsDeepImageFeaturizer() {
    Dataset<Row> df = spark.sql(FEATURIZE);
    assertTrue(df.queryExecution().executedPlan().toString().contains("ArgusBatchEval"),
        df.queryExecution().executedPlan().toString());
    Map<Long, float[]> sql = byId(df.collectAsList());
    Map<Long, float[]> stage = byId(new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setLayers("block_13_expand_relu").setPooling("max:2").setOutputType("array")
        .transform(imgs).select("id", "features").collectAsList());
    assertEquals(6, sql.size());
    assertEquals(stage.keySet(), sql.keySet());
    for (Map.Entry<Long, float[]> e : sql.entrySet()) {
      assertEquals(576 * 4, e.getValue().length); // block_13_expand_relu: 576 channels, max:2
      assertArrayEquals(stage.get(e.getKey()), e.getValue(), 1e-5f, "id " + e.getKey());
    }
  }

  @Test
  void batchedFeaturizeEqualsThePerRowFallback() {
    Map<Long, float[]> batched = byId(spark.sql(FEATURIZE).collectAsList());
    Map<Long, float[]> perRow = byId(perRow(FEATURIZE));
    assertEquals(perRow.keySet(), batched.keySet());
    for (Map.Entry<Long, float[]> e : batched.entrySet()) {
      assertArrayEquals(perRow.get(e.getKey()), e.getValue(), 1e-5f, "id " + e.getKey());
    }
  }

  @Test
  void batchedFeaturizeRunsBatchesOfMoreThanOneImage() {
    Dataset<Row> df = spark.sql(FEATURIZE);
    assertEquals(6, df.collectAsList().size());
    ArgusBatchEvalExec node = batchNode(df);
    assertNotNull(node);
    long batches = node.metrics().apply("numBatches").value();
    long images = node.metrics().apply("numBatchedValues").value();
    assertEquals(6, images);
    // 6 images in 2 partitions, default batch size 8: one ORT call per partition
    assertEquals(2, batches);
  }

  @Test
  void predictInSelectRunsBatchedAndEqualsPerRow() {
    Dataset<Row> df = spark.sql(PREDICT + " ORDER BY id");
    assertNotNull(batchNode(df), df.queryExecution().executedPlan().toString());
    List<Row> batched = df.collectAsList();
    List<Row> perRow = perRow(PREDICT + " ORDER BY id");
    assertEquals(6, batched.size());
    for (int i = 0; i < batched.size(); i++) {
      List<Row> b = batched.get(i).getList(1);
      List<Row> p = perRow.get(i).getList(1);
      assertEquals(3, b.size());
      assertTrue(Roster.NSFWJS_LABELS.contains(b.get(0).getString(0)));
      assertTrue(b.get(0).getFloat(1) >= b.get(2).getFloat(1));
      for (int k = 0; k < 3; k++) {
        assertEquals(p.get(k).getString(0), b.get(k).getString(0), "row " + i + " rank " + k);
        assertEquals(p.get(k).getFloat(1), b.get(k).getFloat(1), 1e-5f, "row " + i + " rank " + k);
      }
    }
  }

  @Test
  void featurizeInWhereRunsPerRow() {
    Dataset<Row> df = spark.sql("SELECT id FROM " + VIEW + " WHERE size(argus_featurize("
        + "'mobilenet_v2', 'block_13_expand_relu', image)) = 2304 AND id % 2 = 0");
    assertNull(batchNode(df), df.queryExecution().executedPlan().toString());
    long even = imgs.where("id % 2 = 0").count();
    assertEquals(even, df.count());
  }

  @Test
  void nullImageGivesNullInBatchedCall() {
    Dataset<Row> df = spark.sql("SELECT id, argus_featurize('mobilenet_v2', 'block_13_expand_relu', "
        + "CASE WHEN id % 2 = 0 THEN image END) AS f FROM " + VIEW);
    assertNotNull(batchNode(df), df.queryExecution().executedPlan().toString());
    Map<Long, float[]> f = byId(df.collectAsList());
    assertEquals(6, f.size());
    for (Map.Entry<Long, float[]> e : f.entrySet()) {
      if (e.getKey() % 2 == 0) {
        assertEquals(2304, e.getValue().length, "id " + e.getKey());
      } else {
        assertNull(e.getValue(), "id " + e.getKey());
      }
    }
  }

  @Test
  void undecodableImageFailsTheBatchedQueryNamingOriginAndReason() {
    Dataset<Row> df = spark.sql("SELECT id, argus_featurize('mobilenet_v2', 'block_1_expand_relu', "
        + "named_struct('origin', concat('bad-', CAST(id AS STRING)), 'height', 28, 'width', 28, "
        + "'nChannels', 1, 'mode', 0, 'data', X'00')) AS f FROM " + VIEW);
    assertNotNull(batchNode(df), df.queryExecution().executedPlan().toString());
    Exception e = assertThrows(Exception.class, df::collectAsList);
    String m = String.valueOf(e.getMessage());
    assertTrue(m.contains("invalid image 'bad-"), m);
    assertTrue(m.contains("image data has 1 bytes; height·width·nChannels = 28·28·1 = 784"), m);
  }

  @Test
  void unknownLayerFailsTheQueryNamingTheValidOnes() {
    Dataset<Row> df = spark.sql(
        "SELECT argus_featurize('mobilenet_v2', 'block_99', image) AS f FROM " + VIEW);
    Exception e = assertThrows(IllegalArgumentException.class, df::collectAsList);
    assertTrue(e.getMessage().contains("unknown layer 'block_99'")
        && e.getMessage().contains("block_13_expand_relu"), e.getMessage());
  }

  @Test
  void intraOpThreadsBeyondTheThreadBudgetFailTheBatchedQuery() {
    // local[2]: 2 task slots x max(2, cores) threads > cores
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    spark.conf().set(Argus.INTRA_OP_THREADS, Integer.toString(threads));
    Exception e = assertThrows(IllegalStateException.class, () -> spark.sql(FEATURIZE).collectAsList());
    assertTrue(e.getMessage().contains("thread budget exceeded"), e.getMessage());
  }

  @Test
  void registeredPipelineRunsBatchedAndPredictsAsTransform() throws Exception {
    Dataset<Row> train = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 40, 2)
        .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"))
        .repartition(2);
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {
        new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(32)
            .setLayers("block_3_expand_relu").setPooling("avg"),
        new LogisticRegression().setMaxIter(5)})
        .fit(train);
    Argus.registerPipeline(spark, "fmnist_item", fitted);
    train.createOrReplaceTempView("argus_sql_train");
    Dataset<Row> df = spark.sql("SELECT id, fmnist_item(image) FROM argus_sql_train ORDER BY id");
    assertNotNull(batchNode(df), df.queryExecution().executedPlan().toString());
    List<Row> byTransform = fitted.transform(train).select("id", "prediction").orderBy("id")
        .collectAsList();
    assertEquals(byTransform, df.collectAsList());
  }

  @Test
  void anInt8FeaturizerCannotBecomeASqlFunctionWithoutRowsToCalibrateOn() {
    PipelineModel p = new PipelineModel("int8-pipeline", new org.apache.spark.ml.Transformer[] {
        new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(32).setLayers("block_3_expand_relu")
            .setPooling("avg").setPrecision("int8"),
        new org.apache.spark.ml.classification.LogisticRegressionModel("lr",
            org.apache.spark.ml.linalg.Matrices.zeros(2, 144), org.apache.spark.ml.linalg.Vectors.zeros(2), 2, true)});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Argus.registerPipeline(spark, "int8_item", p));
    assertTrue(e.getMessage().contains("precision int8") && e.getMessage().contains("valid: precision fp32"),
        e.getMessage());
  }

  @Test
  void registeringFunctionsTwiceInstallsBatchingOnce() {
    Argus.registerFunctions(spark);
    Argus.registerFunctions(spark);
    assertTrue(SqlBatching.installed(spark));
    assertNotNull(batchNode(spark.sql(FEATURIZE)));
  }
}
