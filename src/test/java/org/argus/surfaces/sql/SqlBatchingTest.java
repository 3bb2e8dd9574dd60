package org.argus.surfaces.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The batching rule, strategy and exec on a model-free function, {@code times(x BIGINT, k INT)} =
 * x·k (null for a null x), whose kernel computes the same batch-wise: where calls are batched,
 * where they stay per row, and that both give the same rows.
 */
class SqlBatchingTest {
  private static SparkSession spark;

  /** Per row: x·k. */
  static final class Times implements UDF2<Long, Integer, Long> {
    private static final long serialVersionUID = 1L;

    @Override
    public Long call(Long x, Integer k) {
      return x == null ? null : x * k;
    }
  }

  /** Batched: x·k for a batch of x; with k = 13 it fails on x = 13, like a bad image. */
  static final class TimesBatched implements BatchedFunction {
    @Override
    public int batchedArgument() {
      return 0;
    }

    @Override
    public boolean accepts(DataType type) {
      return type.equals(DataTypes.LongType);
    }

    @Override
    public Kernel bind(SparkSession s, Object[] constants, DataType type, int batchSize) {
      int k = (Integer) constants[1];
      return values -> {
        List<Long> out = new ArrayList<>();
        for (Object v : values) {
          if (k == 13 && (Long) v == 13L) {
            throw new IllegalArgumentException("times: unlucky value 13");
          }
          out.add((Long) v * k);
        }
        return out;
      };
    }
  }

  @BeforeAll
  static void register() {
    spark = SparkTestSession.get();
    SqlBatching.register(spark, "times",
        functions.udf(new Times(), DataTypes.LongType), new TimesBatched());
    // 40 rows in 3 partitions; x is null for multiples of 5
    spark.range(0, 40, 1, 3)
        .selectExpr("id", "CASE WHEN id % 5 = 0 THEN NULL ELSE id END AS x")
        .createOrReplaceTempView("nums");
  }

  @AfterEach
  void resetConf() {
    spark.conf().unset(SqlBatching.BATCH_SIZE);
    spark.conf().unset(SqlBatching.ENABLED);
    spark.conf().set("spark.sql.adaptive.enabled", "false"); // the shared session's setting
  }

  private static ArgusBatchEvalExec batchNode(Dataset<Row> df) {
    return BatchPlans.batchNode(df);
  }

  private static long metric(ArgusBatchEvalExec node, String name) {
    return node.metrics().apply(name).value();
  }

  private static List<Row> perRow(String sql) {
    spark.conf().set(SqlBatching.ENABLED, "false");
    try {
      Dataset<Row> df = spark.sql(sql);
      assertNull(batchNode(df), df.queryExecution().executedPlan().toString());
      return df.collectAsList();
    } finally {
      spark.conf().unset(SqlBatching.ENABLED);
    }
  }

  @Test
  void selectListCallIsPlannedAsBatchNodeAndEqualsPerRow() {
    String sql = "SELECT id, times(x, 3) AS y FROM nums ORDER BY id";
    Dataset<Row> df = spark.sql(sql);
    assertTrue(df.queryExecution().executedPlan().toString().contains("ArgusBatchEval"),
        df.queryExecution().executedPlan().toString());
    List<Row> batched = df.collectAsList();
    assertEquals(40, batched.size());
    assertEquals(perRow(sql), batched);
    assertTrue(batched.get(0).isNullAt(1), "null x gives null");
    assertEquals(21L, batched.get(7).getLong(1));
  }

  @Test
  void adaptiveQueryExecutionKeepsTheBatchNode() {
    String sql = "SELECT x % 3 AS g, sum(times(x, 3)) AS s FROM "
        + "(SELECT times(x, 2) AS x FROM nums) GROUP BY x % 3 ORDER BY g";
    List<Row> perRow = perRow(sql);
    spark.conf().set("spark.sql.adaptive.enabled", "true");
    Dataset<Row> df = spark.sql(sql);
    assertEquals(perRow, df.collectAsList());
    String plan = df.queryExecution().executedPlan().toString();
    assertTrue(plan.contains("AdaptiveSparkPlan") && plan.contains("ArgusBatchEval"), plan);
  }

  @Test
  void metricsCountBatchesOfTheConfiguredSize() {
    spark.conf().set(SqlBatching.BATCH_SIZE, "4");
    Dataset<Row> df = spark.sql("SELECT id, times(x, 2) FROM nums");
    assertEquals(40, df.collectAsList().size());
    ArgusBatchEvalExec node = batchNode(df);
    assertEquals(40, metric(node, "numOutputRows"));
    assertEquals(32, metric(node, "numBatchedValues"), "the 8 null x never reach the kernel");
    // partitions 0..12, 13..25, 26..39 → 4+4+4 batches of ≤ 4 rows; the batch {25} holds only a
    // null x, so it makes no kernel call
    assertEquals(11, metric(node, "numBatches"));
  }

  @Test
  void callsInWhereRunPerRow() {
    Dataset<Row> df = spark.sql("SELECT id FROM nums WHERE times(x, 2) > 70");
    assertNull(batchNode(df), df.queryExecution().executedPlan().toString());
    assertEquals(List.of(36L, 37L, 38L, 39L),
        df.collectAsList().stream().map(r -> r.getLong(0)).sorted().toList());
  }

  @Test
  void callsInConditionalBranchesRunPerRow() {
    // batched times(x, 13) fails on x = 13; this CASE never evaluates it there
    String sql = "SELECT id, CASE WHEN id = 13 THEN -1 ELSE times(x, 13) END AS y FROM nums";
    Dataset<Row> df = spark.sql(sql);
    assertNull(batchNode(df), df.queryExecution().executedPlan().toString());
    assertEquals(40, df.collectAsList().size());
  }

  @Test
  void kernelFailureFailsTheQueryWithItsMessage() {
    Dataset<Row> df = spark.sql("SELECT id, times(x, 13) FROM nums");
    Exception e = assertThrows(Exception.class, df::collectAsList);
    assertTrue(String.valueOf(e.getMessage()).contains("unlucky value 13"), e.getMessage());
  }

  @Test
  void repeatedAndNestedCallsShareOrStackBatchNodes() {
    String sql = "SELECT id, times(x, 2) AS a, times(x, 2) + 1 AS b, times(times(x, 2), 5) AS c "
        + "FROM nums ORDER BY id";
    Dataset<Row> df = spark.sql(sql);
    String plan = df.queryExecution().executedPlan().toString();
    // times(x, 2) once (shared by a and b), then times(<that>, 5) in a second node above it
    assertEquals(2, plan.split("ArgusBatchEval", -1).length - 1, plan);
    assertEquals(perRow(sql), df.collectAsList());
  }

  @Test
  void projectionOverALocalRelationIsFoldedBySparkBeforeBatching() {
    // Spark's ConvertToLocalRelation evaluates it row by row during optimization (documented)
    spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(3L)),
        new org.apache.spark.sql.types.StructType().add("x", DataTypes.LongType))
        .createOrReplaceTempView("local_nums");
    Dataset<Row> df = spark.sql("SELECT times(x, 2) FROM local_nums");
    assertNull(batchNode(df), df.queryExecution().executedPlan().toString());
    assertEquals(6L, df.first().getLong(0));
  }

  @Test
  void disabledByConfRunsPerRow() {
    spark.conf().set(SqlBatching.ENABLED, "false");
    assertNull(batchNode(spark.sql("SELECT id, times(x, 2) FROM nums")));
  }

  @Test
  void invalidBatchSizeFailsNamingTheKey() {
    spark.conf().set(SqlBatching.BATCH_SIZE, "0");
    Exception e = assertThrows(IllegalArgumentException.class,
        () -> spark.sql("SELECT id, times(x, 2) FROM nums").collectAsList());
    assertTrue(e.getMessage().contains(SqlBatching.BATCH_SIZE + " must be an integer ≥ 1, found '0'"),
        e.getMessage());
  }

  @Test
  void installingTwiceAddsRuleAndStrategyOnce() {
    SqlBatching.install(spark);
    SqlBatching.install(spark);
    assertTrue(SqlBatching.installed(spark));
    assertEquals(1, CollectionConverters.asJava(spark.experimental().extraOptimizations()).stream()
        .filter(r -> r instanceof ExtractBatchedFunctions).count());
  }

  @Test
  void unregisteredFunctionOfTheSameShapeIsNotBatched() {
    spark.udf().register("times_plain", new Times(), DataTypes.LongType);
    Dataset<Row> df = spark.sql("SELECT id, times_plain(x, 2) FROM nums");
    assertFalse(df.queryExecution().executedPlan().toString().contains("ArgusBatchEval"));
    assertEquals(40, df.count());
  }
}
