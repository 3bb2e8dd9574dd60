package org.argus.execution.train;

import java.io.Serializable;

/**
 * The mean training loss of one synchronization (a step; with local SGD, the K local steps before
 * an average).
 *
 * @param step the driver model's optimizer step after the synchronization (1-based, counted over
 *     the whole run including resumed epochs)
 * @param loss mean softmax cross-entropy over the examples of the synchronization, nats
 */
public record StepLoss(long step, double loss) implements Serializable {}
