package org.argus.surfaces.sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Physical plan node of {@link ArgusBatchEval}: maps each partition of {@code child}, grouping its
 * rows into batches of {@value SqlBatching#BATCH_SIZE} (default {@value
 * SqlBatching#DEFAULT_BATCH_SIZE}); for each batch, every call evaluates its batched argument on
 * each row and runs its {@link BatchedFunction.Kernel} once on the batch's non-null values (null
 * values give null results); it emits {@code child row ++ results} as {@code UnsafeRow}s in the
 * child's order and partitioning. At most one batch of rows and results is held per task.
 *
 * <p>Constant arguments are bound ({@link BatchedFunction#bind}) on the driver when the node
 * executes, so invalid constants (an unknown model or layer) fail the query before any task runs.
 *
 * <p>SQL metrics (Spark UI, {@code metrics()}): {@code numOutputRows}, {@code numBatches} (kernel
 * calls, i.e. ONNX Runtime batches) and {@code numBatchedValues} (values those calls got; their
 * ratio is the mean batch size).
 *
 * <p>Public with a public constructor because Catalyst copies plan nodes reflectively.
 */
public final class ArgusBatchEvalExec extends SparkPlan {
  private static final long serialVersionUID = 1L;

  private final Seq<ScalaUDF> udfs;
  private final Seq<Attribute> resultAttrs;
  private final SparkPlan child;
  private final Seq<SparkPlan> children;
  private transient scala.collection.immutable.Map<String, SQLMetric> metrics;

  /**
   * @param udfs the batched calls
   * @param resultAttrs one attribute per call
   * @param child the input plan
   */
  public ArgusBatchEvalExec(Seq<ScalaUDF> udfs, Seq<Attribute> resultAttrs, SparkPlan child) {
    this.udfs = udfs;
    this.resultAttrs = resultAttrs;
    this.child = Objects.requireNonNull(child, "child");
    this.children = CollectionConverters.asScala(List.of(child)).toList();
  }

  /** @return the batched calls */
  public Seq<ScalaUDF> udfs() {
    return udfs;
  }

  /** @return the result attributes, one per call */
  public Seq<Attribute> resultAttrs() {
    return resultAttrs;
  }

  /** @return the input plan */
  public SparkPlan child() {
    return child;
  }

  @Override
  public Seq<Attribute> output() {
    return ArgusBatchEval.appendResults(child.output(), resultAttrs);
  }

  @Override
  public AttributeSet producedAttributes() {
    return ArgusBatchEval.produced(resultAttrs);
  }

  @Override
  public Partitioning outputPartitioning() {
    return child.outputPartitioning();
  }

  @Override
  public Seq<SortOrder> outputOrdering() {
    return child.outputOrdering();
  }

  @Override
  public Seq<SparkPlan> children() {
    return children;
  }

  @Override
  public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> newChildren) {
    return new ArgusBatchEvalExec(udfs, resultAttrs, newChildren.apply(0));
  }

  @Override
  public synchronized scala.collection.immutable.Map<String, SQLMetric> metrics() {
    if (metrics == null) {
      Map<String, SQLMetric> m = new LinkedHashMap<>();
      m.put("numOutputRows", SQLMetrics.createMetric(sparkContext(), "number of output rows"));
      m.put("numBatches", SQLMetrics.createMetric(sparkContext(), "number of batches"));
      m.put("numBatchedValues", SQLMetrics.createMetric(sparkContext(), "number of batched values"));
      metrics = scala.collection.immutable.Map.from(CollectionConverters.asScala(m));
    }
    return metrics;
  }

  @Override
  public RDD<InternalRow> doExecute() {
    int batchSize = SqlBatching.batchSize(conf());
    List<BatchedFunction.Kernel> kernels = new ArrayList<>();
    List<Expression> inputs = new ArrayList<>();
    for (ScalaUDF u : CollectionConverters.asJava(udfs)) {
      BatchedFunction f = SqlBatching.lookup(u.function());
      if (f == null) {
        throw new IllegalStateException(
            "ArgusBatchEval: " + u.udfName().getOrElse(() -> "a function")
                + " is no longer registered for batching in this JVM; re-register it");
      }
      List<Expression> args = CollectionConverters.asJava(u.children());
      int b = f.batchedArgument();
      Object[] constants = new Object[args.size()];
      for (int i = 0; i < args.size(); i++) {
        if (i != b) {
          Expression a = args.get(i);
          constants[i] = CatalystTypeConverters.convertToScala(a.eval(null), a.dataType());
        }
      }
      kernels.add(f.bind(session(), constants, args.get(b).dataType(), batchSize));
      inputs.add(args.get(b));
    }
    scala.collection.immutable.Map<String, SQLMetric> m = metrics();
    BatchEvaluator eval = new BatchEvaluator(
        kernels,
        inputs,
        CollectionConverters.asJava(child.output()),
        CollectionConverters.asJava(output()),
        CollectionConverters.asJava(udfs).stream().map(ScalaUDF::dataType).toList(),
        batchSize,
        m.apply("numOutputRows"),
        m.apply("numBatches"),
        m.apply("numBatchedValues"));
    return child.execute().toJavaRDD().mapPartitions(eval, true).rdd();
  }

  @Override
  public int productArity() {
    return 3;
  }

  @Override
  public Object productElement(int n) {
    return switch (n) {
      case 0 -> udfs;
      case 1 -> resultAttrs;
      case 2 -> child;
      default -> throw new IndexOutOfBoundsException("ArgusBatchEvalExec has 3 elements, asked for " + n);
    };
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof ArgusBatchEvalExec;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ArgusBatchEvalExec e
        && udfs.equals(e.udfs) && resultAttrs.equals(e.resultAttrs) && child.equals(e.child);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }
}
