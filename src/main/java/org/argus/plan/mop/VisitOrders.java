package org.argus.plan.mop;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.argus.select.space.Seeds;

/**
 * Each config's shard order within an epoch: a Latin-square schedule (Cerebro, VLDB 2020 §4.2).
 * For epoch {@code e}, a permutation π of the shards is drawn from {@code split(seed, "visits", e)}
 * and the round's configs are ranked by a shuffle drawn from {@code split(seed, "offsets", e)}; the
 * config of rank {@code r} has offset {@code o = r mod k} and visits {@code π[(o + j) mod k]} at step
 * {@code j}. Configs with different offsets never want the same shard at the same step, so none waits
 * on another; fixing the order makes results independent of task timing, retries and resumes (same
 * seed ⇒ same visit order ⇒ same results).
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
    int o = sameOffset ? 0 : ids.indexOf(trial) % shards;
    List<Integer> seq = new ArrayList<>();
    for (int j = 0; j < shards; j++) {
      seq.add(pi.get((o + j) % shards));
    }
    return seq;
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
