package org.argus.execution.mop;

/** How configs are trained on the workers. */
public enum Execution {
  /** Model hopper parallelism: data sharded once, models hop shard to shard (Cerebro §4). */
  MOP,
  /** Each config trains on a full copy of the data on one worker (data replicated per worker). */
  TASK_PARALLEL,
  /** Per config, every worker trains a sub-epoch from the same weights; averaged once per epoch. */
  BSP,
  /** MOP's units run one at a time (one worker). */
  SEQUENTIAL;

  /**
   * @param s {@code mop|task-parallel|bsp|sequential}
   * @return the value
   * @throws IllegalArgumentException for another string
   */
  public static Execution parse(String s) {
    return switch (s) {
      case "mop" -> MOP;
      case "task-parallel" -> TASK_PARALLEL;
      case "bsp" -> BSP;
      case "sequential" -> SEQUENTIAL;
      default ->
          throw new IllegalArgumentException(
              "unknown execution '" + s + "'; valid: mop, task-parallel, bsp, sequential");
    };
  }

  /** @return the CLI spelling */
  public String cli() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
