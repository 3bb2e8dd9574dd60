package org.argus.execution.inference;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * What an inference pass counts, as Spark accumulators (read them on the driver after the
 * action): rows read and rows whose input was invalid (skipped, kept with a reason, or the one
 * that failed the task), summed; and the largest heap one task allocated in one batch cycle
 * (measured by the JVM's per-thread allocation counter from the start of one batch to the start
 * of the next: reading the rows, the input buffer, ONNX Runtime's outputs, the emitted arrays and
 * Spark encoding and caching the batch's rows), the cost model's task heap checked against it.
 */
public final class Counters implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator rows;
  private final LongAccumulator invalid;
  private final MaxAccumulator batchCycleBytes;

  private Counters(LongAccumulator rows, LongAccumulator invalid, MaxAccumulator batchCycleBytes) {
    this.rows = rows;
    this.invalid = invalid;
    this.batchCycleBytes = batchCycleBytes;
  }

  /**
   * @param sc the context
   * @param name a prefix for the accumulators' names (shown by Spark)
   * @return fresh counters registered with {@code sc}
   */
  public static Counters create(SparkContext sc, String name) {
    MaxAccumulator cycle = new MaxAccumulator();
    sc.register(cycle, name + ".batchCycleBytes");
    return new Counters(sc.longAccumulator(rowsName(name)), sc.longAccumulator(name + ".invalid"), cycle);
  }

  /**
   * @param sc the context
   * @param uid a Spark ML stage's uid
   * @return fresh counters named {@code argus.<uid>.*}, as the stages' transforms register them
   */
  public static Counters forStage(SparkContext sc, String uid) {
    return create(sc, "argus." + uid);
  }

  /**
   * @param uid a Spark ML stage's uid
   * @return the name of the accumulator counting the rows that stage's transforms read ({@link
   *     #forStage}), e.g. to follow a running pass with {@link org.argus.execution.RunningCount#named}
   */
  public static String stageRowsName(String uid) {
    return rowsName("argus." + uid);
  }

  private static String rowsName(String name) {
    return name + ".rows";
  }

  /** @return counters that count nothing (for calls outside a Spark job, e.g. per-row SQL) */
  public static Counters none() {
    return new Counters(null, null, null);
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

  void batchCycle(long bytes) {
    if (batchCycleBytes != null) {
      batchCycleBytes.add(bytes);
    }
  }

  /**
   * @return the most heap one task allocated in one batch cycle, bytes (each task's first cycle,
   *     which includes its start-up, is left out); −1 when no task ran two batches
   */
  public long maxBatchCycleBytes() {
    return batchCycleBytes == null ? -1 : batchCycleBytes.value();
  }

  /** @return rows read so far (driver side: after the action; may be polled while it runs) */
  public long rows() {
    return rows == null ? 0 : rows.value();
  }

  /**
   * @param sc the context these counters were created on
   * @return a registered listener counting the rows read so far, running tasks' included (close it)
   * @throws IllegalStateException for {@link #none()}, which counts nothing
   */
  public org.argus.execution.RunningCount watchRows(SparkContext sc) {
    if (rows == null) {
      throw new IllegalStateException("Counters.none() counts no rows to watch");
    }
    return org.argus.execution.RunningCount.of(sc, rows);
  }

  /** @return invalid rows so far */
  public long invalid() {
    return invalid == null ? 0 : invalid.value();
  }
}
