package org.argus.plan.mop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.argus.select.space.Seeds;

/**
 * The driver-side scheduler of one round of the per-epoch template (Cerebro, VLDB 2020 §4.2): every
 * config of the round visits every shard once (or, task-parallel, trains one unit on any replica).
 * Driven by its runner: {@link #assign()} gives the unit queries to start now, {@link #finished}
 * reports each outcome, until {@link #inFlight()} is 0 after an {@code assign()}.
 *
 * <p>Placement: the free shards are taken in a random order (stream {@code split(seed, "schedule",
 * round)}); each gets an idle config whose next shard it is in the config's {@link VisitOrders
 * visit order}, the one with the most remaining work in the round (remaining units × its mean
 * measured unit time; configs not yet measured count the mean over all), ties at random. Longest
 * remaining work first keeps the round's tail short (list scheduling, Graham, "Bounds on
 * multiprocessing timing anomalies", SIAM J. Appl. Math. 1969). So a config is in one place at a time,
 * a shard runs one unit at a time, units are never preempted, and results do not depend on task
 * timing: the scheduler decides when a unit runs, never a config's visit order.
 *
 * <p>Failures: a failed unit is retried at once from its unchanged input checkpoint until {@code
 * maxAttempts} tries, then the config fails with the reason and leaves the round; a unit with a
 * non-finite training loss fails its config (diverged). Not thread-safe: one runner thread calls it.
 */
public final class RoundScheduler {
  /**
   * How a round places its unit queries.
   *
   * @param seed run seed
   * @param shards shards (worker slots) {@code k >= 1}
   * @param concurrency units in flight at most, {@code >= 1} (MOP: k; sequential: 1)
   * @param perShard every config visits every shard (MOP, sequential); false: one unit per config
   *     on any free replica (task-parallel)
   * @param sameOffset every config starts its visit order at offset 0 (sequential)
   * @param maxAttempts tries per unit, {@code >= 1}
   */
  public record Settings(long seed, int shards, int concurrency, boolean perShard, boolean sameOffset,
      int maxAttempts) {
    /**
     * @throws IllegalArgumentException if {@code shards}, {@code concurrency} or {@code
     *     maxAttempts} is below 1
     */
    public Settings {
      if (shards < 1 || concurrency < 1 || maxAttempts < 1) {
        throw new IllegalArgumentException("round settings need shards, concurrency and maxAttempts >= 1; found "
            + shards + ", " + concurrency + ", " + maxAttempts);
      }
    }
  }

  private final Settings settings;
  private final UnitTimes times;
  private final Map<Integer, TrialState> byId = new HashMap<>();
  private final Map<Integer, Set<Integer>> remaining = new LinkedHashMap<>();
  private final Map<Integer, List<Integer>> order = new HashMap<>();
  private final Set<Integer> freeShards = new HashSet<>();
  private final Set<Integer> idle = new HashSet<>();
  private final SplittableRandom rng;
  private final List<Integer> roundTrials;
  private int inFlight;

  RoundScheduler(Settings settings, int round, List<TrialState> todo, List<Integer> roundTrials,
      Map<Integer, Set<Integer>> doneShards, UnitTimes times) {
    this.settings = settings;
    this.times = times;
    this.roundTrials = List.copyOf(roundTrials);
    for (TrialState st : todo) {
      Set<Integer> need = new HashSet<>();
      for (int s = 0; s < settings.shards(); s++) {
        if (st.failed == null && !doneShards.getOrDefault(st.id(), Set.of()).contains(s)) {
          need.add(s);
        }
      }
      remaining.put(st.id(), need);
      byId.put(st.id(), st);
      order.put(st.id(), VisitOrders.of(settings.seed(), st.epochs + 1, settings.shards(), roundTrials, st.id(),
          settings.sameOffset()));
    }
    for (int s = 0; s < settings.shards(); s++) {
      freeShards.add(s);
    }
    idle.addAll(remaining.keySet());
    rng = new SplittableRandom(Seeds.split(settings.seed(), "schedule", round));
  }

  /**
   * Gives the free shards new work (see the class comment).
   *
   * @return the unit queries to start now, in order (empty when nothing can start)
   */
  public List<Unit> assign() {
    List<Integer> free = new ArrayList<>(freeShards);
    free.sort(null);
    VisitOrders.shuffle(free, rng);
    List<Unit> out = new ArrayList<>();
    for (int s : free) {
      if (inFlight >= settings.concurrency()) {
        break;
      }
      List<Integer> cands = new ArrayList<>();
      for (int id : idle) {
        boolean wants = settings.perShard() ? nextShard(id) == s : !remaining.get(id).isEmpty();
        if (wants) {
          cands.add(id);
        }
      }
      if (cands.isEmpty()) {
        continue;
      }
      cands.sort(null);
      int id = pick(cands);
      TrialState st = byId.get(id);
      idle.remove(id);
      freeShards.remove(s);
      inFlight++;
      out.add(Unit.hop(id, st.epochs + 1, s, st.ckpt));
    }
    return out;
  }

  /**
   * Reports a finished attempt.
   *
   * @param unit the unit as assigned (or retried)
   * @param record its outcome: {@code error} null on success
   * @return the retry to start at once when the attempt failed and tries are left
   * @throws IllegalArgumentException if the unit is not one of this round's configs
   */
  public Optional<Unit> finished(Unit unit, UnitRecord record) {
    if (!byId.containsKey(unit.trial())) {
      throw new IllegalArgumentException("unit of trial " + unit.trial() + " is not in this round " + byId.keySet());
    }
    inFlight--;
    Optional<Unit> retry = applied(unit, record);
    if (retry.isPresent()) {
      inFlight++;
      return retry;
    }
    freeShards.add(unit.shard());
    idle.add(unit.trial());
    return Optional.empty();
  }

  /**
   * The remaining hops of this round and of the next {@code epochs - 1} rounds, as one round job
   * runs them (MOP only), for when the procedure has decided those rounds already ({@code
   * Round#decided()}): every config of this round trains {@code epochs} more epochs, each later epoch
   * visiting every shard in the visit order the per-epoch path would give it (same seed, same round
   * trials: valid as long as no config fails before the last of them). Per shard, units are ordered
   * by epoch, then step in the visit order, then longest unit time, then trial id; a config's first
   * unit of an epoch reads its last checkpoint of the epoch before (and its first unit of the round
   * reads its current checkpoint), so every unit's predecessor comes earlier in that order: shards
   * that run their lists in order, each waiting for its unit's predecessor, never wait on one another
   * in a cycle. Within a step, the config with the longest measured unit time (the mean over all
   * configs for one not measured yet) comes first, ties by trial id, as
   * {@link #assign()} places longest work first: the longest config's chain of units, which bounds
   * the job, waits least (4 heads of widths 768–5 120: its first unit of a job ran after a shorter
   * config's, {@code bench/run fusion mop}). Scheduling only: the order never changes a result.
   *
   * @param epochs epochs to plan, {@code >= 1} (1: this round only)
   * @return {@code shards} lists (empty ones included), each in run order
   * @throws IllegalStateException if units were already assigned
   * @throws IllegalArgumentException if {@code epochs < 1}
   */
  public List<List<Unit>> plan(int epochs) {
    if (inFlight != 0 || idle.size() != remaining.size()) {
      throw new IllegalStateException("a round's plan is taken before any unit is assigned");
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("a round job plans >= 1 epochs; found " + epochs);
    }
    List<int[]> keys = new ArrayList<>();
    List<Unit> units = new ArrayList<>();
    List<Integer> ids = new ArrayList<>(remaining.keySet());
    ids.sort(null);
    for (int id : ids) {
      TrialState st = byId.get(id);
      if (st.failed != null) {
        continue;
      }
      String in = st.ckpt;
      for (int e = 0; e < epochs; e++) {
        List<Integer> visits = e == 0 ? order.get(id) : VisitOrders.of(settings.seed(), st.epochs + 1 + e,
            settings.shards(), roundTrials, id, settings.sameOffset());
        for (int j = 0; j < visits.size(); j++) {
          int s = visits.get(j);
          if (e > 0 || remaining.get(id).contains(s)) {
            Unit u = Unit.hop(id, st.epochs + 1 + e, s, in);
            in = u.outCkpt();
            keys.add(new int[] {e, j, id, units.size()});
            units.add(u);
          }
        }
      }
    }
    double fallback = times.overallMean();
    keys.sort(java.util.Comparator.<int[]>comparingInt(k -> k[0]).thenComparingInt(k -> k[1])
        .thenComparingDouble(k -> -times.mean(k[2], fallback)).thenComparingInt(k -> k[2]));
    List<List<Unit>> out = new ArrayList<>();
    for (int s = 0; s < settings.shards(); s++) {
      out.add(new ArrayList<>());
    }
    for (int[] k : keys) {
      Unit u = units.get(k[3]);
      out.get(u.shard()).add(u);
    }
    return out;
  }

  /**
   * Records an attempt that ran outside {@link #assign()} (in a round job, which retries failed
   * attempts itself): the same bookkeeping as {@link #finished} without the placement. Attempts of
   * one config must come in plan order.
   *
   * @param unit the unit as planned (or its retry)
   * @param record its outcome
   * @return the retry the attempt calls for (a failed attempt with tries left), else empty
   * @throws IllegalArgumentException if the unit is not one of this round's configs
   */
  public Optional<Unit> applied(Unit unit, UnitRecord record) {
    TrialState st = byId.get(unit.trial());
    if (st == null) {
      throw new IllegalArgumentException("unit of trial " + unit.trial() + " is not in this round " + byId.keySet());
    }
    if (record.error() != null) {
      if (unit.attempt() + 1 < settings.maxAttempts()) {
        return Optional.of(unit.retry());
      }
      st.failed = "unit (epoch " + unit.epoch() + ", shard " + unit.shard() + ") failed " + settings.maxAttempts()
          + " times: " + record.error();
      remaining.get(unit.trial()).clear();
    } else {
      st.ckpt = unit.outCkpt();
      times.add(unit.trial(), record.taskMs());
      if (settings.perShard()) {
        remaining.get(unit.trial()).remove(unit.shard());
      } else {
        remaining.get(unit.trial()).clear();
      }
      st.trained(record);
      if (st.failed != null) {
        remaining.get(unit.trial()).clear();
      }
    }
    return Optional.empty();
  }

  /** @return units of the round not yet done (failed configs have none left) */
  public int remainingUnits() {
    return remaining.values().stream().mapToInt(Set::size).sum();
  }

  /** @return units started and not yet finished (retries included) */
  public int inFlight() {
    return inFlight;
  }

  /**
   * @param trial one of the round's configs
   * @return its shard order this round
   */
  public List<Integer> visitOrder(int trial) {
    return List.copyOf(order.get(trial));
  }

  private int nextShard(int trial) {
    Set<Integer> need = remaining.get(trial);
    for (int s : order.get(trial)) {
      if (need.contains(s)) {
        return s;
      }
    }
    return -1;
  }

  /** The candidate with the most remaining work; ties (within 1e-9 relative) at random. */
  private int pick(List<Integer> cands) {
    double fallback = times.overallMean();
    double best = -1;
    List<Integer> top = new ArrayList<>();
    for (int id : cands) {
      double work = (settings.perShard() ? remaining.get(id).size() : 1) * times.mean(id, fallback);
      if (work > best * (1 + 1e-9)) {
        best = work;
        top.clear();
        top.add(id);
      } else if (work >= best * (1 - 1e-9)) {
        top.add(id);
      }
    }
    return top.get(rng.nextInt(top.size()));
  }
}
