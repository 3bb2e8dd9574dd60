package org.argus.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The per-JVM cache of {@link ModelSession}s: one session per (graph sha256, intra-op threads) per
 * executor JVM, created lazily on first use, shared by every task of that JVM and closed by a
 * shutdown hook. This is Argus's one documented piece of static mutable state on executors.
 *
 * <p>Thread budget: each session runs with {@code intraOpThreads} ORT threads and one inter-op
 * thread; callers choose {@code intraOpThreads} so that task slots × threads ≤ executor cores.
 */
public final class SessionCache {
  private static final ConcurrentHashMap<String, ModelSession> SESSIONS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (ModelSession s : SESSIONS.values()) {
                    try {
                      s.close();
                    } catch (OrtException | RuntimeException e) {
                      // closing at shutdown: nothing left to report to
                    }
                  }
                },
                "argus-ort-close"));
  }

  private SessionCache() {}

  /**
   * Returns the cached session for a graph, creating it on first use.
   *
   * @param sha256 the graph's serialized-bytes sha256 (the cache key with the thread count)
   * @param graphBytes supplies the ONNX bytes, called only when the session does not exist yet
   * @param intraOpThreads ORT intra-op threads (≥ 1)
   * @return the shared session
   * @throws InferenceException when ORT cannot create the session (message names the graph)
   */
  public static ModelSession get(String sha256, Supplier<byte[]> graphBytes, int intraOpThreads)
      throws InferenceException {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be ≥ 1, found " + intraOpThreads);
    }
    String key = sha256.substring(0, Math.min(12, sha256.length())) + "/t" + intraOpThreads;
    ModelSession s = SESSIONS.get(key);
    if (s != null) {
      return s;
    }
    synchronized (SESSIONS) {
      s = SESSIONS.get(key);
      if (s == null) {
        s = create(key, graphBytes.get(), intraOpThreads);
        SESSIONS.put(key, s);
      }
      return s;
    }
  }

  /**
   * Closes and forgets this JVM's sessions of one graph (every thread count), for long-lived JVMs
   * that run many one-off graphs (e.g. the ONNX conformance runner). Call it only when no task of
   * this JVM still runs the graph.
   *
   * @param sha256 the graph's sha256, as given to {@link #get}
   * @return how many sessions were closed
   */
  public static int evict(String sha256) {
    String prefix = sha256.substring(0, Math.min(12, sha256.length())) + "/t";
    int closed = 0;
    synchronized (SESSIONS) {
      for (String key : java.util.List.copyOf(SESSIONS.keySet())) {
        if (key.startsWith(prefix)) {
          try {
            SESSIONS.remove(key).close();
          } catch (OrtException e) {
            // a session ORT cannot close is forgotten all the same
          }
          closed++;
        }
      }
    }
    return closed;
  }

  /**
   * Creates a session that is not cached: the caller closes it (diagnostics that compare Argus
   * with ONNX Runtime itself).
   *
   * @param name the graph's name in messages
   * @param bytes the ONNX bytes
   * @param intraOpThreads ORT intra-op threads (≥ 1)
   * @return a new session
   * @throws InferenceException when ORT cannot create it (message names the graph)
   */
  public static ModelSession open(String name, byte[] bytes, int intraOpThreads) throws InferenceException {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be ≥ 1, found " + intraOpThreads);
    }
    return create(name, bytes, intraOpThreads);
  }

  /** @return how many sessions this JVM holds (for tests and metrics) */
  public static int size() {
    return SESSIONS.size();
  }

  private static ModelSession create(String key, byte[] bytes, int threads)
      throws InferenceException {
    try {
      OrtEnvironment env =
          OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "argus");
      OrtSession.SessionOptions o = new OrtSession.SessionOptions();
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return new ModelSession(key, env.createSession(bytes, o));
    } catch (OrtException e) {
      throw new InferenceException(
          "cannot create an ONNX Runtime session for graph " + key + " (" + bytes.length
              + " bytes): " + e.getMessage(),
          e);
    }
  }
}
