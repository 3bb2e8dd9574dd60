package org.argus.surfaces.sql;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.SparkPlan;

/** Test helper: finds the batch-evaluation node in a query's executed plan. */
public final class BatchPlans {
  private BatchPlans() {}

  /**
   * @param df a query
   * @return the first {@link ArgusBatchEvalExec} of its executed plan, or null if it runs per row
   */
  public static ArgusBatchEvalExec batchNode(Dataset<Row> df) {
    SparkPlan plan = df.queryExecution().executedPlan();
    List<SparkPlan> found = new ArrayList<>();
    plan.foreach(p -> {
      if (p instanceof ArgusBatchEvalExec) {
        found.add(p);
      }
      return null;
    });
    return found.isEmpty() ? null : (ArgusBatchEvalExec) found.get(0);
  }
}
