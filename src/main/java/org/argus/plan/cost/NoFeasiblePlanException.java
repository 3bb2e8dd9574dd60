package org.argus.plan.cost;

/**
 * No logical plan fits the executors' memory even with one task, batch 1 and disk persistence.
 * The message says what would fit (the heap and native memory per executor the cheapest plan
 * needs, or a smaller pooling). Thrown before any Spark job runs.
 */
public final class NoFeasiblePlanException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** @param message what does not fit and what would */
  public NoFeasiblePlanException(String message) {
    super(message);
  }
}
