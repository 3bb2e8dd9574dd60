package org.argus.select.space;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hyperparameter names → {@link Domain}s, in declaration order. Parse one with {@link
 * #parse(String)}, e.g. {@code lr=loguniform(1e-4,1e-2);batch=choice(32,128);width=choice(64,256)}.
 *
 * <p>Sampling: each hyperparameter has its own stream, seeded by {@link Seeds#split(long, String,
 * long) split(seed, name, 0)}, so adding or reordering hyperparameters never changes the values
 * drawn for the others (Tribuo-style split streams).
 *
 * @param domains the domains by name (at least one)
 */
public record SearchSpace(Map<String, Domain> domains) {
  /** Copies, keeping order. */
  public SearchSpace {
    if (domains == null || domains.isEmpty()) {
      throw new IllegalArgumentException("a search space needs at least one hyperparameter");
    }
    domains = Collections.unmodifiableMap(new LinkedHashMap<>(domains));
  }

  /**
   * Parses {@code name=fn(args);…}. Functions: {@code choice(v,…)} (numbers or bare/quoted
   * strings), {@code uniform(lo,hi)}, {@code loguniform(lo,hi)}, {@code quniform(lo,hi,q)}, {@code
   * randint(lo,hi)} (inclusive). A bare value {@code name=v} means {@code choice(v)}. Whitespace is
   * ignored.
   *
   * @param text the space
   * @return the space
   * @throws SpaceParseException naming the position of the first error (empty text, unknown
   *     function, wrong arity, bad number, duplicate name, invalid bounds)
   */
  public static SearchSpace parse(String text) {
    return new SpaceParser(text == null ? "" : text).parse();
  }

  /** @return every combination of the grid values (last name varies fastest) */
  public List<Config> grid() {
    List<Map<String, Object>> acc = new ArrayList<>();
    acc.add(new LinkedHashMap<>());
    for (Map.Entry<String, Domain> e : domains.entrySet()) {
      List<Object> vals =
          e.getValue()
              .gridValues()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "grid search needs finite domains; "
                              + e.getKey()
                              + "="
                              + e.getValue()
                              + " is continuous (use choice, randint or quniform)"));
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> partial : acc) {
        for (Object v : vals) {
          Map<String, Object> m = new LinkedHashMap<>(partial);
          m.put(e.getKey(), v);
          next.add(m);
        }
      }
      acc = next;
    }
    return acc.stream().map(Config::new).toList();
  }

  /**
   * @param seed the run's seed
   * @return a sampler drawing configs; the i-th draw depends only on seed and i's predecessors of
   *     the same hyperparameter
   */
  public Sampler sampler(long seed) {
    return new Sampler(this, seed);
  }

  /** Draws configs with one independent stream per hyperparameter. Not thread-safe. */
  public static final class Sampler {
    private final SearchSpace space;
    private final Map<String, SplittableRandom> streams = new LinkedHashMap<>();

    Sampler(SearchSpace space, long seed) {
      this.space = space;
      for (String name : space.domains.keySet()) {
        streams.put(name, new SplittableRandom(Seeds.split(seed, name, 0)));
      }
    }

    /** @return the next config */
    public Config next() {
      Map<String, Object> m = new LinkedHashMap<>();
      space.domains.forEach((n, d) -> m.put(n, d.sample(streams.get(n))));
      return new Config(m);
    }
  }

  /** @return the canonical string form, parseable by {@link #parse(String)} */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    domains.forEach((n, d) -> parts.add(n + "=" + d));
    return String.join(";", parts);
  }
}
