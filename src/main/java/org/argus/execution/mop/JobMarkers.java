package org.argus.execution.mop;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.argus.ArgusException;
import org.argus.plan.mop.UnitRecord;
import org.argus.store.CheckpointStore;

/**
 * The hand-over markers of one {@link RoundJob}, under its directory {@code rounds/<id>/} of the
 * checkpoint store: each is written there (on a cluster, where tasks of other executors list the
 * directory and a task Spark runs again reads its earlier attempt's records), then posted on this
 * JVM's {@link MarkerBoard}; on a local master ({@code oneJvm}) the board, which every task shares,
 * is their only copy, payloads included (no file, no listing).
 */
final class JobMarkers implements Serializable {
  private static final long serialVersionUID = 1L;
  private final CheckpointStore store;
  private final String dir;
  private final boolean oneJvm;

  /**
   * @param store the run's checkpoint store
   * @param dir the job's marker directory, relative to the store
   * @param oneJvm every task of the job runs in this JVM (a local master)
   */
  JobMarkers(CheckpointStore store, String dir, boolean oneJvm) {
    this.store = store;
    this.dir = dir;
    this.oneJvm = oneJvm;
  }

  /** @return whether every task of the job runs in this JVM (a local master) */
  boolean oneJvm() {
    return oneJvm;
  }

  /**
   * Writes a marker to the store (not on one JVM), then posts it on this JVM's board.
   *
   * @param marker the marker's path relative to the store ({@code dir/name})
   * @param payload its content
   * @throws ArgusException when it cannot be written
   */
  void post(String marker, byte[] payload) throws ArgusException {
    if (!oneJvm) {
      store.write(marker, payload);
    }
    MarkerBoard.post(dir, name(marker), payload);
  }

  /**
   * @param name a marker's name in this job
   * @return its payload, from the store, or on one JVM from the board
   * @throws ArgusException when it cannot be read (on one JVM: the board no longer has the job)
   */
  byte[] read(String name) throws ArgusException {
    if (!oneJvm) {
      return store.read(dir + "/" + name);
    }
    byte[] b = MarkerBoard.payload(dir, name);
    if (b == null) {
      throw new ArgusException("round job marker " + dir + "/" + name + " is not on this JVM's marker board (it keeps"
          + " the " + MarkerBoard.JOBS + " most recent jobs)", null);
    }
    return b;
  }

  /**
   * @return the marker names present: one listing of the job's directory, or on one JVM the
   *     board's (which has them all)
   * @throws ArgusException when the directory cannot be listed
   */
  Set<String> list() throws ArgusException {
    return oneJvm ? MarkerBoard.posted(dir) : store.list(dir);
  }

  /** @return a marker path's file name */
  static String name(String marker) {
    return marker.substring(marker.lastIndexOf('/') + 1);
  }

  /**
   * Waits up to {@code ms} for a marker to be posted in this JVM ({@link MarkerBoard}).
   *
   * @param seen the board's version before the last look at the markers
   * @param ms the longest wait, ms
   * @return whether one was posted since
   * @throws ArgusException if the task is interrupted
   */
  static boolean pause(long seen, long ms) throws ArgusException {
    try {
      return MarkerBoard.await(seen, ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ArgusException("round job task interrupted while waiting for another shard's unit", e);
    }
  }

  /**
   * @param records unit records
   * @return the records as a marker's payload (Java serialization)
   * @throws ArgusException when a record cannot be serialized
   */
  static byte[] bytes(List<UnitRecord> records) throws ArgusException {
    try (java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(b)) {
      o.writeObject(new ArrayList<>(records));
      o.flush();
      return b.toByteArray();
    } catch (java.io.IOException e) {
      throw new ArgusException("cannot serialize unit records " + records + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param payload a marker's payload ({@link #bytes})
   * @return its records
   * @throws ArgusException when the payload is not a list of records
   */
  @SuppressWarnings("unchecked")
  static List<UnitRecord> records(byte[] payload) throws ArgusException {
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(payload))) {
      return (List<UnitRecord>) in.readObject();
    } catch (java.io.IOException | ClassNotFoundException e) {
      throw new ArgusException("cannot read unit records from a round job's marker: " + e.getMessage(), e);
    }
  }
}
