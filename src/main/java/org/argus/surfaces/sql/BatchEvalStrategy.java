package org.argus.surfaces.sql;

import java.util.List;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/** Planner strategy: {@link ArgusBatchEval} → {@link ArgusBatchEvalExec} over the planned child. */
final class BatchEvalStrategy extends SparkStrategy {
  @Override
  public Seq<SparkPlan> apply(LogicalPlan plan) {
    if (plan instanceof ArgusBatchEval e) {
      SparkPlan exec = new ArgusBatchEvalExec(e.udfs(), e.resultAttrs(), planLater(e.child()));
      return CollectionConverters.asScala(List.of(exec)).toList();
    }
    return CollectionConverters.asScala(List.<SparkPlan>of()).toList();
  }
}
