package org.argus.execution.mop;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.argus.ArgusException;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.Replay;
import org.argus.plan.mop.TrialRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.store.RunDirectory;

/**
 * What a run has done so far: every unit attempt (in completion order, told to the listener at once)
 * and the checkpoint bytes moved in the current round; and its appends to the run directory's tables.
 * Thread-safe.
 *
 * <p>Table appends are written behind, in the order they were made, by one thread of this log: the
 * driver launches the next round job while the last one's rows are written (each append is a
 * Parquet part file, 3–4 ms on the development machine; a round job spanning 8 epochs of the
 * demo's heads appended 8 units and 8 epochs parts between two jobs, about 50 ms of a 0.75 s
 * run). The tables therefore always hold a prefix of the appends made: a run killed meanwhile
 * resumes as if killed a few appends earlier. An append that fails skips every later one, and the
 * failure is thrown by the next append, {@link #flush} or {@link #close}.
 */
final class RunLog {
  private final RunDirectory dir;
  private final Consumer<UnitRecord> listener;
  private final List<UnitRecord> units = new ArrayList<>();
  private long bytesMoved;
  private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(
      r -> {
        Thread t = new Thread(r, "argus-run-log");
        t.setDaemon(true);
        return t;
      });
  private java.util.concurrent.Future<?> tail = java.util.concurrent.CompletableFuture.completedFuture(null);
  private volatile ArgusException failed;

  RunLog(RunDirectory dir, Consumer<UnitRecord> listener) {
    this.dir = dir;
    this.listener = listener;
  }

  /** An append to one table. */
  private interface Append {
    void run() throws IOException;
  }

  /** Queues an append behind the earlier ones; throws the failure of an earlier one. */
  private synchronized void append(String table, Append a) throws ArgusException {
    if (failed != null) {
      throw failed;
    }
    tail = writer.submit(() -> {
      if (failed != null) {
        return; // a prefix only: nothing after a failed append
      }
      try {
        a.run();
      } catch (IOException | RuntimeException e) {
        failed = new ArgusException("cannot write table " + table + " in " + dir.root() + ": " + e.getMessage(), e);
      }
    });
  }

  /**
   * Waits until every append made so far is written.
   *
   * @throws ArgusException the first append that failed (naming the table and the run directory),
   *     or when the driver is interrupted
   */
  synchronized void flush() throws ArgusException {
    try {
      tail.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ArgusException("interrupted while writing the tables of " + dir.root(), e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new ArgusException("cannot write the tables of " + dir.root() + ": " + e.getCause(), e.getCause());
    }
    if (failed != null) {
      throw failed;
    }
  }

  /**
   * {@link #flush}, then stops the writer thread (idempotent).
   *
   * @throws ArgusException as {@link #flush}
   */
  synchronized void close() throws ArgusException {
    try {
      flush();
    } finally {
      writer.shutdown();
    }
  }

  /** A run's body, which appends to this log. */
  interface Body<T> {
    T run() throws ArgusException;
  }

  /**
   * Runs {@code body}, then {@link #close}s: the tables are whole when it returns; after a failure,
   * what was appended is still written (a resume reads it) and the body's failure is thrown.
   *
   * @param body the run
   * @return what it returned
   * @throws ArgusException the body's failure, or {@link #close}'s
   */
  <T> T closing(Body<T> body) throws ArgusException {
    try {
      T r = body.run();
      close();
      return r;
    } finally {
      closeQuietly();
    }
  }

  /** {@link #close} after a failure elsewhere: what was appended is still written; its own failure is dropped. */
  void closeQuietly() {
    try {
      close();
    } catch (ArgusException e) { // the caller is already failing with the reason that matters
    }
  }

  /** Counts a finished attempt and tells the listener (before any unit that depends on it starts). */
  synchronized void observe(UnitRecord r) {
    units.add(r);
    bytesMoved += r.bytesRead() + r.bytesWritten();
    listener.accept(r);
  }

  /** Appends a finished attempt to the {@code units} table (one part file per unit), written behind. */
  synchronized void persist(UnitRecord r) throws ArgusException {
    append("units", () -> dir.appendUnits(List.of(r)));
  }

  /** Appends several finished attempts to the {@code units} table in one part file (none: nothing), written behind. */
  synchronized void persistAll(List<UnitRecord> rs) throws ArgusException {
    if (rs.isEmpty()) {
      return;
    }
    List<UnitRecord> rows = List.copyOf(rs);
    append("units", () -> dir.appendUnits(rows));
  }

  /** {@link #observe} then {@link #persist}. */
  synchronized void log(UnitRecord r) throws ArgusException {
    observe(r);
    persist(r);
  }

  /** Counts checkpoint bytes moved outside unit queries (BSP's parts and averages). */
  synchronized void moved(long bytes) {
    bytesMoved += bytes;
  }

  /** @return bytes moved since the last call, and restarts the count */
  synchronized long takeBytesMoved() {
    long b = bytesMoved;
    bytesMoved = 0;
    return b;
  }

  synchronized List<UnitRecord> units() {
    return List.copyOf(units);
  }

  /** Appends epoch rows to the {@code epochs} table in one part file, written behind. */
  void epochs(List<EpochRecord> rows) throws ArgusException {
    List<EpochRecord> copy = List.copyOf(rows);
    append("epochs", () -> dir.appendEpochs(copy));
  }

  /** Appends trial rows to the {@code trials} table in one part file, written behind. */
  void trials(List<TrialRecord> rows) throws ArgusException {
    List<TrialRecord> copy = List.copyOf(rows);
    append("trials", () -> dir.appendTrials(copy));
  }

  /**
   * Opens a run directory: a new run writes its spec; a resume checks it and reads what the run
   * recorded.
   *
   * @param dir the run directory
   * @param spec the run's spec
   * @param resume continue the run in {@code dir}
   * @return what to replay ({@link Replay#NONE} for a new run)
   * @throws ArgusException if a new run's directory holds a run, a resumed one holds none or a
   *     different spec (the message lists the differences), or the directory cannot be read
   */
  static Replay replay(RunDirectory dir, Map<String, String> spec, boolean resume) throws ArgusException {
    try {
      Map<String, String> stored = dir.readSpec();
      if (!resume) {
        if (stored != null) {
          throw new ArgusException(
              "run directory " + dir.root() + " already holds a run; use --resume or another directory");
        }
        dir.writeSpec(spec);
        return Replay.NONE;
      }
      if (stored == null) {
        throw new ArgusException("cannot resume: " + dir.root() + " holds no run (spec.properties missing)");
      }
      List<String> diff = RunDirectory.differences(stored, spec);
      if (!diff.isEmpty()) {
        throw new ArgusException(
            "cannot resume " + dir.root() + " with a different spec:\n  " + String.join("\n  ", diff));
      }
      return new Replay(dir.readEpochs(), dir.readUnits());
    } catch (IOException e) {
      throw new ArgusException("run directory " + dir.root() + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param runDir a run directory's path or URI
   * @return it qualified against the driver's file system (executors resolve relative paths against
   *     their own working directory)
   * @throws ArgusException if the file system cannot be reached
   */
  static String qualified(String runDir) throws ArgusException {
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(runDir);
      return org.argus.store.HadoopConf.fileSystem(p).makeQualified(p).toString();
    } catch (IOException e) {
      throw new ArgusException("run directory " + runDir + ": " + e.getMessage(), e);
    }
  }
}
