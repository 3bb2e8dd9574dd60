package org.argus.surfaces.ml;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.execution.mop.SelectionResult;
import org.argus.plan.mop.EpochRecord;
import org.argus.store.RunDirectory;

/**
 * What a {@link ModelSelector} run reports, small enough to keep in the fitted model and its saved
 * directory: the leaderboard and every config's metrics per epoch.
 *
 * @param runDir the run directory (checkpoints and the full run tables)
 * @param bestTrial the best config's trial id
 * @param leaderboard trials best first: {@code trial, config, epochs, metric, valAccuracy, valLoss, status}
 * @param epochs per trial and epoch: {@code trial, epoch, config, trainLoss, valLoss, valAccuracy}
 */
record SelectionTables(String runDir, int bestTrial, List<Entry> leaderboard, List<Epoch> epochs) {
  /**
   * A leaderboard row.
   *
   * @param trial id
   * @param config the config, {@code name=value,…}
   * @param epochs epochs trained
   * @param metric the goal metric at its last epoch
   * @param valAccuracy held-out accuracy at its last epoch
   * @param valLoss held-out mean cross-entropy (nats) at its last epoch
   * @param status why it stopped
   */
  record Entry(int trial, String config, int epochs, double metric, double valAccuracy, double valLoss,
      String status) {}

  /**
   * One config's metrics after one epoch.
   *
   * @param trial id
   * @param epoch 1-based epoch
   * @param config the config
   * @param trainLoss mean training cross-entropy of the epoch (nats)
   * @param valLoss held-out mean cross-entropy (nats)
   * @param valAccuracy held-out accuracy in [0, 1]
   */
  record Epoch(int trial, int epoch, String config, double trainLoss, double valLoss, double valAccuracy) {}

  SelectionTables {
    leaderboard = List.copyOf(leaderboard);
    epochs = List.copyOf(epochs);
  }

  /**
   * @param r a finished run with a best config
   * @return its tables
   * @throws IllegalStateException when the epoch table cannot be read
   */
  static SelectionTables of(SelectionResult r) {
    List<Entry> board = new ArrayList<>();
    for (SelectionResult.Entry e : r.leaderboard()) {
      board.add(new Entry(e.trial(), e.config(), e.epochs(), e.metric(), e.valAccuracy(), e.valLoss(), e.status()));
    }
    List<Epoch> epochs = new ArrayList<>();
    try {
      for (EpochRecord e : new RunDirectory(r.runDir()).readEpochs()) {
        if (e.failed() == null || e.failed().isEmpty()) {
          epochs.add(new Epoch(e.trial(), e.epoch(), e.config(), e.trainLoss(), e.valLoss(), e.valAccuracy()));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the epoch table of " + r.runDir() + ": " + e.getMessage(), e);
    }
    epochs.sort((a, b) -> a.trial() != b.trial() ? Integer.compare(a.trial(), b.trial())
        : Integer.compare(a.epoch(), b.epoch()));
    return new SelectionTables(r.runDir(), r.best().trial(), board, epochs);
  }

  /**
   * Parses a config as the run tables print it ({@code name=value,…}): integers as {@code
   * Integer}, other numbers as {@code Double}, the rest as strings. Doubles are printed with six
   * significant digits, so a continuous draw comes back rounded; the architecture values ({@code
   * width}, {@code depth}, {@code filters}) are integers and exact.
   *
   * @param config the printed config
   * @return name → value
   */
  static Map<String, Object> parseConfig(String config) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String part : config.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String k = part.substring(0, eq).trim();
      String v = part.substring(eq + 1).trim();
      Object value;
      if (v.matches("-?\\d+")) {
        value = Integer.parseInt(v);
      } else {
        try {
          value = Double.parseDouble(v);
        } catch (NumberFormatException e) {
          value = v;
        }
      }
      m.put(k, value);
    }
    return m;
  }
}
