package org.argus.surfaces.report;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The rewriting machinery shared by {@link LiveTransferPage} and {@link LiveSelectionPage}: one
 * daemon thread per page writes it (atomically: temporary file + rename) when asked — after a
 * stage, an epoch or a batch of unit queries, at most every {@link #MIN_GAP_MS} — and at least every
 * {@link #PERIOD_S} seconds; the page reloads itself every {@link #RELOAD_S} seconds while the run
 * goes. A failed rewrite is reported once on stderr and never stops the run.
 */
abstract class LivePage implements AutoCloseable {
  /** Seconds between rewrites during a long stage. */
  static final int PERIOD_S = 10;
  /** Seconds between reloads of an open live page. */
  static final int RELOAD_S = 5;
  /** The shortest gap between two rewrites asked for by events, ms. */
  static final long MIN_GAP_MS = 2000;
  /**
   * After a rewrite that took {@code c} ms, event rewrites wait at least {@code BUDGET × c} ms: the
   * page costs at most 1/50 = 2 % of the run's wall time, except for the rewrite every {@link
   * #PERIOD_S} s that a long stage gets regardless.
   */
  static final int BUDGET = 50;
  private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "argus-live-report");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean pending = new AtomicBoolean();
  private final PrintStream err;
  private volatile long lastWriteMs;
  private volatile long lastCostMs;
  private long writes;
  private long writeNanos;
  private long writeCpuNanos;
  private long maxNanos;
  private boolean warned;
  private boolean started;

  LivePage(PrintStream err) {
    this.err = err;
  }

  /** Writes the page once now, then every {@link #PERIOD_S} seconds. */
  final synchronized void startRewriting() {
    started = true;
    rewrite("running");
    thread.scheduleAtFixedRate(() -> {
      if (System.currentTimeMillis() - lastWriteMs >= PERIOD_S * 1000L - 50) {
        rewrite("running");
      }
    }, PERIOD_S, PERIOD_S, TimeUnit.SECONDS);
  }

  /**
   * Asks for a rewrite after an event: events are coalesced into one rewrite, held back until
   * {@link #MIN_GAP_MS}, and {@link #BUDGET} times the previous rewrite's cost, after the previous one.
   */
  final void changed() {
    if (!started || !pending.compareAndSet(false, true)) {
      return;
    }
    long gap = Math.max(MIN_GAP_MS, BUDGET * lastCostMs);
    long wait = Math.max(0, gap - (System.currentTimeMillis() - lastWriteMs));
    try {
      thread.schedule(() -> {
        pending.set(false);
        rewrite("running");
      }, wait, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.set(false); // closed: the final page is written by close()
    }
  }

  /**
   * Writes the page under {@link ReportPages#LOCK}, unless the finished page is already there.
   *
   * @param status {@code running} or {@code stopped}
   */
  final synchronized void rewrite(String status) {
    long t0 = System.nanoTime();
    long cpu0 = CPU.getCurrentThreadCpuTime();
    try {
      synchronized (ReportPages.LOCK) {
        if (finished()) {
          return;
        }
        write(status);
      }
      writes++;
    } catch (java.io.IOException | org.argus.ArgusException | RuntimeException e) {
      // a live page is a view: never let it fail the run (e.g. a table part being renamed)
      if (!warned) {
        warned = true;
        err.println("argus: cannot rewrite the live report page (the run goes on): " + e.getMessage());
      }
    } finally {
      long cost = System.nanoTime() - t0;
      writeNanos += cost;
      writeCpuNanos += CPU.getCurrentThreadCpuTime() - cpu0;
      maxNanos = Math.max(maxNanos, cost);
      lastCostMs = cost / 1_000_000;
      lastWriteMs = System.currentTimeMillis();
    }
  }

  /** @return whether the run's finished page has been written (then live writes stop) */
  abstract boolean finished();

  /** Writes the page with {@code status}. */
  abstract void write(String status) throws java.io.IOException, org.argus.ArgusException;

  /**
   * @return {@code N rewrites in W s (CPU C s, longest L s)}: wall and CPU time of the writing
   *     thread (for the overhead figure; on a loaded machine wall time includes waiting for a core)
   */
  final synchronized String stats() {
    return String.format(Locale.ROOT, "%d rewrites in %.2f s (CPU %.2f s, longest %.2f s)", writes,
        writeNanos / 1e9, writeCpuNanos / 1e9, maxNanos / 1e9);
  }

  /**
   * Stops rewriting; if the run ended without its finished page (it failed or was interrupted),
   * writes the page once more with status {@code stopped}.
   */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (started) {
      rewrite("stopped");
      err.println("argus: live report page: " + stats());
    }
  }
}
