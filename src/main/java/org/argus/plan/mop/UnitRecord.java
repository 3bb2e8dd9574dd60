package org.argus.plan.mop;

import java.io.Serializable;
import org.argus.runtime.train.Metrics;

/**
 * One unit query as logged (a row of the run directory's {@code units} table): config {@code trial}
 * trained its {@code epoch}-th epoch on {@code shard} (a replica index for task-parallel).
 *
 * @param trial trial id
 * @param epoch 1-based epoch
 * @param shard shard (data partition) index
 * @param attempt 0 for the first try
 * @param executor Spark executor id that ran it ({@code ?} when the attempt failed before a result)
 * @param startMs start inside the task, epoch millis
 * @param endMs end inside the task, epoch millis
 * @param jobMs wall time of the unit's Spark job as the driver saw it (submission to result,
 *     including scheduling and task (de)serialization), ms; 0 until the driver sets it
 * @param bytesRead checkpoint bytes read (payload + 48-byte header)
 * @param bytesWritten checkpoint bytes written
 * @param metrics training metrics of the sub-epoch
 * @param inCkpt input checkpoint name (null: fresh model)
 * @param outCkpt output checkpoint name
 * @param error null if the unit succeeded, else the reason
 */
public record UnitRecord(
    int trial,
    int epoch,
    int shard,
    int attempt,
    String executor,
    long startMs,
    long endMs,
    long jobMs,
    long bytesRead,
    long bytesWritten,
    Metrics metrics,
    String inCkpt,
    String outCkpt,
    String error) implements Serializable {

  /**
   * @param ms the driver-side wall time of the unit's Spark job
   * @return a copy with {@link #jobMs()} set
   */
  public UnitRecord withJobMs(long ms) {
    return new UnitRecord(trial, epoch, shard, attempt, executor, startMs, endMs, ms, bytesRead, bytesWritten,
        metrics, inCkpt, outCkpt, error);
  }

  /** @return the unit's time inside its task, ms */
  public long taskMs() {
    return endMs - startMs;
  }

  /**
   * A failed attempt as the driver records it.
   *
   * @param unit the unit that failed
   * @param startMs when its job was submitted, epoch millis
   * @param endMs when the failure arrived, epoch millis
   * @param error the reason (exception class and message)
   * @return the record (executor {@code ?}, no metrics, no bytes)
   */
  public static UnitRecord failed(Unit unit, long startMs, long endMs, String error) {
    return new UnitRecord(unit.trial(), unit.epoch(), unit.shard(), unit.attempt(), "?", startMs, endMs,
        endMs - startMs, 0, 0, Metrics.EMPTY, unit.inCkpt(), unit.outCkpt(), error);
  }
}
