package org.argus.execution.mop;

import java.util.List;
import org.argus.select.procedure.Goal;

/**
 * What a selection run produced.
 *
 * @param runDir run directory
 * @param procedure procedure name
 * @param execution how it ran
 * @param goal selection goal
 * @param leaderboard trials best first
 * @param rounds per-round (epoch) statistics
 * @param units every unit query (successful and failed attempts), in completion order
 * @param bytesStored training data bytes held by the workers (features + labels, all copies)
 * @param shardRows rows per stored partition
 */
public record SelectionResult(
    String runDir,
    String procedure,
    Execution execution,
    Goal goal,
    List<Entry> leaderboard,
    List<RoundStats> rounds,
    List<UnitRecord> units,
    long bytesStored,
    List<Long> shardRows) {

  /**
   * A trial on the leaderboard.
   *
   * @param trial id
   * @param config config string
   * @param epochs epochs trained
   * @param metric goal metric at its last epoch (NaN if failed)
   * @param valAccuracy validation accuracy at its last epoch
   * @param valLoss validation loss at its last epoch
   * @param status why it stopped (or {@code failed: …})
   */
  public record Entry(
      int trial, String config, int epochs, double metric, double valAccuracy, double valLoss, String status) {}

  /**
   * One round of the per-epoch template.
   *
   * @param round 0-based round
   * @param configs configs trained in the round
   * @param makespanMs wall time of the round's training (excl. validation)
   * @param bytesMoved checkpoint bytes read + written by the round's units (and BSP averaging)
   */
  public record RoundStats(int round, int configs, long makespanMs, long bytesMoved) {}

  /** @return the best entry, or null if every trial failed */
  public Entry best() {
    return leaderboard.isEmpty() || Double.isNaN(leaderboard.get(0).metric()) ? null : leaderboard.get(0);
  }
}
