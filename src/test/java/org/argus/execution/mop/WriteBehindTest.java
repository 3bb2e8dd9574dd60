package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.argus.store.CheckpointStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hop checkpoints written behind a round job's chain: readable in the JVM at once, on the store once flushed. */
class WriteBehindTest {
  @TempDir Path dir;

  private static byte[] state(int n, int seed) {
    byte[] b = new byte[n];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void aHeldCheckpointIsReadFromTheJvmUntilFlushedThenItAndItsMarkerAreOnTheStore() throws Exception {
    CheckpointStore store = new CheckpointStore(dir.toString());
    WriteBehind w = new WriteBehind(store, "rounds/held-test");
    byte[] s = state(1000, 1);
    assertEquals(1048, w.hold("ckpt/trial-0/e1-s0.ckpt", s), "the file's bytes: payload + 48-byte header");
    w.marker("ckpt/trial-0/e1-s0.ckpt", "rounds/held-test/t0-e1-s0.done", new byte[] {7});
    assertFalse(store.exists("ckpt/trial-0/e1-s0.ckpt"), "held, not written yet");
    assertFalse(store.exists("rounds/held-test/t0-e1-s0.done"), "the marker follows its checkpoint");
    assertArrayEquals(s, WriteBehind.read(store, "rounds/held-test", "ckpt/trial-0/e1-s0.ckpt"));
    assertThrows(org.argus.ArgusException.class, () -> WriteBehind.read(store, "rounds/other-job", "ckpt/trial-0/e1-s0.ckpt"),
        "another job never sees this job's held states");

    assertTrue(w.flushOne());
    assertFalse(w.flushOne(), "nothing left to write");
    assertArrayEquals(s, store.read("ckpt/trial-0/e1-s0.ckpt"));
    assertArrayEquals(new byte[] {7}, store.read("rounds/held-test/t0-e1-s0.done"));
    assertFalse(w.holds("ckpt/trial-0/e1-s0.ckpt"));
    assertArrayEquals(s, WriteBehind.read(store, "rounds/held-test", "ckpt/trial-0/e1-s0.ckpt"), "now from the store");
  }

  @Test
  void flushAllWritesEveryHeldCheckpointIncludingOneWhoseMarkerNeverCame() throws Exception {
    CheckpointStore store = new CheckpointStore(dir.toString());
    WriteBehind w = new WriteBehind(store, "rounds/all-test");
    w.hold("ckpt/a.ckpt", state(10, 2));
    w.marker("ckpt/a.ckpt", "rounds/all-test/a.done", new byte[0]);
    w.hold("ckpt/b.ckpt", state(10, 3)); // its unit failed after holding it: no marker
    w.flushAll();
    assertTrue(store.exists("ckpt/a.ckpt") && store.exists("rounds/all-test/a.done"));
    assertArrayEquals(state(10, 3), store.read("ckpt/b.ckpt"));
    assertFalse(w.holds("ckpt/a.ckpt") || w.holds("ckpt/b.ckpt"));
  }

  @Test
  void aTaskHoldingMoreThanItsBoundWritesItsOldestCheckpointsAtOnce() throws Exception {
    CheckpointStore store = new CheckpointStore(dir.toString());
    WriteBehind w = new WriteBehind(store, "rounds/bound-test", 150);
    w.hold("ckpt/1.ckpt", state(100, 4));
    w.marker("ckpt/1.ckpt", "rounds/bound-test/1.done", new byte[0]);
    assertFalse(store.exists("ckpt/1.ckpt"), "100 bytes held: within the bound");
    w.hold("ckpt/2.ckpt", state(100, 5));
    w.marker("ckpt/2.ckpt", "rounds/bound-test/2.done", new byte[0]);
    assertTrue(store.exists("ckpt/1.ckpt") && store.exists("rounds/bound-test/1.done"), "the oldest, written");
    assertFalse(store.exists("ckpt/2.ckpt"), "the newest still held");
    w.flushAll();
  }

  @Test
  void aFailedJobsHeldStatesAreDropped() throws Exception {
    CheckpointStore store = new CheckpointStore(dir.toString());
    WriteBehind w = new WriteBehind(store, "rounds/failed-test");
    w.hold("ckpt/x.ckpt", state(10, 6));
    WriteBehind.forget("rounds/failed-test");
    assertThrows(org.argus.ArgusException.class, () -> WriteBehind.read(store, "rounds/failed-test", "ckpt/x.ckpt"));
    assertTrue(Files.notExists(dir.resolve("ckpt/x.ckpt")));
  }
}
