package org.argus.execution.inference;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * ONNX Runtime sessions leased for the running Spark task: {@link #get} leases the per-JVM cached
 * session ({@link SessionCache#acquire}) once per task and graph and releases it when the task
 * completes (success or failure), so the cache may close it once it has been idle longer than
 * {@link SessionCache#maxIdle()} more recently used sessions. Outside a Spark task the lease is never
 * released (the session stays open for the JVM's life, as every session did before leases).
 */
public final class TaskSessions {
  /** Per running task attempt: its leases by cache key (entries removed at task completion). */
  private static final ConcurrentHashMap<Long, Map<String, SessionCache.Lease>> HELD = new ConcurrentHashMap<>();

  private TaskSessions() {}

  /**
   * @param sha256 the graph's sha256
   * @param graphBytes supplies the ONNX bytes, called only when no session of the graph exists yet
   * @param intraOpThreads ORT intra-op threads (≥ 1)
   * @return the session, open at least until the running task completes
   * @throws InferenceException when ORT cannot create the session (message names the graph)
   * @throws IllegalArgumentException when {@code intraOpThreads < 1}
   */
  public static ModelSession get(String sha256, Supplier<byte[]> graphBytes, int intraOpThreads)
      throws InferenceException {
    TaskContext tc = TaskContext.get();
    if (tc == null) {
      return SessionCache.acquire(sha256, graphBytes, intraOpThreads).session(); // never released
    }
    String key = sha256 + "/t" + intraOpThreads;
    long attempt = tc.taskAttemptId();
    Map<String, SessionCache.Lease> mine = HELD.computeIfAbsent(attempt, a -> {
      tc.addTaskCompletionListener(new org.apache.spark.util.TaskCompletionListener() {
        @Override
        public void onTaskCompletion(TaskContext context) {
          Map<String, SessionCache.Lease> held = HELD.remove(attempt);
          if (held != null) {
            synchronized (held) {
              held.values().forEach(SessionCache.Lease::close);
            }
          }
        }
      });
      return new HashMap<>();
    });
    synchronized (mine) {
      SessionCache.Lease l = mine.get(key);
      if (l == null) {
        l = SessionCache.acquire(sha256, graphBytes, intraOpThreads);
        mine.put(key, l);
      }
      return l.session();
    }
  }
}
