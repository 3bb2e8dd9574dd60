package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-JVM board of round-job markers: a hint that wakes waiting tasks, bounded, never required. */
class MarkerBoardTest {
  @Test
  void aPostWakesATaskWaitingOnTheBoard() throws Exception {
    long seen = MarkerBoard.version();
    CompletableFuture<Boolean> woke = CompletableFuture.supplyAsync(() -> {
      try {
        return MarkerBoard.await(seen, 60_000);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(50);
    assertFalse(woke.isDone(), "nothing posted yet");
    MarkerBoard.post("rounds/wake-test", "t1-e1-s0.done");
    assertTrue(woke.get(10, TimeUnit.SECONDS), "woken by the post, long before its 60 s");
    assertEquals(Set.of("t1-e1-s0.done"), MarkerBoard.posted("rounds/wake-test"));
  }

  @Test
  void aWaitWithNothingPostedEndsAfterItsTimeoutWithFalse() throws Exception {
    long seen = MarkerBoard.version();
    long t0 = System.nanoTime();
    assertFalse(MarkerBoard.await(seen, 30));
    assertTrue((System.nanoTime() - t0) / 1e6 >= 29, "waited its 30 ms");
  }

  @Test
  void aForgottenJobHasNoMarkersAndTheBoardKeepsOnlyRecentJobs() {
    MarkerBoard.post("rounds/forget-test", "shard-0.started");
    MarkerBoard.forget("rounds/forget-test");
    assertEquals(Set.of(), MarkerBoard.posted("rounds/forget-test"));
    MarkerBoard.post("rounds/oldest-test", "shard-0.started");
    for (int i = 0; i < MarkerBoard.JOBS; i++) {
      MarkerBoard.post("rounds/newer-" + i, "shard-0.started");
    }
    assertEquals(Set.of(), MarkerBoard.posted("rounds/oldest-test"), "evicted: tasks list the directory instead");
    assertEquals(Set.of("shard-0.started"), MarkerBoard.posted("rounds/newer-" + (MarkerBoard.JOBS - 1)));
  }

  @Test
  void aMarkerPostedWithItsPayloadGivesItBackUntilItsJobIsForgotten() {
    byte[] records = {1, 2, 3};
    MarkerBoard.post("rounds/payload-test", "t0-e1-s1.done", records);
    assertArrayEquals(records, MarkerBoard.payload("rounds/payload-test", "t0-e1-s1.done"));
    assertNull(MarkerBoard.payload("rounds/payload-test", "t0-e1-s0.done"), "not posted");
    MarkerBoard.forget("rounds/payload-test");
    assertNull(MarkerBoard.payload("rounds/payload-test", "t0-e1-s1.done"), "forgotten");
  }
}
