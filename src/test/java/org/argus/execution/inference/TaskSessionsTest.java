package org.argus.execution.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.argus.runtime.SessionCache;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/** Spark tasks lease a graph's session once per task and release it when the task completes. */
class TaskSessionsTest {
  /** Sessions created (local mode: the tasks run in this JVM). */
  static final AtomicInteger CREATED = new AtomicInteger();
  static final String SHA = org.argus.provision.Sha256.of("TaskSessionsTest".getBytes());

  static byte[] graph() {
    CREATED.incrementAndGet();
    return org.argus.runtime.SessionCacheTest.addGraph(5f);
  }

  @Test
  void aTaskLeasesOnceAndReleasesWhenItCompletes() throws Exception {
    String saved = System.getProperty(SessionCache.MAX_IDLE_PROPERTY);
    System.setProperty(SessionCache.MAX_IDLE_PROPERTY, "0"); // a released session is closed at once
    try {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
      List<Float> out = sc.parallelize(List.of(1, 2), 1).mapPartitions(it -> {
        float a = TaskSessions.get(SHA, TaskSessionsTest::graph, 1)
            .run("x", new float[] {1f}, new long[] {1}, List.of("y")).get(0).values()[0];
        float b = TaskSessions.get(SHA, TaskSessionsTest::graph, 1) // the same lease, still open
            .run("x", new float[] {2f}, new long[] {1}, List.of("y")).get(0).values()[0];
        return List.of(a, b).iterator();
      }).collect();
      assertEquals(List.of(6f, 7f), out);
      assertEquals(1, CREATED.get(), "one session for both calls of the task");
      // released at task completion and, with no idle session kept, closed: a new lease creates it again
      SessionCache.acquire(SHA, TaskSessionsTest::graph, 1).close();
      assertEquals(2, CREATED.get());
    } finally {
      if (saved == null) {
        System.clearProperty(SessionCache.MAX_IDLE_PROPERTY);
      } else {
        System.setProperty(SessionCache.MAX_IDLE_PROPERTY, saved);
      }
    }
  }
}
