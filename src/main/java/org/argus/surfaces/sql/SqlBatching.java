package org.argus.surfaces.sql;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import org.apache.spark.sql.ExperimentalMethods;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.SparkStrategy;
import org.apache.spark.sql.expressions.SparkUserDefinedFunction;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.internal.SQLConf;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Batched evaluation of registered scalar SQL functions, the pattern Spark uses for Python UDFs
 * ({@code ExtractPythonUDFs} + {@code BatchEvalPythonExec}): {@link #register} registers a
 * function as an ordinary per-row UDF and remembers its {@link BatchedFunction}; {@link #install}
 * adds to the session an optimizer rule that moves qualifying calls out of each {@code Project}
 * into an {@link ArgusBatchEval} node below it, and a planner strategy that runs that node as
 * {@link ArgusBatchEvalExec}: each partition's rows are grouped into batches of {@code
 * spark.argus.sql.batchSize} and every call runs once per batch.
 *
 * <p>A call is batched when it sits in a {@code SELECT} list (a {@code Project}) where it is
 * always evaluated (not inside a {@code CASE}/{@code IF}/{@code COALESCE} branch, the right side of
 * {@code AND}/{@code OR}, or a lambda), all its arguments other than the batched one are constants,
 * and its batched argument has a type the function {@linkplain BatchedFunction#accepts accepts}.
 * Every other call (in {@code WHERE}, aggregates, joins, conditional branches) runs per row through
 * the registered UDF. Spark itself evaluates a projection over a small local relation (a DataFrame
 * made from a local list, with no shuffle in between) during optimization, before this rule runs:
 * such queries run per row too.
 *
 * <p>Configuration (session SQL conf): {@value #BATCH_SIZE} rows per batch (default {@value
 * #DEFAULT_BATCH_SIZE}); {@value #ENABLED} = {@code false} turns the rewrite off (every call runs
 * per row).
 */
public final class SqlBatching {
  /** SQL conf key: rows per batch, ≥ 1. */
  public static final String BATCH_SIZE = "spark.argus.sql.batchSize";

  /**
   * Default of {@link #BATCH_SIZE}, the image stages' default too: on CPU with one intra-op thread
   * per session, bigger batches leave the caches (measured on the 2-core development machine,
   * ONNX Runtime alone: MobileNetV2 224² 6.29 / 6.80 / 7.82 ms per image at batch 1 / 8 / 32;
   * MobileNetV2 96² 1.46 / 1.32 / 1.43; InceptionV3 299² flat at ≈ 76). Raise it on GPUs.
   */
  public static final int DEFAULT_BATCH_SIZE = 8;

  /** SQL conf key: {@code true} (default) batches qualifying calls, {@code false} runs all per row. */
  public static final String ENABLED = "spark.argus.sql.batched";

  /** Registered function objects (as held by Catalyst's ScalaUDF) → their batched form. */
  private static final Map<Object, BatchedFunction> FUNCTIONS =
      Collections.synchronizedMap(new WeakHashMap<>());

  private SqlBatching() {}

  /**
   * Registers {@code udf} under {@code name} in {@code spark}'s function registry (a temporary
   * function, as {@code spark.udf().register}) with {@code batched} as its batched form, and
   * {@linkplain #install installs} batching in the session.
   *
   * @param spark the session
   * @param name SQL function name
   * @param udf the per-row function (e.g. {@code functions.udf(javaUdf, returnType)})
   * @param batched its batched form
   * @return the registered function
   * @throws IllegalArgumentException if {@code udf} is not a Scala/Java UDF (e.g. a UDAF)
   */
  public static UserDefinedFunction register(
      SparkSession spark, String name, UserDefinedFunction udf, BatchedFunction batched) {
    Objects.requireNonNull(batched, "batched");
    UserDefinedFunction registered = spark.udf().register(name, udf);
    if (!(registered instanceof SparkUserDefinedFunction s)) {
      throw new IllegalArgumentException(
          "SqlBatching.register(" + name + "): expected a scalar UDF (functions.udf(...)), found "
              + registered.getClass().getName());
    }
    FUNCTIONS.put(s.f(), batched);
    install(spark);
    return registered;
  }

  /**
   * Adds the batching optimizer rule and planner strategy to {@code spark} (its {@code
   * experimental()} methods); idempotent: a session holds each at most once. Sessions made by
   * {@code newSession()} need their own call (as they need their own function registrations).
   *
   * @param spark the session
   */
  public static void install(SparkSession spark) {
    ExperimentalMethods x = spark.experimental();
    synchronized (x) {
      if (!x.extraOptimizations().exists(r -> r instanceof ExtractBatchedFunctions)) {
        Rule<LogicalPlan> rule = new ExtractBatchedFunctions();
        List<Rule<LogicalPlan>> rules = new ArrayList<>(CollectionConverters.asJava(x.extraOptimizations()));
        rules.add(rule);
        x.extraOptimizations_$eq(CollectionConverters.asScala(rules).toList());
      }
      if (!x.extraStrategies().exists(s -> s instanceof BatchEvalStrategy)) {
        SparkStrategy strategy = new BatchEvalStrategy();
        List<SparkStrategy> strategies = new ArrayList<>(CollectionConverters.asJava(x.extraStrategies()));
        strategies.add(strategy);
        x.extraStrategies_$eq(CollectionConverters.asScala(strategies).toList());
      }
    }
  }

  /**
   * @param spark a session
   * @return whether {@link #install} ran on it (rule and strategy present)
   */
  public static boolean installed(SparkSession spark) {
    ExperimentalMethods x = spark.experimental();
    return x.extraOptimizations().count(r -> r instanceof ExtractBatchedFunctions) == 1
        && x.extraStrategies().count(s -> s instanceof BatchEvalStrategy) == 1;
  }

  /** @return the batched form of a ScalaUDF's function object, or null when not registered here */
  static BatchedFunction lookup(Object function) {
    return function == null ? null : FUNCTIONS.get(function);
  }

  /**
   * @return {@value #BATCH_SIZE} of {@code conf}
   * @throws IllegalArgumentException naming the key and value when it is not an integer ≥ 1
   */
  static int batchSize(SQLConf conf) {
    String v = conf.getConfString(BATCH_SIZE, Integer.toString(DEFAULT_BATCH_SIZE));
    int n;
    try {
      n = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1) {
      throw new IllegalArgumentException(BATCH_SIZE + " must be an integer ≥ 1, found '" + v + "'");
    }
    return n;
  }

  /** @return whether {@value #ENABLED} is on in {@code conf} */
  static boolean enabled(SQLConf conf) {
    return !conf.getConfString(ENABLED, "true").trim().equalsIgnoreCase("false");
  }
}
