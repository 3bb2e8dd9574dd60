package org.argus.plan.mop;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.argus.select.space.Seeds;

/**
 * Each config's shard order within an epoch: a Latin-square schedule (Cerebro, VLDB 2020 §4.2).
 * For epoch {@code e}, a permutation π of the shards is drawn from {@code split(seed, "visits", e)}
 * and the round's configs are ranked by a shuffle drawn from {@code split(seed, "offsets", e)}; each
 * config gets an offset {@code o} in {@code [0, k)} and visits {@code π[(o + j) mod k]} at step
 * {@code j}. Configs with different offsets never want the same shard at the same step, so none waits
 * on another; fixing the order makes results independent of task timing, retries and resumes (same
 * seed ⇒ same visit order ⇒ same results).
 *
 * <p>Offsets: with more configs than shards, the configs of one offset queue for the same shard at
 * each step, so offsets are groups whose loads should match. The configs are taken by static unit
 * cost, costliest first (ties in rank order), each into the offset whose configs' costs sum least so
 * far (ties: the lowest offset): longest processing time first (Graham, "Bounds on multiprocessing
 * timing anomalies", SIAM J. Appl. Math. 1969). With equal costs this is {@code o = rank mod k}. With
 * one config as costly as the rest together (4 heads over layers of 768–5 120 features), it gets an
 * offset of its own, so at each step it has a shard to itself and the others share the other one;
 * with ranks alone it shared its shard with a narrower head in every epoch, and a round's units waited
 * on each other more ({@code bench/run fusion mop}, session 30). Costs are static (a function of the
 * config: {@link org.argus.runtime.train.TrainerFactory#unitCost}), never measured, so the orders stay
 * reproducible.
 */
final class VisitOrders {
  private VisitOrders() {}

  /**
   * @param seed run seed
   * @param epoch the 1-based epoch the config trains
   * @param shards number of shards {@code k >= 1}
   * @param roundTrials ids of every config in the round (any order; replayed ones included)
   * @param trial the config, one of {@code roundTrials}
   * @param sameOffset every config starts at offset 0 (sequential execution: one unit at a time)
   * @return the config's shard order, {@code k} distinct shards
   * @throws IllegalArgumentException if {@code trial} is not in {@code roundTrials} or {@code shards < 1}
   */
  static List<Integer> of(long seed, int epoch, int shards, List<Integer> roundTrials, int trial,
      boolean sameOffset) {
    return of(seed, epoch, shards, roundTrials, Map.of(), trial, sameOffset);
  }

  /**
   * @param seed run seed
   * @param epoch the 1-based epoch the config trains
   * @param shards number of shards {@code k >= 1}
   * @param roundTrials ids of every config in the round (any order; replayed ones included)
   * @param costs each config's static cost per unit, {@code > 0} (relative; a config not in the map
   *     costs 1)
   * @param trial the config, one of {@code roundTrials}
   * @param sameOffset every config starts at offset 0 (sequential execution: one unit at a time)
   * @return the config's shard order, {@code k} distinct shards
   * @throws IllegalArgumentException if {@code trial} is not in {@code roundTrials}, {@code shards <
   *     1}, or a cost is not a positive finite number
   */
  static List<Integer> of(long seed, int epoch, int shards, List<Integer> roundTrials, Map<Integer, Double> costs,
      int trial, boolean sameOffset) {
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be >= 1; found " + shards);
    }
    List<Integer> ids = new ArrayList<>(roundTrials);
    ids.sort(null);
    if (!ids.contains(trial)) {
      throw new IllegalArgumentException("trial " + trial + " is not in the round's trials " + ids);
    }
    List<Integer> pi = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      pi.add(s);
    }
    shuffle(pi, new SplittableRandom(Seeds.split(seed, "visits", epoch)));
    shuffle(ids, new SplittableRandom(Seeds.split(seed, "offsets", epoch)));
    int o = sameOffset ? 0 : offsets(ids, costs, shards).get(trial);
    List<Integer> seq = new ArrayList<>();
    for (int j = 0; j < shards; j++) {
      seq.add(pi.get((o + j) % shards));
    }
    return seq;
  }

  /**
   * Longest processing time first (see the class comment).
   *
   * @param ranked the round's configs in rank order
   * @param costs static costs (missing: 1)
   * @param shards offsets {@code k}
   * @return config → offset
   */
  static Map<Integer, Integer> offsets(List<Integer> ranked, Map<Integer, Double> costs, int shards) {
    List<Integer> byCost = new ArrayList<>(ranked);
    for (int id : byCost) {
      double c = costs.getOrDefault(id, 1.0);
      if (!(c > 0) || Double.isInfinite(c)) {
        throw new IllegalArgumentException("config " + id + "'s unit cost must be a positive finite number; found " + c);
      }
    }
    byCost.sort(Comparator.comparingDouble((Integer id) -> -costs.getOrDefault(id, 1.0))); // stable: rank on ties
    double[] load = new double[shards];
    Map<Integer, Integer> out = new HashMap<>();
    for (int id : byCost) {
      int least = 0;
      for (int o = 1; o < shards; o++) {
        least = load[o] < load[least] ? o : least;
      }
      load[least] += costs.getOrDefault(id, 1.0);
      out.put(id, least);
    }
    return out;
  }

  /** Fisher–Yates from the last element down, {@code r.nextInt(i + 1)} per step. */
  static void shuffle(List<Integer> l, SplittableRandom r) {
    for (int i = l.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      Integer t = l.get(i);
      l.set(i, l.get(j));
      l.set(j, t);
    }
  }
}
