package org.argus.select.procedure;

/**
 * What a trial's epoch produced, as a procedure sees it.
 *
 * @param trial trial id
 * @param epochs epochs the trial has completed (1 after its first)
 * @param metric the goal's metric on the validation split (NaN if diverged or failed)
 * @param failed reason if the trial diverged (NaN loss) or its trainer failed; null if fine
 */
public record EpochResult(int trial, int epochs, double metric, String failed) {
  /**
   * @param trial id
   * @param epochs completed
   * @param metric value
   * @return a successful result
   */
  public static EpochResult ok(int trial, int epochs, double metric) {
    return new EpochResult(trial, epochs, metric, null);
  }
}
