package org.argus.surfaces.ml;

import static org.apache.spark.sql.functions.col;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;

/**
 * The work {@link ClusterTest} runs twice — in local mode and in a driver JVM on the standalone
 * cluster ({@link org.argus.testing.cluster.StandaloneCluster}): featurize real Fashion-MNIST images
 * through MobileNetV2, fit + apply a pipeline (featurizer + logistic regression), and featurize
 * through the batched SQL function {@code argus_featurize}; the results are written as Parquet under
 * the output dir, with the SQL query's executed plan in {@code sql-plan.txt}.
 */
final class FeaturizeAndFitJob {
  private FeaturizeAndFitJob() {}

  /**
   * @param spark the session (local or cluster)
   * @param out output directory; writes {@code features/} and {@code predictions/} Parquet
   */
  static void run(SparkSession spark, String out) throws Exception {
    FashionMnist.provision();
    Dataset<Row> test = FashionMnist.sample(spark, FashionMnist.Split.TEST, 24, 9).repartition(4);
    DeepImageFeaturizer featurizer = new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setImageSize(48).setLayers("block_6_expand_relu").setPooling("avg").setBatchSize(8);
    featurizer.copy(new org.apache.spark.ml.param.ParamMap()).setOutputType("array")
        .transform(test).select("id", "features")
        .write().mode("overwrite").parquet(out + "/features");
    Dataset<Row> train = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, 80, 4)
        .withColumn("label", col("label").cast("double")).repartition(4);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {
        featurizer, new LogisticRegression().setMaxIter(6).setRegParam(0.01)}).fit(train);
    model.transform(test).select("id", "prediction")
        .write().mode("overwrite").parquet(out + "/predictions");
    // SQL, batched (ArgusBatchEval): the executed plan is written next to the features
    Argus.registerFunctions(spark);
    test.createOrReplaceTempView("cluster_imgs");
    Dataset<Row> sql = spark.sql("SELECT id, argus_featurize('mobilenet_v2', 'block_6_expand_relu', image) AS "
        + "features FROM cluster_imgs");
    sql.write().mode("overwrite").parquet(out + "/sql");
    java.nio.file.Files.writeString(java.nio.file.Path.of(out, "sql-plan.txt"),
        sql.queryExecution().executedPlan().toString());
  }
}
