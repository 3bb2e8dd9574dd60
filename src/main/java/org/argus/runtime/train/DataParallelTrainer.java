package org.argus.runtime.train;

/**
 * A {@link Trainer} whose gradient computation and optimizer step can run apart, for synchronous
 * data-parallel SGD (MLlib's {@code GradientDescent.runMiniBatchSGD}: the driver holds the
 * parameters and the optimizer state, executors compute gradients of their share of the global
 * batch at broadcast weights, the driver sums them and steps). The trainable parameters are a list
 * of float32 arrays in a fixed order (the block's parameter order), each flattened row-major.
 */
public interface DataParallelTrainer extends Trainer {
  /**
   * @return a copy of every trainable parameter, flattened row-major, in the block's parameter
   *     order
   */
  float[][] weights();

  /**
   * Overwrites the trainable parameters (optimizer state and step counter are left unchanged).
   *
   * @param weights arrays as {@link #weights()} returns them
   * @throws IllegalArgumentException if the number of arrays or an array's length differs from
   *     this model's (the message names the index and both lengths)
   */
  void setWeights(float[][] weights);

  /**
   * The sum over the batch's examples of each example's loss gradient (softmax cross-entropy) with
   * respect to every trainable parameter, at the current weights, in training mode; changes no
   * parameter. If the loss is not finite, the returned sum holds no gradient ({@code sum} is null)
   * and its metrics are marked diverged.
   *
   * @param batch the examples ({@code x} {@code [n, inputShape...]} float32 row-major)
   * @return the gradient sum and the batch's loss / accuracy sums
   * @throws TrainingException if the engine fails
   */
  GradientSum gradientSum(Batch batch) throws TrainingException;

  /**
   * One optimizer step (the config's Adam or SGD, weight decay included) with the given gradient
   * of the mean loss instead of one computed here; increments the step counter. With the gradient
   * of a batch's mean loss this equals what {@link #train} does for that batch.
   *
   * @param meanGradient one array per parameter, as {@link #weights()} orders them
   * @throws IllegalArgumentException if the arrays do not match the parameters
   * @throws TrainingException if the engine fails
   */
  void applyGradient(float[][] meanGradient) throws TrainingException;

  /** @return optimizer steps taken so far (restored by {@link #importState}) */
  long step();
}
