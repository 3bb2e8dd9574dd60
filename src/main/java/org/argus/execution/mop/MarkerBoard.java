package org.argus.execution.mop;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A per-JVM cache (documented static state) of the {@link RoundJob} markers that this JVM's tasks
 * wrote, by job directory, with a monitor a waiting task sleeps on. A task that writes a marker to
 * the checkpoint store also posts it here; a task of the same executor waiting for it wakes at once
 * instead of at its next directory listing (every 1–20 ms), and a task reads its own executor's
 * markers here without listing the directory (0.5–0.8 ms a listing on the development machine; the
 * demo's 4 heads × 8 epochs on 2 shards went from 92 listings to 18–35). On a local master every
 * task is in one JVM and the board has every marker; on a cluster, markers from other executors
 * still come only from listings.
 *
 * <p>On a cluster, only a hint: every marker posted is on the store first, so a board that has lost
 * a directory (it keeps the {@value #JOBS} most recent ones) makes tasks list as before, never
 * wrong. On a local master the board is the markers' only copy, with their payloads (a marker file
 * and a listing cost 0.5–0.9 ms each on the development machine, one marker per unit query): a job
 * whose directory the board lost (more than {@value #JOBS} jobs posting while it runs) sees its
 * other tasks as never started and gives up after {@link RoundJob#START_GRACE_MS}, and what it
 * leaves runs one job per unit query, so results stay right.
 */
final class MarkerBoard {
  /** Job directories kept: a job's tasks run together, so only recent jobs are waited on. */
  static final int JOBS = 64;
  private static final Object LOCK = new Object();
  private static final Map<String, Map<String, byte[]>> POSTED = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Map<String, byte[]>> eldest) {
      return size() > JOBS;
    }
  };
  private static long version;

  private MarkerBoard() {}

  /**
   * Records a marker already written to the store and wakes the waiting tasks.
   *
   * @param dir the job's marker directory (relative to the store)
   * @param name the marker's file name
   */
  static void post(String dir, String name) {
    post(dir, name, null);
  }

  /**
   * Records a marker and its payload (written to the store first, except on a local master, where
   * the board is the marker's only copy) and wakes the waiting tasks.
   *
   * @param dir the job's marker directory (relative to the store)
   * @param name the marker's file name
   * @param payload the marker's content (kept, not copied), or null
   */
  static void post(String dir, String name, byte[] payload) {
    synchronized (LOCK) {
      POSTED.computeIfAbsent(dir, d -> new HashMap<>()).put(name, payload);
      version++;
      LOCK.notifyAll();
    }
  }

  /**
   * Decides a question of a job once for all its tasks in this JVM: the first caller evaluates
   * {@code yes} and posts {@code name + ".yes"} or {@code name + ".no"}; later callers get that
   * answer (a round job's tasks agree where it stops, {@link RoundJob}).
   *
   * @param dir the job's marker directory
   * @param name the question's marker name
   * @param yes evaluated at most once per question, under the board's lock (keep it cheap)
   * @return the answer
   */
  static boolean decide(String dir, String name, java.util.function.BooleanSupplier yes) {
    synchronized (LOCK) {
      Map<String, byte[]> s = POSTED.computeIfAbsent(dir, d -> new HashMap<>());
      if (s.containsKey(name + ".yes") || s.containsKey(name + ".no")) {
        return s.containsKey(name + ".yes");
      }
      boolean answer = yes.getAsBoolean();
      s.put(name + (answer ? ".yes" : ".no"), null);
      version++;
      LOCK.notifyAll();
      return answer;
    }
  }

  /**
   * @param dir a job's marker directory
   * @return a copy of the marker names posted for it in this JVM (empty when none, or forgotten)
   */
  static Set<String> posted(String dir) {
    synchronized (LOCK) {
      Map<String, byte[]> s = POSTED.get(dir);
      return s == null ? new HashSet<>() : new HashSet<>(s.keySet());
    }
  }

  /**
   * @param dir a job's marker directory
   * @param name a marker's file name
   * @return the payload posted with it, or null (not posted, forgotten, or posted without one)
   */
  static byte[] payload(String dir, String name) {
    synchronized (LOCK) {
      Map<String, byte[]> s = POSTED.get(dir);
      return s == null ? null : s.get(name);
    }
  }

  /** @return the board's version: it grows with every post */
  static long version() {
    synchronized (LOCK) {
      return version;
    }
  }

  /**
   * Waits until a marker is posted after {@code seen} (any job's), or {@code ms} pass.
   *
   * @param seen a {@link #version()} read earlier
   * @param ms the longest wait, ms
   * @return whether a marker was posted since {@code seen}
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  static boolean await(long seen, long ms) throws InterruptedException {
    long end = System.nanoTime() + ms * 1_000_000;
    synchronized (LOCK) {
      long left;
      while (version == seen && (left = end - System.nanoTime()) > 0) {
        LOCK.wait(Math.max(1, left / 1_000_000), 0);
      }
      return version != seen;
    }
  }

  /**
   * Drops a job's markers (its directory was deleted).
   *
   * @param dir the job's marker directory
   */
  static void forget(String dir) {
    synchronized (LOCK) {
      POSTED.remove(dir);
    }
  }
}
