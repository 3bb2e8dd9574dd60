package org.argus.plan.mop;

import org.argus.runtime.train.Metrics;
import org.argus.select.procedure.Trial;

/** One config's progress on the driver (mutable; owned by {@link SelectionState}). */
final class TrialState {
  final Trial trial;
  final long seed;
  /** The config's current checkpoint (null: not trained yet). */
  String ckpt;
  /** Epochs completed. */
  int epochs;
  /** Why the config failed, or null. */
  String failed;
  /** Training metrics of the epoch in progress. */
  Metrics trainMetrics = Metrics.EMPTY;
  /** Its last completed epoch, or null. */
  EpochRecord last;

  TrialState(Trial trial, long seed) {
    this.trial = trial;
    this.seed = seed;
  }

  int id() {
    return trial.id();
  }

  /** Counts a successful unit's training metrics; a non-finite loss fails the config. */
  void trained(UnitRecord r) {
    trainMetrics = trainMetrics.plus(r.metrics());
    if (r.metrics().diverged()) {
      failed = "diverged: NaN loss in epoch " + r.epoch();
    }
  }
}
