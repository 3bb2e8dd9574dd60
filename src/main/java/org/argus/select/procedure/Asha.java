package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.argus.select.space.SearchSpace;

/**
 * Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning", MLSys 2020, Algorithm 2) with minimum resource r = 1 epoch, reduction factor η, maximum
 * resource R epochs and early-stopping rate s = 0: rung {@code k} trains to {@code η^k} epochs for
 * {@code k = 0 … ⌊log_η R⌋}, as in the paper's rungs {@code r·η^(k+s)}. When R is not a power of η
 * the top rung is the largest power not above R, and no trial trains beyond it (R = 10, η = 3:
 * rungs 1, 3, 9). Whenever a slot frees, {@code get_job} scans rungs from the top down for a config
 * in the top {@code ⌊|rung k|/η⌋} not yet promoted and promotes it; otherwise it samples a new config
 * (up to {@code maxTrials}).
 *
 * <p>On the per-epoch template, a round keeps {@code parallelism} trials training (the worker slots
 * MOP fills); a trial that reaches its rung's epochs pauses until promoted, then continues from its
 * checkpoint. Paused trials that are never promoted are stopped when the procedure ends.
 */
public final class Asha extends BaseProcedure {
  private final int maxEpochs;
  private final int eta;
  private final int maxTrials;
  private final int parallelism;
  private final List<Integer> resources = new ArrayList<>();
  private final List<List<Integer>> rungs = new ArrayList<>();
  private final List<Set<Integer>> promoted = new ArrayList<>();
  private final List<Integer> target = new ArrayList<>();
  private final Set<Integer> running = new HashSet<>();
  private final SearchSpace.Sampler sampler;

  /**
   * @param space the space to sample
   * @param maxEpochs R, {@code >= 1}: the top rung is the largest power of η not above it
   * @param eta η, {@code >= 2}
   * @param maxTrials configs to sample at most, {@code >= 1}
   * @param parallelism trials kept training per round, {@code >= 1} (use the worker slots)
   * @param seed run seed
   * @param goal selection goal
   * @throws IllegalArgumentException for out-of-range arguments
   */
  public Asha(
      SearchSpace space, int maxEpochs, int eta, int maxTrials, int parallelism, long seed, Goal goal) {
    super(goal);
    if (maxEpochs < 1 || eta < 2 || maxTrials < 1 || parallelism < 1) {
      throw new IllegalArgumentException(
          "asha: need R >= 1, eta >= 2, maxTrials >= 1, parallelism >= 1; found R="
              + maxEpochs
              + ", eta="
              + eta
              + ", maxTrials="
              + maxTrials
              + ", parallelism="
              + parallelism);
    }
    this.maxEpochs = maxEpochs;
    this.eta = eta;
    this.maxTrials = maxTrials;
    this.parallelism = parallelism;
    this.sampler = space.sampler(seed);
    for (long r = 1; r <= maxEpochs; r *= eta) {
      resources.add((int) r);
    }
    for (int k = 0; k < resources.size(); k++) {
      rungs.add(new ArrayList<>());
      promoted.add(new HashSet<>());
    }
  }

  /** @return epochs of each rung, bottom first: {@code 1, η, η², …} up to the largest not above R */
  public List<Integer> rungEpochs() {
    return List.copyOf(resources);
  }

  @Override
  public String name() {
    return "asha(R=" + maxEpochs + ",eta=" + eta + ",maxTrials=" + maxTrials + ")";
  }

  @Override
  public Round next(List<EpochResult> results) {
    record(results);
    int top = resources.size() - 1;
    for (EpochResult r : results) {
      int id = r.trial();
      if (stopped.get(id)) {
        running.remove(id);
        continue;
      }
      int k = target.get(id);
      if (epochsDone.get(id) >= resources.get(k)) {
        rungs.get(k).add(id);
        running.remove(id);
        if (k == top) {
          stop(id, "finished top rung at " + resources.get(k) + " epochs");
        }
      }
    }
    while (running.size() < parallelism) {
      if (!getJob()) {
        break;
      }
    }
    if (running.isEmpty()) {
      for (int k = 0; k < top; k++) {
        for (int id : rungs.get(k)) {
          if (!promoted.get(k).contains(id)) {
            stop(id, "not promoted from rung " + k + " (" + resources.get(k) + " epochs)");
          }
        }
      }
    }
    List<Trial> train = running.stream().sorted().map(trials::get).toList();
    return emit(train);
  }

  private boolean getJob() {
    for (int k = resources.size() - 2; k >= 0; k--) {
      List<Integer> rung = rungs.get(k);
      int quota = rung.size() / eta;
      List<Integer> ranked = rank(rung, resources.get(k));
      for (int i = 0; i < quota; i++) {
        int id = ranked.get(i);
        if (!promoted.get(k).contains(id) && !stopped.get(id)) {
          promoted.get(k).add(id);
          target.set(id, k + 1);
          running.add(id);
          return true;
        }
      }
    }
    if (trials.size() < maxTrials) {
      Trial t = add(sampler.next(), -1);
      target.add(0);
      running.add(t.id());
      return true;
    }
    return false;
  }
}
