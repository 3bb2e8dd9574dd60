package org.argus.runtime.train;

/**
 * The learning-rate schedule of this package's trainers, from two config keys: {@code decay}
 * ({@code none}, the default: the config's {@code lr} at every step; or {@code cosine}) and {@code
 * decay_steps} (required with {@code cosine}: the optimizer steps over which the rate decays). Cosine
 * decay is SGDR's annealing without restarts (Loshchilov &amp; Hutter, ICLR 2017, eq. 5, η_min 0), as
 * Keras's {@code CosineDecay} (α 0) and PyTorch's {@code CosineAnnealingLR} compute it: the step taken
 * after {@code t} earlier steps uses {@code lr · ½(1 + cos(π · min(t, T) / T))}, {@code T =
 * decay_steps}; steps past {@code T} use 0. The step counter is part of a trainer's state, so the
 * schedule continues across unit queries, shards, checkpoints and resumes.
 */
final class LearningRate {
  private LearningRate() {}

  /**
   * @param config a config
   * @return its {@code decay_steps} when {@code decay=cosine}, else 0 (a constant rate)
   * @throws TrainingException when {@code decay} is neither {@code none} nor {@code cosine}, or
   *     {@code decay=cosine} comes without {@code decay_steps >= 1}
   */
  static long decaySteps(Hyperparameters config) throws TrainingException {
    String decay = config.getString("decay", "none");
    if (decay.equals("none")) {
      return 0;
    }
    if (!decay.equals("cosine")) {
      throw new TrainingException("unknown decay '" + decay + "' in config " + config + "; valid: none, cosine", null);
    }
    Object t = config.values().get("decay_steps");
    long steps = t instanceof Number n ? Math.round(n.doubleValue()) : 0;
    if (steps < 1) {
      throw new TrainingException("decay=cosine needs decay_steps >= 1 (the optimizer steps to decay over); found "
          + (t == null ? "none" : t) + " in config " + config, null);
    }
    return steps;
  }

  /**
   * @param lr the config's learning rate
   * @param decaySteps {@link #decaySteps}: 0 for a constant rate
   * @param done optimizer steps taken before this one
   * @return the rate of the next step
   */
  static float at(float lr, long decaySteps, long done) {
    if (decaySteps == 0) {
      return lr;
    }
    return (float) (lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(done, decaySteps) / decaySteps)));
  }
}
