package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.runtime.train.Trainer;
import org.argus.store.CheckpointException;
import org.argus.store.CheckpointStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A per-JVM cache (documented static state) of live trainers handed from one unit query to the
 * next within a {@link RoundJob}: after a unit, a trainer whose checkpoint another unit of the same
 * job reads stays open here, and that unit, when it runs in the same JVM (on a local master,
 * always), continues it instead of building a trainer and reading the checkpoint back (a trainer's
 * exported and re-imported state is its whole state, {@link Trainer#exportState}, so training
 * continues exactly as from the file).
 *
 * <p>A checkpoint is either written before its trainer is left here, or, for a mid-epoch hand-over
 * on a local master ({@link RoundJob}), kept here as its exported bytes, <em>pending</em>, instead
 * of a file: the unit that continues the trainer drops them once it succeeds, and puts them back
 * (without the trainer, which it changed) when it fails, so its retry restores from them. Pending
 * bytes are written to the store whenever their entry leaves without a successor having taken it:
 * when a trainer is evicted, and when the job ends ({@link #forget}: a task gave up, the job
 * failed), so the units run one job each afterwards ({@link Rounds#hop}), and a resumed run, read
 * them from the store as from any checkpoint.
 *
 * <p>Keys name a scope and the checkpoint. The scope is the job's marker directory, so a trainer is
 * only ever taken within the job that left it; or, on a local master, for a config's last unit of a
 * job, the run's scope ({@link #runScope}): the trainer, whose checkpoint is written, waits for the
 * config's first unit of the run's next round job. (Without it, each round job after the first
 * built and restored every config's trainer once: 224 of a 32-config run's 512 units, 0.7–2.2 s of
 * its 17–20 worker-seconds of units, {@code bench/run fusion mop-many} on the 2-core development
 * machine.) A checkpoint about to be written again first has its run-scope entry discarded ({@link
 * #discard}: a unit run again after its job failed), and the run releases its scope when it ends.
 *
 * <p>A task validating a checkpoint whose trainer is kept here borrows it ({@link #lend}, {@link
 * #giveBack}) and scores it in place: validation changes no parameter. (Building a trainer and
 * reading the checkpoint for each validation instead cost a 32-config run 1.1 s of its 18 s of
 * worker time, {@code bench/run fusion mop-many}.) Whoever else wants a lent entry waits for it.
 *
 * <p>A job leaves at most one entry per config (a config's units run one after another), so the
 * entries are bounded by the memory they hold, not by their number: the oldest are released while
 * the entries hold more than {@link #BUDGET_BYTES} (or number more than {@value #MAX_ENTRIES}).
 * Those, and a job's leftovers ({@link #forget}), have their trainers closed (their pending bytes
 * written first), and their successors read the checkpoint as before. (A bound of 16 entries,
 * before, released about half of a 32-config run's mid-epoch hand-overs: 121–124 of its 256
 * mid-epoch checkpoints were written.)
 */
final class LiveStates {
  /**
   * Bytes the entries may hold at once per JVM ({@link Live#heldBytes}): an eighth of the maximum
   * heap, at least 64 MiB (a 32-config selection over the demo's four layers, {@code bench/run fusion
   * mop-many}, holds about 40 MiB: a state of 0.03–3.8 MiB per config, as its trainer's arrays and as
   * pending bytes).
   */
  static final long BUDGET_BYTES = Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 8);
  /** Entries kept at most per JVM, however small (each holds a trainer's native arrays). */
  static final int MAX_ENTRIES = 1024;
  private static final Logger LOG = LoggerFactory.getLogger(LiveStates.class);
  private static final LinkedHashMap<String, Live> LIVE = new LinkedHashMap<>();
  /** Entries lent out ({@link #lend}) and not given back yet, by key; guarded by {@code LIVE}. */
  private static final Set<String> LENT = new HashSet<>();
  /** Σ {@link Live#heldBytes} of {@link #LIVE}'s and the lent entries; guarded by {@code LIVE}. */
  private static long held;

  private LiveStates() {}

  /**
   * What a unit left for the next unit of its job.
   *
   * @param trainer the trainer holding the checkpoint's state, or null (only {@code pending} is
   *     left: a successor failed after changing the trainer)
   * @param pending the checkpoint's bytes ({@link Trainer#exportState}) when they are not in the
   *     store yet, else null
   * @param store the store they belong in
   * @param checkpoint the checkpoint's name in {@code store}
   * @param stateBytes the size of the trainer's exported state ({@link Trainer#exportState}), bytes:
   *     about what its parameters and optimizer slots hold in (native) memory
   */
  record Live(Trainer trainer, byte[] pending, CheckpointStore store, String checkpoint, long stateBytes) {
    /**
     * @return bytes this entry holds: the trainer's state ({@code stateBytes}) when it has a
     *     trainer, plus the pending bytes
     */
    long heldBytes() {
      return (trainer == null ? 0 : stateBytes) + (pending == null ? 0 : pending.length);
    }

    /** Writes the pending bytes, if any, to the store; closes the trainer. Logs a failed write. */
    void release() {
      try {
        if (pending != null) {
          store.write(checkpoint, pending);
        }
      } catch (CheckpointException e) { // its successor then fails reading it, and its config with it
        LOG.warn("a checkpoint kept in memory could not be written: {}", e.getMessage());
      } finally {
        if (trainer != null) {
          trainer.close();
        }
      }
    }
  }

  private static String key(String scope, String checkpoint) {
    return scope + "|" + checkpoint;
  }

  /**
   * @param store a run's checkpoint store
   * @return the scope of the trainers a run's round jobs leave for its later round jobs: the store's
   *     root, which no job's marker directory (relative to it) equals
   */
  static String runScope(CheckpointStore store) {
    return "run:" + store.root();
  }

  /**
   * Drops the entry left for {@code checkpoint} in {@code scope}, if any, closing its trainer
   * without writing anything: the checkpoint is being written again, so the trainer may no longer
   * hold its state.
   *
   * @param scope a round job's marker directory or a {@link #runScope}
   * @param checkpoint a checkpoint's name
   */
  static void discard(String scope, String checkpoint) {
    Live l = take(scope, checkpoint);
    if (l != null && l.trainer() != null) {
      l.trainer().close();
    }
  }

  /**
   * Keeps what a unit leaves for the unit of scope {@code job} that reads {@code live.checkpoint()};
   * releases ({@link Live#release}) the oldest entries, this one last, while the entries would hold
   * more than {@link #BUDGET_BYTES} or number more than {@value #MAX_ENTRIES}.
   *
   * @param job the round job's marker directory, or a {@link #runScope}
   * @param live the trainer (no longer used by the caller) and the checkpoint's pending bytes
   */
  static void put(String job, Live live) {
    List<Live> evicted = new ArrayList<>();
    synchronized (LIVE) {
      Live old = LIVE.put(key(job, live.checkpoint()), live);
      held += live.heldBytes();
      if (old != null) {
        held -= old.heldBytes();
        if (old.trainer() != live.trainer()) {
          evicted.add(old);
        }
      }
      Iterator<Map.Entry<String, Live>> it = LIVE.entrySet().iterator();
      while ((held > BUDGET_BYTES || LIVE.size() > MAX_ENTRIES) && it.hasNext()) {
        Live e = it.next().getValue();
        held -= e.heldBytes();
        evicted.add(e);
        it.remove();
      }
    }
    evicted.forEach(Live::release);
  }

  /**
   * @param job the round job's marker directory, or a {@link #runScope}
   * @param checkpoint the checkpoint a unit reads
   * @return what the checkpoint's unit left, now the caller's (it closes the trainer); null when
   *     nothing is kept (the caller reads the checkpoint from the store)
   */
  static Live take(String job, String checkpoint) {
    synchronized (LIVE) {
      String k = key(job, checkpoint);
      awaitReturn(e -> e.equals(k));
      Live l = LIVE.remove(k);
      held -= l == null ? 0 : l.heldBytes();
      return l;
    }
  }

  /**
   * Lends the trainer left for {@code checkpoint} to a caller that only reads it (validation: {@link
   * Trainer#evaluate} changes no parameter), so it scores the checkpoint without building a trainer
   * and reading the file. Until it is given back ({@link #giveBack}), {@link #take}, {@link
   * #discard}, {@link #forget} and another lend of it wait (a validation takes milliseconds; building
   * a trainer and reading its checkpoint instead took 2–3 times as long).
   *
   * @param job the round job's marker directory, or a {@link #runScope}
   * @param checkpoint a checkpoint's name
   * @return the entry, whose trainer holds exactly the checkpoint's state; null when none is kept
   *     with a trainer (the caller reads the checkpoint from the store)
   */
  static Live lend(String job, String checkpoint) {
    synchronized (LIVE) {
      String k = key(job, checkpoint);
      awaitReturn(e -> e.equals(k));
      Live l = LENT.contains(k) ? null : LIVE.get(k); // still lent: an interrupted wait
      if (l == null || l.trainer() == null) {
        return null;
      }
      LIVE.remove(k); // out of eviction's reach while lent; its bytes stay counted in held
      LENT.add(k);
      return l;
    }
  }

  /**
   * Gives back what {@link #lend} lent: it is kept again, as the newest entry, for the unit that
   * takes it.
   *
   * @param job the scope it was lent from
   * @param live the lent entry (its trainer unchanged)
   */
  static void giveBack(String job, Live live) {
    synchronized (LIVE) {
      String k = key(job, live.checkpoint());
      LENT.remove(k);
      LIVE.put(k, live);
      LIVE.notifyAll();
    }
  }

  /**
   * Waits, holding {@code LIVE}'s monitor between waits, until no lent key matching {@code which}
   * is out. An interrupted wait stops waiting (the interrupt is kept): the caller then misses a
   * trainer and reads its checkpoint, or leaves one for the run's end to release.
   */
  private static void awaitReturn(java.util.function.Predicate<String> which) {
    while (LENT.stream().anyMatch(which)) {
      try {
        LIVE.wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Releases what a job's units left ({@link Live#release}: pending checkpoints are written, trainers
   * closed): its units ended, or it failed; or, for a {@link #runScope}, what the run's jobs left for
   * later jobs: the run ended.
   *
   * @param job the round job's marker directory, or a {@link #runScope}
   */
  static void forget(String job) {
    forget(job, null);
  }

  /**
   * As {@link #forget(String)}, except that entries whose checkpoint is written (a trainer and no
   * pending bytes) move to scope {@code keepIn} instead: a round job that stopped before the epoch
   * whose units would have taken them ({@link RoundJob}) leaves them for the run's next round job,
   * as a job's last units do ({@link UnitQuery.HandOver#LATER_JOB}).
   *
   * @param job the round job's marker directory
   * @param keepIn a {@link #runScope}, or null to release every entry
   */
  static void forget(String job, String keepIn) {
    List<Live> left = new ArrayList<>();
    synchronized (LIVE) {
      awaitReturn(k -> k.startsWith(job + "|"));
      List<Live> kept = new ArrayList<>();
      Iterator<Map.Entry<String, Live>> it = LIVE.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, Live> e = it.next();
        if (e.getKey().startsWith(job + "|")) {
          Live l = e.getValue();
          (keepIn != null && l.trainer() != null && l.pending() == null ? kept : left).add(l);
          held -= l.heldBytes();
          it.remove();
        }
      }
      for (Live l : kept) {
        Live old = LIVE.put(key(keepIn, l.checkpoint()), l);
        held += l.heldBytes();
        if (old != null) { // cannot happen: a checkpoint is written by one unit of one job
          held -= old.heldBytes();
          left.add(old);
        }
      }
    }
    left.forEach(Live::release);
  }

  /** @return bytes the entries hold now ({@link Live#heldBytes}; tests) */
  static long heldBytes() {
    synchronized (LIVE) {
      return held;
    }
  }

  /** @return entries kept now (tests) */
  static int size() {
    synchronized (LIVE) {
      return LIVE.size();
    }
  }
}
