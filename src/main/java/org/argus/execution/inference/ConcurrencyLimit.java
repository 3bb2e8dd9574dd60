package org.argus.execution.inference;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Bounds the number of concurrent inference tasks per executor JVM to the optimizer's {@code
 * tasksPerExecutor}, whatever Spark's task slots are (Spark has no per-stage concurrency knob in
 * local mode): a task takes a permit of a JVM-wide semaphore before its first batch and returns it
 * when its iterator is exhausted or the task ends (success or failure).
 */
final class ConcurrencyLimit implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private static final Map<Integer, Semaphore> PERMITS = new ConcurrentHashMap<>();

  private final InferenceStage stage;
  private final Counters counters;
  private final int permits;

  /**
   * @param stage the stage each partition runs through the kernel
   * @param counters its counters
   * @param permits concurrent tasks allowed per JVM (≥ 1)
   */
  ConcurrencyLimit(InferenceStage stage, Counters counters, int permits) {
    this.stage = stage;
    this.counters = counters;
    this.permits = permits;
  }

  /**
   * @throws IllegalStateException when the task is interrupted (killed) while it waits for a permit
   */
  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    Semaphore s = PERMITS.computeIfAbsent(permits, Semaphore::new);
    try {
      s.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(stage.name() + ": interrupted while waiting for one of " + permits
          + " inference slots of this JVM", e);
    }
    AtomicBoolean held = new AtomicBoolean(true);
    Runnable release = () -> {
      if (held.compareAndSet(true, false)) {
        s.release();
      }
    };
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> release.run());
    }
    Iterator<Row> it;
    try {
      it = new InferenceKernel(stage, counters).apply(rows);
    } catch (RuntimeException | Error e) {
      release.run();
      throw e;
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        boolean more = it.hasNext();
        if (!more) {
          release.run();
        }
        return more;
      }

      @Override
      public Row next() {
        return it.next();
      }
    };
  }
}
