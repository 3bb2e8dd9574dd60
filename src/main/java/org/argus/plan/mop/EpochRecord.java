package org.argus.plan.mop;

/**
 * One config's epoch as recorded (a row of the run directory's {@code epochs} table): its training
 * loss over the epoch's unit queries, its validation metrics and the checkpoint after it.
 *
 * @param trial trial id
 * @param epoch epochs completed (1 after the first)
 * @param config the config ({@code name=value,…})
 * @param trainLoss mean training loss over every example of the epoch's units (nats; NaN when
 *     diverged)
 * @param valLoss mean validation loss (nats; NaN when failed)
 * @param valAccuracy validation accuracy in [0, 1] (NaN when failed)
 * @param metric the goal's metric (NaN when failed)
 * @param failed why the config failed in this epoch, or null
 * @param ckpt the checkpoint after the epoch
 * @param round the round (0-based) of the per-epoch template it ran in
 * @param roundMs the round's training makespan, ms
 */
public record EpochRecord(
    int trial,
    int epoch,
    String config,
    double trainLoss,
    double valLoss,
    double valAccuracy,
    double metric,
    String failed,
    String ckpt,
    int round,
    long roundMs) {}
