package org.argus.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * Progress counts move while a task runs: executors' heartbeats carry the running task's count. The
 * task below stops half-way until the test has seen its partial count (or gives up after 60 s, a hang
 * guard, after which the assertion on what was seen fails). Task ends reach listeners through
 * Spark's listener bus, on its own thread, possibly after the job has returned: the counts after a
 * job are read once the bus is empty.
 */
class RunningCountTest {
  /** Opened by the test once it has read the partial count; the task waits on it (same JVM). */
  private static volatile CountDownLatch release;

  private static long seenWhileRunning(RunningCount c, long want, CompletableFuture<?> job) throws Exception {
    long seen = 0;
    for (int i = 0; i < 600 && seen < want && !job.isDone(); i++) {
      seen = c.value();
      Thread.sleep(100);
    }
    return seen;
  }

  @Test
  void anAccumulatorsCountIncludesWhatARunningTaskAddedSoFar() throws Exception {
    SparkContext sc = SparkTestSession.get().sparkContext();
    LongAccumulator acc = sc.longAccumulator("running-count-test");
    release = new CountDownLatch(1);
    try (RunningCount c = RunningCount.of(sc, acc)) {
      CompletableFuture<Void> job = CompletableFuture.runAsync(() ->
          new JavaSparkContext(sc).parallelize(List.of(1), 1).foreach(x -> {
            acc.add(5);
            release.await(60, TimeUnit.SECONDS);
            acc.add(2);
          }));
      long seen = seenWhileRunning(c, 5, job);
      boolean stillRunning = !job.isDone();
      release.countDown();
      job.get(120, TimeUnit.SECONDS);
      sc.listenerBus().waitUntilEmpty(); // the task's end reaches listeners after the job returns
      assertTrue(stillRunning, "the task was still running when its partial count was read");
      assertEquals(5, seen, "the running task's 5 before it ended (driver value: " + acc.value() + " then)");
      assertEquals(7, c.value(), "after the task: the driver's value, counted once");
    }
  }

  @Test
  void aNamedAccumulatorCountsRunningAndSucceededTasksSinceRegistration() throws Exception {
    SparkContext sc = SparkTestSession.get().sparkContext();
    LongAccumulator before = sc.longAccumulator("running-count-named");
    new JavaSparkContext(sc).parallelize(List.of(1), 1).foreach(x -> before.add(100)); // before registration
    LongAccumulator acc = sc.longAccumulator("running-count-named");
    release = new CountDownLatch(1);
    try (RunningCount c = RunningCount.named(sc, "running-count-named")) {
      CompletableFuture<Void> job = CompletableFuture.runAsync(() ->
          new JavaSparkContext(sc).parallelize(List.of(1, 2), 2).foreach(x -> {
            acc.add(3);
            if (x == 2) {
              release.await(60, TimeUnit.SECONDS);
              acc.add(4);
            }
          }));
      long seen = seenWhileRunning(c, 6, job); // task 1 ended (3) + task 2 running (3)
      boolean stillRunning = !job.isDone();
      release.countDown();
      job.get(120, TimeUnit.SECONDS);
      sc.listenerBus().waitUntilEmpty(); // task ends reach listeners after the job returns
      assertTrue(stillRunning, "a task was still running when the count was read");
      assertEquals(6, seen);
      assertEquals(10, c.value(), "after the job: 3 + 7 from its tasks, none of the 100 from before");
    }
  }
}
