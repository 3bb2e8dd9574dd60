package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.List;
import org.argus.select.space.SearchSpace;

/**
 * Hyperband (Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization",
 * JMLR 18, 2018, Algorithm 1) with resource = epochs. {@code s_max = ⌊log_η R⌋}, {@code B = (s_max
 * + 1) R}; bracket {@code s} starts {@code n = ⌈(B/R) η^s/(s+1)⌉} configs at {@code r = R η^-s}
 * epochs and runs successive halving: rung {@code i} trains {@code n_i = ⌊n η^-i⌋} configs to
 * {@code r_i = r η^i} epochs (rounded, at least 1) and keeps the top {@code ⌊n_i/η⌋}.
 *
 * <p>On the per-epoch template trials train epoch by epoch; a rung's cut happens once every live
 * member reached {@code r_i}. Brackets are independent, so all run concurrently (more configs per
 * epoch for MOP to hop); results equal running them one after another. Configs are drawn bracket
 * by bracket ({@code s = s_max … 0}) from one {@link SearchSpace.Sampler}. A round is decided until
 * the first of its trials reaches its rung's epochs ({@link Round#decided()}).
 */
public final class Hyperband extends BaseProcedure {
  private final int maxEpochs;
  private final int eta;
  private final List<Bracket> brackets = new ArrayList<>();
  private final SearchSpace space;
  private final long seed;
  private boolean started;

  private static final class Bracket {
    final int s;
    final int n;
    int rung;
    List<Integer> members = new ArrayList<>();
    boolean done;

    Bracket(int s, int n) {
      this.s = s;
      this.n = n;
    }
  }

  /**
   * @param space the space to sample
   * @param maxEpochs R, the most epochs any config gets, {@code >= 1}
   * @param eta η, the halving rate, {@code >= 2}
   * @param seed run seed (config sampling)
   * @param goal selection goal
   * @throws IllegalArgumentException for R < 1 or η < 2
   */
  public Hyperband(SearchSpace space, int maxEpochs, int eta, long seed, Goal goal) {
    super(goal);
    if (maxEpochs < 1) {
      throw new IllegalArgumentException("hyperband: R (max epochs) must be >= 1; found " + maxEpochs);
    }
    if (eta < 2) {
      throw new IllegalArgumentException("hyperband: eta must be >= 2; found " + eta);
    }
    this.space = space;
    this.maxEpochs = maxEpochs;
    this.eta = eta;
    this.seed = seed;
  }

  /**
   * @param maxEpochs R
   * @param eta η
   * @return {@code s_max = ⌊log_η R⌋}, computed in integers
   */
  public static int sMax(int maxEpochs, int eta) {
    int s = 0;
    long p = eta;
    while (p <= maxEpochs) {
      s++;
      p *= eta;
    }
    return s;
  }

  /**
   * @param s bracket
   * @param i rung
   * @return epochs of rung {@code i} in bracket {@code s}: {@code max(1, round(R η^(i-s)))}
   */
  public int epochsAt(int s, int i) {
    return (int) Math.max(1, Math.round(maxEpochs * Math.pow(eta, i - s)));
  }

  /**
   * @param s bracket
   * @return the number of configs bracket {@code s} starts with
   */
  public int configsIn(int s) {
    int sMax = sMax(maxEpochs, eta);
    double b = (sMax + 1.0) * maxEpochs;
    return (int) Math.ceil(b / maxEpochs * Math.pow(eta, s) / (s + 1) - 1e-9);
  }

  @Override
  public String name() {
    return "hyperband(R=" + maxEpochs + ",eta=" + eta + ")";
  }

  @Override
  public Round next(List<EpochResult> results) {
    if (!started) {
      started = true;
      SearchSpace.Sampler sampler = space.sampler(seed);
      for (int s = sMax(maxEpochs, eta); s >= 0; s--) {
        Bracket b = new Bracket(s, configsIn(s));
        for (int k = 0; k < b.n; k++) {
          b.members.add(add(sampler.next(), s).id());
        }
        brackets.add(b);
      }
    }
    record(results);
    List<Trial> train = new ArrayList<>();
    int decided = Integer.MAX_VALUE; // no bracket decides before its trials behind reach the rung's epochs
    for (Bracket b : brackets) {
      while (!b.done) {
        int target = epochsAt(b.s, b.rung);
        List<Integer> live = b.members.stream().filter(id -> !stopped.get(id)).toList();
        List<Integer> behind = live.stream().filter(id -> epochsDone.get(id) < target).toList();
        if (!behind.isEmpty()) {
          for (int id : behind) {
            train.add(trials.get(id));
            decided = Math.min(decided, target - epochsDone.get(id));
          }
          break;
        }
        int ni = b.n;
        for (int k = 0; k < b.rung; k++) {
          ni /= eta;
        }
        if (b.rung == b.s || live.isEmpty()) {
          live.forEach(
              id -> stop(id, "bracket s=" + b.s + " finished at " + target + " epochs"));
          b.done = true;
          break;
        }
        int keep = ni / eta;
        List<Integer> ranked = rank(b.members, target);
        List<Integer> kept = new ArrayList<>();
        for (int id : ranked) {
          if (kept.size() < keep && !stopped.get(id)) {
            kept.add(id);
          } else {
            stop(
                id,
                "bracket s="
                    + b.s
                    + " rung "
                    + b.rung
                    + ": not in top "
                    + keep
                    + " of "
                    + ni
                    + " at "
                    + target
                    + " epochs");
          }
        }
        b.members = kept;
        b.rung++;
      }
    }
    return emit(train, decided);
  }
}
