package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.argus.select.space.Config;

/** Bookkeeping shared by the procedures: trials, epochs done, last metric, stop reasons. */
abstract class BaseProcedure implements Procedure {
  final Goal goal;
  final List<Trial> trials = new ArrayList<>();
  final List<Integer> epochsDone = new ArrayList<>();
  final List<Double> lastMetric = new ArrayList<>();
  final List<Map<Integer, Double>> metricAt = new ArrayList<>();
  final Map<Integer, String> stoppedNow = new LinkedHashMap<>();
  final List<Boolean> stopped = new ArrayList<>();

  BaseProcedure(Goal goal) {
    this.goal = Objects.requireNonNull(goal, "goal");
  }

  @Override
  public Goal goal() {
    return goal;
  }

  @Override
  public List<Trial> trials() {
    return List.copyOf(trials);
  }

  Trial add(Config c, int bracket) {
    Trial t = new Trial(trials.size(), c, bracket);
    trials.add(t);
    epochsDone.add(0);
    lastMetric.add(Double.NaN);
    metricAt.add(new LinkedHashMap<>());
    stopped.add(false);
    return t;
  }

  void stop(int id, String reason) {
    if (!stopped.get(id)) {
      stopped.set(id, true);
      stoppedNow.put(id, reason);
    }
  }

  /** Records results; failed trials are stopped. */
  void record(List<EpochResult> results) {
    for (EpochResult r : results) {
      if (r.trial() < 0 || r.trial() >= trials.size()) {
        throw new IllegalArgumentException(
            "result for unknown trial " + r.trial() + "; trials 0.." + (trials.size() - 1));
      }
      epochsDone.set(r.trial(), r.epochs());
      double m = r.failed() != null ? Double.NaN : r.metric();
      lastMetric.set(r.trial(), m);
      metricAt.get(r.trial()).put(r.epochs(), m);
      if (r.failed() != null) {
        stop(r.trial(), r.failed());
      }
    }
  }

  Round emit(List<Trial> train) {
    return emit(train, 1);
  }

  /** @param decided rounds, this one included, that train exactly {@code train} (see {@link Round}) */
  Round emit(List<Trial> train, int decided) {
    Round r = new Round(train, stoppedNow, train.isEmpty() ? 1 : decided);
    stoppedNow.clear();
    return r;
  }

  /** @return ids sorted best first by the metric at {@code epochs} (ties: lower id first) */
  List<Integer> rank(List<Integer> ids, int epochs) {
    List<Integer> out = new ArrayList<>(ids);
    out.sort(
        (a, b) -> {
          double ka = goal.key(metricAt.get(a).getOrDefault(epochs, Double.NaN));
          double kb = goal.key(metricAt.get(b).getOrDefault(epochs, Double.NaN));
          int c = Double.compare(kb, ka);
          return c != 0 ? c : Integer.compare(a, b);
        });
    return out;
  }
}
