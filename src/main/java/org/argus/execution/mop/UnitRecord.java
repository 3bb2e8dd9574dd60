package org.argus.execution.mop;

import org.argus.runtime.train.Metrics;

/**
 * One unit query as logged: config {@code trial} trained its {@code epoch}-th epoch on {@code
 * shard} (a replica index for task-parallel).
 *
 * @param trial trial id
 * @param epoch 1-based epoch
 * @param shard shard (data partition) index
 * @param attempt 0 for the first try
 * @param executor Spark executor id that ran it
 * @param startMs start, epoch millis
 * @param endMs end, epoch millis
 * @param bytesRead checkpoint bytes read
 * @param bytesWritten checkpoint bytes written
 * @param metrics training metrics of the sub-epoch
 * @param inCkpt input checkpoint (null: fresh model)
 * @param outCkpt output checkpoint
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
    long bytesRead,
    long bytesWritten,
    Metrics metrics,
    String inCkpt,
    String outCkpt,
    String error) implements java.io.Serializable {}
