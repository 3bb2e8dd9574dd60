package org.argus.surfaces.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Logical plan node: evaluates batched SQL function calls ({@code udfs}, each registered through
 * {@link SqlBatching#register}) over the rows of {@code child} and appends their results as {@code
 * resultAttrs}; output = {@code child.output ++ resultAttrs}. Inserted below a {@code Project} by
 * the batching optimizer rule (the Project then refers to the results), planned as {@link
 * ArgusBatchEvalExec}. The counterpart of Spark's {@code BatchEvalPython}.
 *
 * <p>Public with a public constructor because Catalyst copies plan nodes reflectively ({@code
 * TreeNode.makeCopy}); not meant to be built by hand.
 */
public final class ArgusBatchEval extends LogicalPlan {
  private static final long serialVersionUID = 1L;

  private final Seq<ScalaUDF> udfs;
  private final Seq<Attribute> resultAttrs;
  private final LogicalPlan child;
  private final Seq<LogicalPlan> children;

  /**
   * @param udfs the calls, in the order of {@code resultAttrs}
   * @param resultAttrs one attribute per call, typed as the call
   * @param child the input plan; every call's arguments refer only to its output
   * @throws IllegalArgumentException if the two lists differ in length
   */
  public ArgusBatchEval(Seq<ScalaUDF> udfs, Seq<Attribute> resultAttrs, LogicalPlan child) {
    if (udfs.size() != resultAttrs.size()) {
      throw new IllegalArgumentException(
          "ArgusBatchEval: " + udfs.size() + " calls but " + resultAttrs.size() + " result attributes");
    }
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
  public LogicalPlan child() {
    return child;
  }

  @Override
  public Seq<Attribute> output() {
    return appendResults(child.output(), resultAttrs);
  }

  @Override
  public AttributeSet producedAttributes() {
    return produced(resultAttrs);
  }

  /**
   * The output of a batch-evaluation node: the child's attributes followed by one result
   * attribute per call (shared by {@link ArgusBatchEval} and {@link ArgusBatchEvalExec}).
   *
   * @param childOutput the child's output
   * @param resultAttrs result attributes
   * @return {@code childOutput ++ resultAttrs}
   */
  static Seq<Attribute> appendResults(Seq<Attribute> childOutput, Seq<Attribute> resultAttrs) {
    List<Attribute> out = new ArrayList<>(CollectionConverters.asJava(childOutput));
    out.addAll(CollectionConverters.asJava(resultAttrs));
    return CollectionConverters.asScala(out).toList();
  }

  /**
   * @param resultAttrs result attributes
   * @return them as the attribute set a node produces
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static AttributeSet produced(Seq<Attribute> resultAttrs) {
    return AttributeSet.apply((scala.collection.Iterable<Expression>) (scala.collection.Iterable) resultAttrs);
  }

  @Override
  public Seq<LogicalPlan> children() {
    return children;
  }

  @Override
  public LogicalPlan withNewChildrenInternal(IndexedSeq<LogicalPlan> newChildren) {
    return new ArgusBatchEval(udfs, resultAttrs, newChildren.apply(0));
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
      default -> throw new IndexOutOfBoundsException("ArgusBatchEval has 3 elements, asked for " + n);
    };
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof ArgusBatchEval;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ArgusBatchEval e
        && udfs.equals(e.udfs) && resultAttrs.equals(e.resultAttrs) && child.equals(e.child);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }
}
