package org.argus.execution.inference;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * What an inference pass counts, as Spark accumulators (summed on the driver; read them after the
 * action): rows read and rows whose input was invalid (skipped, kept with a reason, or the one
 * that failed the task).
 */
public final class Counters implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator rows;
  private final LongAccumulator invalid;

  private Counters(LongAccumulator rows, LongAccumulator invalid) {
    this.rows = rows;
    this.invalid = invalid;
  }

  /**
   * @param sc the context
   * @param name a prefix for the accumulators' names (shown by Spark)
   * @return fresh counters registered with {@code sc}
   */
  public static Counters create(SparkContext sc, String name) {
    return new Counters(sc.longAccumulator(name + ".rows"), sc.longAccumulator(name + ".invalid"));
  }

  /** @return counters that count nothing (for calls outside a Spark job, e.g. per-row SQL) */
  public static Counters none() {
    return new Counters(null, null);
  }

  void rows(long n) {
    if (rows != null) {
      rows.add(n);
    }
  }

  void invalid(long n) {
    if (invalid != null) {
      invalid.add(n);
    }
  }

  /** @return rows read so far (driver side: after the action; may be polled while it runs) */
  public long rows() {
    return rows == null ? 0 : rows.value();
  }

  /** @return invalid rows so far */
  public long invalid() {
    return invalid == null ? 0 : invalid.value();
  }
}
