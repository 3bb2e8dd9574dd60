package org.argus.execution.mop;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.plan.mop.UnitRecord;
import org.argus.select.procedure.Goal;

/**
 * What a selection run produced (serializable: a cluster driver can hand it back).
 *
 * @param runDir run directory (qualified URI)
 * @param spec the run's spec as stored in {@code spec.properties} (the caller's entries, then
 *     execution, procedure, goal, seed, validation fraction, trainer, workers)
 * @param procedure procedure name
 * @param execution how it ran
 * @param goal selection goal
 * @param leaderboard trials best first (failed ones last, by trial id)
 * @param rounds per-round (epoch) statistics
 * @param units every unit query (successful and failed attempts), in completion order
 * @param shardRows training rows per stored partition (task-parallel: per replica)
 * @param payloadBytes training data held by the workers, computed: features and labels as
 *     float32/int32 ({@code 4·dim + 4} bytes per row), all copies
 * @param cachedBytes training data held by the workers, measured: memory + disk size of the cached
 *     shard partitions as Spark's block manager reports them (deserialized Java objects), all copies
 * @param test per trial id, its score on held-out test rows from its last checkpoint (empty when
 *     the run had no test rows; failed trials absent)
 */
public record SelectionResult(
    String runDir,
    Map<String, String> spec,
    String procedure,
    Execution execution,
    Goal goal,
    List<Entry> leaderboard,
    List<RoundStats> rounds,
    List<UnitRecord> units,
    List<Long> shardRows,
    long payloadBytes,
    long cachedBytes,
    Map<Integer, TestScore> test) implements Serializable {

  /** Copies the collections (the spec keeps its order). */
  public SelectionResult {
    spec = Collections.unmodifiableMap(new LinkedHashMap<>(spec));
    leaderboard = List.copyOf(leaderboard);
    rounds = List.copyOf(rounds);
    units = List.copyOf(units);
    shardRows = List.copyOf(shardRows);
    test = Collections.unmodifiableMap(new LinkedHashMap<>(test));
  }

  /**
   * A trial's score on held-out test rows.
   *
   * @param rows test rows scored
   * @param accuracy fraction predicted correctly, in [0, 1]
   * @param loss mean cross-entropy (nats)
   * @param macroF1 unweighted mean over the labels present in the rows of per-label F1 (argmax
   *     predictions), in [0, 1]; NaN where not computed
   */
  public record TestScore(long rows, double accuracy, double loss, double macroF1) implements Serializable {
    /**
     * A score without macro-F1 (NaN).
     *
     * @param rows test rows scored
     * @param accuracy fraction predicted correctly
     * @param loss mean cross-entropy (nats)
     */
    public TestScore(long rows, double accuracy, double loss) {
      this(rows, accuracy, loss, Double.NaN);
    }
  }

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
      int trial, String config, int epochs, double metric, double valAccuracy, double valLoss, String status)
      implements Serializable {}

  /**
   * One round of the per-epoch template.
   *
   * @param round 0-based round
   * @param configs configs trained in the round
   * @param makespanMs wall time of the round's training, ms (a round job also validates inside; one
   *     job spanning several rounds, {@code EpochBlock}, counts its wall time in equal parts per round)
   * @param bytesMoved checkpoint bytes read + written by the round's units (and BSP averaging)
   */
  public record RoundStats(int round, int configs, long makespanMs, long bytesMoved) implements Serializable {}

  /** @return the best entry, or null if every trial failed */
  public Entry best() {
    return leaderboard.isEmpty() || Double.isNaN(leaderboard.get(0).metric()) ? null : leaderboard.get(0);
  }
}
