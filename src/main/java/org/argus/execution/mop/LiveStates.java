package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Keys name the job's marker directory and the checkpoint, so a trainer is only ever taken
 * within the job that left it. At most {@value #CAPACITY} entries are kept; beyond that, and for a
 * job's leftovers ({@link #forget}), trainers are closed (their pending bytes written first), and
 * their successors read the checkpoint as before.
 */
final class LiveStates {
  /** Entries kept at most per JVM (one per config waiting for its next unit). */
  static final int CAPACITY = 16;
  private static final Logger LOG = LoggerFactory.getLogger(LiveStates.class);
  private static final LinkedHashMap<String, Live> LIVE = new LinkedHashMap<>();

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
   */
  record Live(Trainer trainer, byte[] pending, CheckpointStore store, String checkpoint) {
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

  private static String key(String job, String checkpoint) {
    return job + "|" + checkpoint;
  }

  /**
   * Keeps what a unit leaves for the unit of job {@code job} that reads {@code live.checkpoint()};
   * releases ({@link Live#release}) the oldest entry when more than {@value #CAPACITY} would be
   * kept.
   *
   * @param job the round job's marker directory
   * @param live the trainer (no longer used by the caller) and the checkpoint's pending bytes
   */
  static void put(String job, Live live) {
    List<Live> evicted = new ArrayList<>();
    synchronized (LIVE) {
      Live old = LIVE.put(key(job, live.checkpoint()), live);
      if (old != null && old.trainer() != live.trainer()) {
        evicted.add(old);
      }
      Iterator<Map.Entry<String, Live>> it = LIVE.entrySet().iterator();
      while (LIVE.size() > CAPACITY && it.hasNext()) {
        evicted.add(it.next().getValue());
        it.remove();
      }
    }
    evicted.forEach(Live::release);
  }

  /**
   * @param job the round job's marker directory
   * @param checkpoint the checkpoint a unit reads
   * @return what the checkpoint's unit left, now the caller's (it closes the trainer); null when
   *     nothing is kept (the caller reads the checkpoint from the store)
   */
  static Live take(String job, String checkpoint) {
    synchronized (LIVE) {
      return LIVE.remove(key(job, checkpoint));
    }
  }

  /**
   * Releases what a job's units left ({@link Live#release}: pending checkpoints are written, trainers
   * closed): its units ended, or it failed.
   *
   * @param job the round job's marker directory
   */
  static void forget(String job) {
    List<Live> left = new ArrayList<>();
    synchronized (LIVE) {
      Iterator<Map.Entry<String, Live>> it = LIVE.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, Live> e = it.next();
        if (e.getKey().startsWith(job + "|")) {
          left.add(e.getValue());
          it.remove();
        }
      }
    }
    left.forEach(Live::release);
  }

  /** @return entries kept now (tests) */
  static int size() {
    synchronized (LIVE) {
      return LIVE.size();
    }
  }
}
