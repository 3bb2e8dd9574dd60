package org.argus.surfaces.sql;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.ConditionalExpression;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.HigherOrderFunction;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.expressions.Or;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.types.Metadata;
import scala.Function1;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * Optimizer rule (runs in Spark's "User Provided Optimizers" batch, after the built-in ones): in
 * every {@code Project}, replaces each always-evaluated call of a {@link BatchedFunction} whose
 * other arguments are constants by a new attribute, computed by an {@link ArgusBatchEval} inserted
 * between the Project and its child. Semantically equal calls share one result. A call whose
 * batched argument itself contains a batchable call is left for the next iteration of the batch
 * (fixed point), so nested calls become stacked nodes, innermost first. Idempotent: a rewritten
 * Project holds no batchable call.
 */
final class ExtractBatchedFunctions extends Rule<LogicalPlan> {
  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    if (!SqlBatching.enabled(conf())) {
      return plan;
    }
    return plan.transformUp(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
      @Override
      public boolean isDefinedAt(LogicalPlan p) {
        return p instanceof Project;
      }

      @Override
      public <A1 extends LogicalPlan, B1> B1 applyOrElse(A1 p, Function1<A1, B1> fallback) {
        if (p instanceof Project project) {
          @SuppressWarnings("unchecked")
          B1 out = (B1) rewrite(project);
          return out;
        }
        return fallback.apply(p);
      }
    });
  }

  private static LogicalPlan rewrite(Project p) {
    AttributeSet input = p.child().outputSet();
    List<ScalaUDF> found = new ArrayList<>();
    for (NamedExpression e : CollectionConverters.asJava(p.projectList())) {
      collect((Expression) e, input, found);
    }
    if (found.isEmpty()) {
      return p;
    }
    List<ScalaUDF> calls = new ArrayList<>();
    List<Attribute> attrs = new ArrayList<>();
    for (ScalaUDF u : found) {
      if (calls.stream().noneMatch(c -> c.semanticEquals(u))) {
        calls.add(u);
        attrs.add(new AttributeReference(
            "argus_batch_" + attrs.size(), u.dataType(), u.nullable(), Metadata.empty(),
            NamedExpression$.MODULE$.newExprId(),
            CollectionConverters.asScala(List.<String>of()).toList()));
      }
    }
    AbstractPartialFunction<Expression, Expression> replace =
        new AbstractPartialFunction<Expression, Expression>() {
          @Override
          public boolean isDefinedAt(Expression e) {
            return index(e) >= 0;
          }

          @Override
          public <A1 extends Expression, B1> B1 applyOrElse(A1 e, Function1<A1, B1> fallback) {
            int i = index(e);
            if (i < 0) {
              return fallback.apply(e);
            }
            @SuppressWarnings("unchecked")
            B1 out = (B1) attrs.get(i);
            return out;
          }

          private int index(Expression e) {
            if (e instanceof ScalaUDF) {
              for (int i = 0; i < calls.size(); i++) {
                if (calls.get(i).semanticEquals(e)) {
                  return i;
                }
              }
            }
            return -1;
          }
        };
    List<NamedExpression> projectList = new ArrayList<>();
    for (NamedExpression e : CollectionConverters.asJava(p.projectList())) {
      projectList.add((NamedExpression) ((Expression) e).transformDown(replace));
    }
    ArgusBatchEval eval = new ArgusBatchEval(
        CollectionConverters.asScala(calls).toList(),
        CollectionConverters.asScala(attrs).toList(),
        p.child());
    Seq<NamedExpression> list = CollectionConverters.asScala(projectList).toList();
    return new Project(list, eval);
  }

  /** Adds the batchable calls of {@code e} that are evaluated for every row. */
  private static void collect(Expression e, AttributeSet input, List<ScalaUDF> found) {
    if (e instanceof ScalaUDF u && batchable(u, input) && !containsBatchable(u.children(), input)) {
      found.add(u);
      return;
    }
    if (e instanceof HigherOrderFunction) {
      return; // lambdas: per row
    }
    Seq<Expression> always;
    if (e instanceof ConditionalExpression c) {
      always = c.alwaysEvaluatedInputs();
    } else if (e instanceof And a) {
      always = CollectionConverters.asScala(List.of(a.left())).toList();
    } else if (e instanceof Or o) {
      always = CollectionConverters.asScala(List.of(o.left())).toList();
    } else {
      always = e.children();
    }
    for (Expression c : CollectionConverters.asJava(always)) {
      collect(c, input, found);
    }
  }

  private static boolean containsBatchable(Seq<Expression> exprs, AttributeSet input) {
    for (Expression e : CollectionConverters.asJava(exprs)) {
      if (e.exists(x -> x instanceof ScalaUDF u && batchable(u, input))) {
        return true;
      }
    }
    return false;
  }

  private static boolean batchable(ScalaUDF u, AttributeSet input) {
    BatchedFunction f = SqlBatching.lookup(u.function());
    if (f == null || !u.deterministic() || !u.resolved()) {
      return false;
    }
    int b = f.batchedArgument();
    List<Expression> args = CollectionConverters.asJava(u.children());
    if (b < 0 || b >= args.size() || !f.accepts(args.get(b).dataType())) {
      return false;
    }
    for (int i = 0; i < args.size(); i++) {
      if (i != b && !args.get(i).foldable()) {
        return false;
      }
    }
    return u.references().subsetOf(input);
  }
}
