package org.argus.plan.mop;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a run directory recorded before a resume: completed epochs (fed back to the procedure as if
 * they had just run) and successful unit queries (the shards a config already visited in an epoch
 * that did not complete, with their checkpoints and training metrics).
 */
public final class Replay {
  /** Nothing recorded: a fresh run. */
  public static final Replay NONE = new Replay(List.of(), List.of());

  private final Map<String, EpochRecord> epochs = new HashMap<>();
  private final Map<String, List<UnitRecord>> units = new HashMap<>();

  /**
   * @param epochs the {@code epochs} table (a later row for the same trial and epoch wins)
   * @param units the {@code units} table; failed attempts are ignored
   */
  public Replay(List<EpochRecord> epochs, List<UnitRecord> units) {
    for (EpochRecord e : epochs) {
      this.epochs.put(e.trial() + "/" + e.epoch(), e);
    }
    for (UnitRecord u : units) {
      if (u.error() == null) {
        this.units.computeIfAbsent(u.trial() + "/" + u.epoch(), k -> new ArrayList<>()).add(u);
      }
    }
    // completion order (stable: ties keep the table's order)
    this.units.values().forEach(l -> l.sort(Comparator.comparingLong(UnitRecord::endMs)));
  }

  /**
   * @param trial trial id
   * @param epoch 1-based epoch
   * @return the recorded epoch, if it completed
   */
  public Optional<EpochRecord> epoch(int trial, int epoch) {
    return Optional.ofNullable(epochs.get(trial + "/" + epoch));
  }

  /**
   * @param trial trial id
   * @param epoch 1-based epoch
   * @return its successful units in completion order (empty if none)
   */
  public List<UnitRecord> units(int trial, int epoch) {
    return List.copyOf(units.getOrDefault(trial + "/" + epoch, List.of()));
  }
}
