package org.argus.surfaces.cli;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Counts the rows Spark's tasks have written to files (their {@code outputMetrics.recordsWritten})
 * since registration, for a progress line while a write job runs. A task's rows count when the task
 * ends, so the count moves in steps of one partition. Driver side; register with {@link #attach},
 * remove with {@link #close()}.
 */
final class RowsWritten extends SparkListener implements AutoCloseable {
  private final AtomicLong rows = new AtomicLong();
  private final SparkContext sc;

  private RowsWritten(SparkContext sc) {
    this.sc = sc;
  }

  /**
   * @param sc the context whose tasks to count
   * @return a registered counter starting at 0
   */
  static RowsWritten attach(SparkContext sc) {
    RowsWritten r = new RowsWritten(sc);
    sc.addSparkListener(r);
    return r;
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    if (taskEnd.taskMetrics() != null) {
      rows.addAndGet(taskEnd.taskMetrics().outputMetrics().recordsWritten());
    }
  }

  /** @return rows written by the tasks that have ended so far */
  long rows() {
    return rows.get();
  }

  /** Unregisters the listener. */
  @Override
  public void close() {
    sc.removeSparkListener(this);
  }
}
