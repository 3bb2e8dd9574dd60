/**
 * Training one model on Spark (issue 12, item 3): {@link
 * org.argus.execution.train.DataParallelTraining} — synchronous data-parallel mini-batch SGD as
 * MLlib's {@code GradientDescent.runMiniBatchSGD} (weights broadcast per step, per-partition
 * gradient sums combined with {@code treeAggregate}, the optimizer step on the driver) or local
 * SGD ({@code syncEvery K}); per-epoch full-state checkpoints ({@link
 * org.argus.execution.train.TrainCheckpoint}) and resume; and {@link
 * org.argus.execution.train.Evaluation}, a checkpoint's confusion matrix computed where the data
 * lies. The model is any {@link org.argus.runtime.train.DataParallelTrainer}.
 */
package org.argus.execution.train;
