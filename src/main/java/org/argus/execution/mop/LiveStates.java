package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.runtime.train.Trainer;

/**
 * A per-JVM cache (documented static state) of live trainers handed from one unit query to the
 * next within a {@link RoundJob}: after a unit writes its checkpoint, a trainer whose checkpoint
 * another unit of the same job reads stays open here, and that unit, when it runs in the same JVM
 * (on a local master, always), continues it instead of building a trainer and reading the
 * checkpoint back (a trainer's exported and re-imported state is its whole state, {@link
 * Trainer#exportState}, so training continues exactly as from the file). Checkpoints are still
 * written after every unit: retries, resumes and other executors read those.
 *
 * <p>Keys name the job's marker directory and the checkpoint, so a trainer is only ever taken
 * within the job that left it. At most {@value #CAPACITY} trainers are kept; beyond that, and for
 * a job's leftovers ({@link #forget}), trainers are closed, and their successors read the
 * checkpoint as before.
 */
final class LiveStates {
  /** Trainers kept at most per JVM (one per config waiting for its next unit). */
  static final int CAPACITY = 16;
  private static final LinkedHashMap<String, Trainer> LIVE = new LinkedHashMap<>();

  private LiveStates() {}

  private static String key(String job, String checkpoint) {
    return job + "|" + checkpoint;
  }

  /**
   * Keeps a trainer for the unit of job {@code job} that reads {@code checkpoint}; closes the
   * oldest kept trainer when more than {@value #CAPACITY} would be kept.
   *
   * @param job the round job's marker directory
   * @param checkpoint the checkpoint the trainer's state was just written to
   * @param t the trainer, no longer used by the caller
   */
  static void put(String job, String checkpoint, Trainer t) {
    List<Trainer> evicted = new ArrayList<>();
    synchronized (LIVE) {
      Trainer old = LIVE.put(key(job, checkpoint), t);
      if (old != null && old != t) {
        evicted.add(old);
      }
      Iterator<Map.Entry<String, Trainer>> it = LIVE.entrySet().iterator();
      while (LIVE.size() > CAPACITY && it.hasNext()) {
        evicted.add(it.next().getValue());
        it.remove();
      }
    }
    evicted.forEach(Trainer::close);
  }

  /**
   * @param job the round job's marker directory
   * @param checkpoint the checkpoint a unit reads
   * @return the live trainer holding exactly that checkpoint's state, now the caller's to use and
   *     close; null when none is kept (the caller reads the checkpoint)
   */
  static Trainer take(String job, String checkpoint) {
    synchronized (LIVE) {
      return LIVE.remove(key(job, checkpoint));
    }
  }

  /**
   * Closes the trainers a job left (its units ended, or it failed).
   *
   * @param job the round job's marker directory
   */
  static void forget(String job) {
    List<Trainer> left = new ArrayList<>();
    synchronized (LIVE) {
      Iterator<Map.Entry<String, Trainer>> it = LIVE.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, Trainer> e = it.next();
        if (e.getKey().startsWith(job + "|")) {
          left.add(e.getValue());
          it.remove();
        }
      }
    }
    left.forEach(Trainer::close);
  }

  /** @return trainers kept now (tests) */
  static int size() {
    synchronized (LIVE) {
      return LIVE.size();
    }
  }
}
