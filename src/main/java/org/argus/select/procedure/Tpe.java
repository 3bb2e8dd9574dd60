package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.argus.select.space.Config;
import org.argus.select.space.Domain;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;

/**
 * The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio, Kégl, "Algorithms for
 * Hyper-Parameter Optimization", NeurIPS 2011, §4), with hyperopt's and Optuna's defaults, as a
 * procedure on the per-epoch template: every trial trains {@code epochs} epochs (as random search);
 * the procedure keeps {@code parallelism} trials training (the worker slots MOP fills) and proposes
 * a new config whenever a trial finishes, until {@code n} trials were proposed.
 *
 * <p><b>Proposal.</b> While fewer than {@code startup} trials have finished, configs are drawn by
 * the space's own {@link SearchSpace#sampler(long) sampler}, so they are exactly random search's
 * first configs for the same seed. After that: the finished trials are ranked by the goal's metric
 * at their last epoch (failed and diverged trials rank last), the best {@code ⌈γ·n_finished⌉} (γ =
 * 0.25, the paper's quantile split; never a failed trial) are the good ones and the others the bad
 * ones; each hyperparameter gets a {@link ParzenEstimator} {@code l(x)} over the good values and
 * {@code g(x)} over the bad ones; 24 candidates are drawn from {@code l} and ranked by {@code log
 * l(x) − log g(x)} (expected improvement is monotone in {@code l/g}, §4.1). As in hyperopt and
 * Optuna's default (independent) sampler, each hyperparameter picks its own best candidate.
 *
 * <p><b>Batches.</b> Trials still training count as bad observations when a proposal is made
 * (Optuna's "constant liar" with the worst value), which pushes later proposals of the same batch
 * away from them; and a proposal never equals the config of a trial still training: if the best
 * combination does, the next best combination of the candidates (best-first over the sum of the
 * hyperparameters' scores) is taken. Only when every combination of the candidates is taken — a
 * space with fewer configs than the batch — can a batch repeat a config.
 *
 * <p><b>Startup.</b> Default 10 ({@link #DEFAULT_STARTUP}, Optuna's {@code n_startup_trials};
 * hyperopt uses 20): with the trial budgets of model selection (tens of configs, each trained for
 * several epochs) 20 random trials would leave little for the model, and 10 finished trials give
 * TPE's split 3 good ones. With {@code parallelism} above {@code startup} the first batch is random
 * in full (no trial has finished yet).
 *
 * <p><b>Determinism.</b> The i-th random trial is the sampler's i-th draw from {@code seed}; the
 * candidates of TPE trial {@code id} for hyperparameter {@code h} come from {@code
 * SplittableRandom(Seeds.split(seed, "tpe:" + h, id))}. Everything else is a function of the results
 * fed in, so replaying recorded results (resume) proposes the same trials.
 */
public final class Tpe extends BaseProcedure {
  /** Random trials before the model is used, unless given (Optuna's {@code n_startup_trials}). */
  public static final int DEFAULT_STARTUP = 10;

  /** Fraction of the finished trials that are the good ones (the paper's γ quantile). */
  public static final double GAMMA = 0.25;

  /** Candidates drawn from {@code l(x)} per hyperparameter (hyperopt's and Optuna's {@code n_ei_candidates}). */
  public static final int CANDIDATES = 24;

  private final SearchSpace space;
  private final int n;
  private final int startup;
  private final int epochs;
  private final int parallelism;
  private final long seed;
  private final SearchSpace.Sampler sampler;
  private final Set<Integer> running = new TreeSet<>();
  private final Set<Integer> finished = new TreeSet<>();

  /**
   * @param space the space to search (any domains; {@code choice} of strings or numbers included)
   * @param n trials in total, {@code >= 1}
   * @param startup random trials first, {@code >= 1} (see the class comment)
   * @param epochs epochs per trial, {@code >= 1}
   * @param parallelism trials kept training at once, {@code >= 1} (use the worker slots)
   * @param seed run seed
   * @param goal selection goal
   * @throws IllegalArgumentException for an out-of-range argument
   * @throws NullPointerException for a null space or goal
   */
  public Tpe(SearchSpace space, int n, int startup, int epochs, int parallelism, long seed, Goal goal) {
    super(goal);
    if (n < 1 || startup < 1 || epochs < 1 || parallelism < 1) {
      throw new IllegalArgumentException("tpe: n must be >= 1, startup >= 1, epochs >= 1, parallelism >= 1; found n="
          + n + ", startup=" + startup + ", epochs=" + epochs + ", parallelism=" + parallelism);
    }
    this.space = Objects.requireNonNull(space, "space");
    this.n = n;
    this.startup = startup;
    this.epochs = epochs;
    this.parallelism = parallelism;
    this.seed = seed;
    this.sampler = space.sampler(seed);
  }

  @Override
  public String name() {
    return "tpe(n=" + n + ",startup=" + startup + ",epochs=" + epochs + ")";
  }

  @Override
  public Round next(List<EpochResult> results) {
    record(results);
    results.forEach(r -> retireIfDone(r.trial()));
    while (running.size() < parallelism && trials.size() < n) {
      Config c = finished.size() < startup ? sampler.next() : propose(trials.size());
      running.add(add(c, -1).id());
    }
    return emit(running.stream().map(trials::get).toList());
  }

  /** Moves a trial that trained all its epochs, or failed, from training to finished. */
  private void retireIfDone(int id) {
    if (!stopped.get(id) && epochsDone.get(id) >= epochs) {
      stop(id, "finished " + epochs + " epochs");
    }
    if (stopped.get(id) && running.remove(id)) {
      finished.add(id);
    }
  }

  /** TPE's proposal for trial {@code id}, given the finished trials and those still training. */
  private Config propose(int id) {
    List<Integer> ranked = rank(new ArrayList<>(finished), epochs);
    long ok = ranked.stream().filter(t -> !Double.isNaN(lastMetric.get(t))).count();
    int good = (int) Math.min(ok, (long) Math.ceil(GAMMA * ranked.size()));
    List<Integer> below = ranked.subList(0, good).stream().sorted().toList();
    List<Integer> above = new ArrayList<>(ranked.subList(good, ranked.size()));
    above.addAll(running); // constant liar: still training = worst value
    above.sort(null);
    List<String> names = List.copyOf(space.domains().keySet());
    List<List<Scored>> perName = new ArrayList<>();
    for (String h : names) {
      Domain d = space.domains().get(h);
      ParzenEstimator l = ParzenEstimator.fit(d, values(below, h));
      ParzenEstimator g = ParzenEstimator.fit(d, values(above, h));
      SplittableRandom rng = new SplittableRandom(Seeds.split(seed, "tpe:" + h, id));
      Map<Object, Double> scores = new LinkedHashMap<>();
      for (int k = 0; k < CANDIDATES; k++) {
        Object x = l.sample(rng);
        scores.computeIfAbsent(x, v -> l.logDensity(v) - g.logDensity(v));
      }
      List<Scored> options = new ArrayList<>();
      scores.forEach((v, s) -> options.add(new Scored(v, s)));
      options.sort(Comparator.comparingDouble(Scored::score).reversed()); // stable: ties keep draw order
      perName.add(options);
    }
    Set<Config> taken = new HashSet<>();
    running.forEach(t -> taken.add(trials.get(t).config()));
    return bestUntaken(names, perName, taken);
  }

  private record Scored(Object value, double score) {}

  private List<Object> values(List<Integer> ids, String h) {
    return ids.stream().map(t -> trials.get(t).config().values().get(h)).toList();
  }

  /**
   * The best combination of the hyperparameters' candidates (sum of their scores) whose config is
   * not taken: best-first search over index vectors from all-zeros (every list is sorted best
   * first), each step advancing one index.
   */
  private static Config bestUntaken(List<String> names, List<List<Scored>> options, Set<Config> taken) {
    Comparator<int[]> byScore = Comparator.comparingDouble((int[] ix) -> -score(options, ix))
        .thenComparing(Arrays::compare);
    PriorityQueue<int[]> queue = new PriorityQueue<>(byScore);
    Set<List<Integer>> seen = new HashSet<>();
    int[] first = new int[names.size()];
    queue.add(first);
    seen.add(key(first));
    Config best = null;
    while (!queue.isEmpty()) {
      int[] ix = queue.poll();
      Map<String, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < ix.length; i++) {
        m.put(names.get(i), options.get(i).get(ix[i]).value());
      }
      Config c = new Config(m);
      if (best == null) {
        best = c;
      }
      if (!taken.contains(c)) {
        return c;
      }
      for (int i = 0; i < ix.length; i++) {
        if (ix[i] + 1 < options.get(i).size()) {
          int[] nx = ix.clone();
          nx[i]++;
          if (seen.add(key(nx))) {
            queue.add(nx);
          }
        }
      }
    }
    return best;
  }

  private static double score(List<List<Scored>> options, int[] ix) {
    double s = 0;
    for (int i = 0; i < ix.length; i++) {
      s += options.get(i).get(ix[i]).score();
    }
    return s;
  }

  private static List<Integer> key(int[] ix) {
    return Arrays.stream(ix).boxed().toList();
  }
}
