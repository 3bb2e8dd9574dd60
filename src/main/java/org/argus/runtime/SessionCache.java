package org.argus.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.util.function.Supplier;

/**
 * The per-JVM cache of {@link ModelSession}s: one session per (graph sha256, intra-op threads) per
 * executor JVM, created lazily on first use, shared by every task of that JVM and closed by a
 * shutdown hook. This is Argus's one documented piece of static mutable state on executors.
 *
 * <p>Sessions are <em>leased</em> ({@link #acquire}): a leased session is never closed. A session
 * nobody leases is <em>idle</em>; the cache keeps at most {@link #maxIdle()} idle sessions and
 * closes the least recently used idle ones beyond that, so a long-lived JVM that runs many graphs
 * one after another (every cut graph and stage graph of several plans, say: two InceptionV3 299²
 * plans held 17 GB of resident memory when nothing was closed) holds the sessions in use plus a
 * few recent ones, not every graph it ever ran. Spark tasks lease through {@code
 * org.argus.execution.inference.TaskSessions}, which releases at task completion.
 *
 * <p>Thread budget: each session runs with {@code intraOpThreads} ORT threads and one inter-op
 * thread; callers choose {@code intraOpThreads} so that task slots × threads ≤ executor cores.
 */
public final class SessionCache {
  /** System property: idle sessions kept per JVM (default {@value #DEFAULT_MAX_IDLE}). */
  public static final String MAX_IDLE_PROPERTY = "argus.sessions.maxIdle";
  /** Idle sessions kept per JVM when {@value #MAX_IDLE_PROPERTY} is not set. */
  public static final int DEFAULT_MAX_IDLE = 2;

  /** A cached session and how many leases hold it (guarded by {@code SESSIONS}). */
  private static final class Entry {
    final ModelSession session;
    int leases;

    Entry(ModelSession session) {
      this.session = session;
    }
  }

  /** Access-ordered: iteration starts at the least recently leased entry. */
  private static final java.util.LinkedHashMap<String, Entry> SESSIONS = new java.util.LinkedHashMap<>(16, 0.75f, true);

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  synchronized (SESSIONS) {
                    for (Entry e : SESSIONS.values()) {
                      try {
                        e.session.close();
                      } catch (OrtException | RuntimeException ex) {
                        // closing at shutdown: nothing left to report to
                      }
                    }
                  }
                },
                "argus-ort-close"));
  }

  private SessionCache() {}

  /**
   * A lease on a cached session: the session stays open until every lease on it is closed, then it
   * is idle and may be closed by the cache. Closing a lease twice is harmless.
   */
  public static final class Lease implements AutoCloseable {
    private final String key;
    private final ModelSession session;
    private boolean closed;

    private Lease(String key, ModelSession session) {
      this.key = key;
      this.session = session;
    }

    /** @return the leased session (open while this lease is) */
    public ModelSession session() {
      return session;
    }

    /** Releases the lease; when it was the last, the session becomes idle. */
    @Override
    public void close() {
      synchronized (SESSIONS) {
        if (closed) {
          return;
        }
        closed = true;
        Entry e = SESSIONS.get(key);
        if (e != null && e.session == session && e.leases > 0) {
          e.leases--;
        }
        trimIdle(maxIdle());
      }
    }
  }

  /**
   * Leases the cached session for a graph, creating it on first use. Creating holds the cache's
   * lock (one session per key, never two).
   *
   * @param sha256 the graph's serialized-bytes sha256 (the cache key with the thread count)
   * @param graphBytes supplies the ONNX bytes, called only when the session does not exist yet
   * @param intraOpThreads ORT intra-op threads (≥ 1)
   * @return a lease; close it when the session is no longer used
   * @throws InferenceException when ORT cannot create the session (message names the graph)
   * @throws IllegalArgumentException when {@code intraOpThreads < 1}
   */
  public static Lease acquire(String sha256, Supplier<byte[]> graphBytes, int intraOpThreads)
      throws InferenceException {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be ≥ 1, found " + intraOpThreads);
    }
    String key = sha256.substring(0, Math.min(12, sha256.length())) + "/t" + intraOpThreads;
    synchronized (SESSIONS) {
      Entry e = SESSIONS.get(key);
      if (e == null) {
        e = new Entry(create(key, graphBytes.get(), intraOpThreads));
        SESSIONS.put(key, e);
      }
      e.leases++;
      return new Lease(key, e.session);
    }
  }

  /**
   * @return idle sessions kept per JVM: the system property {@value #MAX_IDLE_PROPERTY} (≥ 0), else
   *     {@value #DEFAULT_MAX_IDLE}
   * @throws IllegalArgumentException when the property is not a number ≥ 0
   */
  public static int maxIdle() {
    String v = System.getProperty(MAX_IDLE_PROPERTY);
    if (v == null || v.isBlank()) {
      return DEFAULT_MAX_IDLE;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("system property " + MAX_IDLE_PROPERTY + "=" + v
        + ": idle ONNX Runtime sessions kept per JVM must be a whole number ≥ 0");
  }

  /** Closes the least recently used idle sessions beyond {@code keep} (caller holds the lock). */
  private static void trimIdle(int keep) {
    int idle = 0;
    for (Entry e : SESSIONS.values()) {
      if (e.leases == 0) {
        idle++;
      }
    }
    java.util.Iterator<Entry> it = SESSIONS.values().iterator();
    while (idle > keep && it.hasNext()) {
      Entry e = it.next();
      if (e.leases == 0) {
        it.remove();
        idle--;
        try {
          e.session.close();
        } catch (OrtException ex) {
          // a session ORT cannot close is forgotten all the same
        }
      }
    }
  }

  /**
   * Closes and forgets this JVM's sessions of one graph (every thread count), for long-lived JVMs
   * that run many one-off graphs (e.g. the ONNX conformance runner). Call it only when no task of
   * this JVM still runs the graph (a leased session is closed all the same).
   *
   * @param sha256 the graph's sha256, as given to {@link #acquire}
   * @return how many sessions were closed
   */
  public static int evict(String sha256) {
    String prefix = sha256.substring(0, Math.min(12, sha256.length())) + "/t";
    int closed = 0;
    synchronized (SESSIONS) {
      for (String key : java.util.List.copyOf(SESSIONS.keySet())) {
        if (key.startsWith(prefix)) {
          try {
            SESSIONS.remove(key).session.close();
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

  /** @return how many sessions this JVM holds, leased or idle (for tests and metrics) */
  public static int size() {
    synchronized (SESSIONS) {
      return SESSIONS.size();
    }
  }

  /** @return how many of this JVM's sessions nobody leases (for tests and metrics) */
  public static int idle() {
    synchronized (SESSIONS) {
      return (int) SESSIONS.values().stream().filter(e -> e.leases == 0).count();
    }
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
