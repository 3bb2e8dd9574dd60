package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.List;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;

/**
 * Grid and random search: a fixed set of configs, each trained for the same number of epochs
 * (diverged ones stop early). Create through {@link #grid} or {@link #random}. Nothing is decided
 * between epochs, so each round says how many rounds ahead it is decided ({@link Round#decided()}:
 * the fewest epochs any listed config has left).
 */
public final class FixedEpochs extends BaseProcedure {
  private final String name;
  private final int epochs;
  private final List<Config> configs;
  private boolean started;

  private FixedEpochs(String name, List<Config> configs, int epochs, Goal goal) {
    super(goal);
    if (configs.isEmpty()) {
      throw new IllegalArgumentException(name + ": the search space yields zero configs");
    }
    if (epochs < 1) {
      throw new IllegalArgumentException(name + ": epochs must be >= 1; found " + epochs);
    }
    this.name = name;
    this.configs = List.copyOf(configs);
    this.epochs = epochs;
  }

  /**
   * Explicit configs, each trained for {@code epochs} (e.g. the param maps of Spark's {@code
   * ParamGridBuilder}, which need not be a cartesian product).
   *
   * @param configs the configs, in trial order
   * @param epochs epochs per config, {@code >= 1}
   * @param goal selection goal
   * @return the procedure
   * @throws IllegalArgumentException for zero configs or {@code epochs < 1}
   */
  public static FixedEpochs of(List<Config> configs, int epochs, Goal goal) {
    return new FixedEpochs("configs(n=" + configs.size() + ", epochs=" + epochs + ")", configs, epochs, goal);
  }

  /**
   * Grid search over every combination of {@link SearchSpace#grid()}.
   *
   * @param space finite space
   * @param epochs epochs per config, {@code >= 1}
   * @param goal selection goal
   * @return the procedure
   * @throws IllegalArgumentException for a continuous domain or zero configs
   */
  public static FixedEpochs grid(SearchSpace space, int epochs, Goal goal) {
    return new FixedEpochs("grid(epochs=" + epochs + ")", space.grid(), epochs, goal);
  }

  /**
   * Random search: {@code n} configs drawn with {@link SearchSpace#sampler(long)}.
   *
   * @param space any space
   * @param n configs, {@code >= 1}
   * @param epochs epochs per config
   * @param seed run seed
   * @param goal selection goal
   * @return the procedure
   */
  public static FixedEpochs random(SearchSpace space, int n, int epochs, long seed, Goal goal) {
    if (n < 1) {
      throw new IllegalArgumentException("random search: n must be >= 1; found " + n);
    }
    SearchSpace.Sampler s = space.sampler(seed);
    List<Config> cs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      cs.add(s.next());
    }
    return new FixedEpochs("random(n=" + n + ",epochs=" + epochs + ")", cs, epochs, goal);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Round next(List<EpochResult> results) {
    if (!started) {
      started = true;
      configs.forEach(c -> add(c, -1));
    }
    record(results);
    List<Trial> train = new ArrayList<>();
    int decided = epochs;
    for (Trial t : trials) {
      if (stopped.get(t.id())) {
        continue;
      }
      if (epochsDone.get(t.id()) >= epochs) {
        stop(t.id(), "finished " + epochs + " epochs");
      } else {
        train.add(t);
        decided = Math.min(decided, epochs - epochsDone.get(t.id()));
      }
    }
    return emit(train, decided);
  }
}
