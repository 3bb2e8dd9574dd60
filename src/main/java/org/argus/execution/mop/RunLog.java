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
 */
final class RunLog {
  private final RunDirectory dir;
  private final Consumer<UnitRecord> listener;
  private final List<UnitRecord> units = new ArrayList<>();
  private long bytesMoved;

  RunLog(RunDirectory dir, Consumer<UnitRecord> listener) {
    this.dir = dir;
    this.listener = listener;
  }

  /** Counts a finished attempt and tells the listener (before any unit that depends on it starts). */
  synchronized void observe(UnitRecord r) {
    units.add(r);
    bytesMoved += r.bytesRead() + r.bytesWritten();
    listener.accept(r);
  }

  /** Appends a finished attempt to the {@code units} table (one part file per unit). */
  synchronized void persist(UnitRecord r) throws ArgusException {
    try {
      dir.appendUnits(List.of(r));
    } catch (IOException e) {
      throw failure("units", e);
    }
  }

  /** Appends several finished attempts to the {@code units} table in one part file (none: nothing). */
  synchronized void persistAll(List<UnitRecord> rs) throws ArgusException {
    if (rs.isEmpty()) {
      return;
    }
    try {
      dir.appendUnits(rs);
    } catch (IOException e) {
      throw failure("units", e);
    }
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

  void epochs(List<EpochRecord> rows) throws ArgusException {
    try {
      dir.appendEpochs(rows);
    } catch (IOException e) {
      throw failure("epochs", e);
    }
  }

  void trials(List<TrialRecord> rows) throws ArgusException {
    try {
      dir.appendTrials(rows);
    } catch (IOException e) {
      throw failure("trials", e);
    }
  }

  private ArgusException failure(String table, IOException e) {
    return new ArgusException("cannot write table " + table + " in " + dir.root() + ": " + e.getMessage(), e);
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
