package org.argus.execution.mop;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.argus.ArgusException;
import org.argus.store.CheckpointStore;

/**
 * Hop checkpoints of a {@link RoundJob} task written behind its chain of unit queries, on a local
 * master (every task in one JVM). A unit whose output checkpoint a later unit of the same job reads
 * (a hop) holds the exported state here instead of writing it; its marker is posted on the JVM's
 * {@link MarkerBoard} at once, so the successor starts at once (continuing the live trainer, {@link
 * LiveStates}, or reading the held state). The task writes the checkpoint file and then the marker
 * file to the store while it has no unit ready ({@link #flushOne}), and whatever is left before it
 * posts {@code shard-<s>.stopped} ({@link #flushAll}); so when a task ends, every checkpoint and
 * marker of its units is on the store, exactly as when each unit writes its own, and a reader in
 * the JVM meanwhile gets the held bytes ({@link #read}).
 *
 * <p>Why: the two file writes of a hop (the checkpoint, 0.1–0.6 MB for the demo's heads, and the
 * marker) cost 1–2 ms on the development machine, on the config's chain of units, which is what
 * bounds a MOP round (each config's units run one after another across the shards); a task waits
 * for other shards' units 15–20 % of a round's span (`bench/run fusion mop`), and the writes fit
 * there.
 *
 * <p>The held states are a per-JVM cache (documented static state), keyed by the job's marker
 * directory and the checkpoint name; one instance is one task's queue. A task holds at most {@value
 * #MAX_HELD_BYTES} bytes: beyond that, it writes its oldest held checkpoints at once.
 */
final class WriteBehind {
  /** Bytes of checkpoint state one task holds at most before it writes the oldest at once. */
  static final long MAX_HELD_BYTES = 64L << 20;
  private static final Map<String, byte[]> HELD = new HashMap<>();

  /**
   * A held checkpoint and the marker written after it.
   *
   * @param checkpoint the checkpoint name
   * @param marker the marker name (relative to the store)
   * @param payload the marker's payload
   */
  private record Pending(String checkpoint, String marker, byte[] payload) {}

  private final CheckpointStore store;
  private final String job;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final Map<String, byte[]> mine = new LinkedHashMap<>(); // held by this task, oldest first
  private final long maxHeldBytes;
  private long heldBytes;

  /**
   * @param store the run's checkpoint store
   * @param job the round job's marker directory
   */
  WriteBehind(CheckpointStore store, String job) {
    this(store, job, MAX_HELD_BYTES);
  }

  /**
   * @param store the run's checkpoint store
   * @param job the round job's marker directory
   * @param maxHeldBytes bytes of state this task holds at most (tests)
   */
  WriteBehind(CheckpointStore store, String job, long maxHeldBytes) {
    this.store = store;
    this.job = job;
    this.maxHeldBytes = maxHeldBytes;
  }

  private static String key(String job, String checkpoint) {
    return job + "|" + checkpoint;
  }

  /**
   * Holds a unit's output state instead of writing it; the unit's marker follows ({@link #marker}).
   *
   * @param checkpoint the checkpoint name
   * @param state the trainer's exported state
   * @return the bytes the checkpoint file will take ({@link CheckpointStore#fileBytes})
   */
  long hold(String checkpoint, byte[] state) {
    synchronized (HELD) {
      HELD.put(key(job, checkpoint), state);
    }
    mine.put(checkpoint, state);
    heldBytes += state.length;
    return CheckpointStore.fileBytes(state);
  }

  /**
   * @param checkpoint a checkpoint name
   * @return whether this task holds it unwritten
   */
  boolean holds(String checkpoint) {
    return mine.containsKey(checkpoint);
  }

  /**
   * Queues the marker written after a held checkpoint, and writes the oldest held checkpoints while
   * this task holds more than its bound ({@value #MAX_HELD_BYTES} bytes).
   *
   * @param checkpoint a checkpoint this task holds ({@link #holds})
   * @param marker the unit's marker name (relative to the store)
   * @param payload the marker's payload
   * @throws ArgusException if a write fails
   */
  void marker(String checkpoint, String marker, byte[] payload) throws ArgusException {
    queue.add(new Pending(checkpoint, marker, payload));
    while (heldBytes > maxHeldBytes && flushOne()) {
      // the oldest first
    }
  }

  /**
   * Writes the oldest queued checkpoint, then its marker, and drops the held state (a reader in the
   * JVM then finds the file).
   *
   * @return whether one was written
   * @throws ArgusException if a write fails
   */
  boolean flushOne() throws ArgusException {
    Pending p = queue.poll();
    if (p == null) {
      return false;
    }
    write(p.checkpoint());
    store.write(p.marker(), p.payload());
    return true;
  }

  /** Writes a held checkpoint's file, then drops the held state. */
  private void write(String checkpoint) throws ArgusException {
    byte[] state = mine.get(checkpoint);
    store.write(checkpoint, state);
    mine.remove(checkpoint);
    synchronized (HELD) {
      HELD.remove(key(job, checkpoint));
    }
    heldBytes -= state.length;
  }

  /**
   * Writes every queued checkpoint and its marker, oldest first, then any held checkpoint whose
   * marker never came (its unit failed after holding it).
   *
   * @throws ArgusException if a write fails
   */
  void flushAll() throws ArgusException {
    while (flushOne()) {
      // the oldest first
    }
    for (String c : new ArrayList<>(mine.keySet())) {
      write(c);
    }
  }

  /**
   * A checkpoint's state: held in this JVM by a task of the job, else the store's file.
   *
   * @param store the run's checkpoint store
   * @param job the round job's marker directory, or null (the store only)
   * @param checkpoint the checkpoint name
   * @return its payload
   * @throws ArgusException if it is neither held nor readable from the store
   */
  static byte[] read(CheckpointStore store, String job, String checkpoint) throws ArgusException {
    if (job != null) {
      synchronized (HELD) {
        byte[] b = HELD.get(key(job, checkpoint));
        if (b != null) {
          return b;
        }
      }
    }
    return store.read(checkpoint);
  }

  /**
   * Drops the states a job's tasks still hold (the job failed before they flushed).
   *
   * @param job the round job's marker directory
   */
  static void forget(String job) {
    synchronized (HELD) {
      Iterator<String> it = HELD.keySet().iterator();
      while (it.hasNext()) {
        if (it.next().startsWith(job + "|")) {
          it.remove();
        }
      }
    }
  }

  /** @return states held now in this JVM (tests) */
  static int held() {
    synchronized (HELD) {
      return HELD.size();
    }
  }
}
