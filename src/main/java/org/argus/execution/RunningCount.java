package org.argus.execution;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * An accumulator's count for a progress line, including what running tasks have added so far. On
 * the driver an accumulator grows only when a task ends, and one task of an inference pass can
 * run for a minute (InceptionV3 at 299² on 2 cores: 700 images in about 30 s), so the line would sit
 * still. Executors send their running tasks' accumulators with every heartbeat ({@code
 * spark.executor.heartbeatInterval}; {@link SparkSessions} sets {@value SparkSessions#HEARTBEAT}
 * unless the configuration gives one). This listener keeps each running
 * task's latest value and drops it when the task ends, when the driver's value has taken it in.
 * Register with {@link #of} (an accumulator at hand) or {@link #named} (one a stage created inside,
 * known by its name), read {@link #value()} from any thread, {@link #close()} when the work ends.
 * (Rows written to files cannot be followed this way: Spark's file writers set their task's {@code
 * recordsWritten} only when the task commits.) If an executor's heartbeater thread has died, as
 * Spark 4.2's does for good when a heartbeat meets a {@code Dataset.cache()} accumulator still being
 * deserialized (SPARK-59451, an NPE in {@code PartitionKeyedAccumulator.isZero}), the count moves
 * only when tasks end, as without this listener.
 */
public final class RunningCount extends SparkListener implements AutoCloseable {
  private final SparkContext sc;
  private final Predicate<AccumulableInfo> counted;
  /** The ended tasks' count: the accumulator's driver value, or (by name) the sum this listener keeps. */
  private final LongSupplier ended;
  private final AtomicLong endedByName = new AtomicLong();
  private final boolean byName;
  private final Map<Long, Long> running = new ConcurrentHashMap<>();
  private final AtomicLong shown = new AtomicLong();

  private RunningCount(SparkContext sc, Predicate<AccumulableInfo> counted, LongSupplier ended) {
    this.sc = sc;
    this.counted = counted;
    this.byName = ended == null;
    this.ended = byName ? endedByName::get : ended;
  }

  /**
   * @param sc the context whose listener bus carries the heartbeats
   * @param acc an accumulator registered with {@code sc}
   * @return a registered listener: the accumulator's driver value plus running tasks' additions
   */
  public static RunningCount of(SparkContext sc, LongAccumulator acc) {
    return register(new RunningCount(sc, info -> info.id() == acc.id(), acc::value));
  }

  /**
   * @param sc the context whose listener bus carries the heartbeats and task ends
   * @param name the name a numeric accumulator was registered with (e.g. an inference stage's
   *     {@code argus.<uid>.rows}); every accumulator of that name counts
   * @return a registered listener: what tasks that succeeded since registration added to it (from
   *     their task-end events), plus running tasks' additions. Task-end events come through Spark's
   *     listener bus, on its own thread: right after a job returns, its last tasks may not be
   *     counted yet (wait for the bus, or use the job's known total, for a final figure)
   */
  public static RunningCount named(SparkContext sc, String name) {
    return register(new RunningCount(sc, info -> info.name().isDefined() && name.equals(info.name().get()), null));
  }

  private static RunningCount register(RunningCount c) {
    c.sc.addSparkListener(c);
    return c;
  }

  /**
   * @return the ended tasks' count plus the running tasks' last reported values; never less than an
   *     earlier return (a task's count is briefly in both as it ends)
   */
  public long value() {
    long v = ended.getAsLong();
    for (long r : running.values()) {
      v += r;
    }
    final long now = v;
    return shown.updateAndGet(prev -> Math.max(prev, now));
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
        : CollectionConverters.asJava(e.accumUpdates())) {
      for (AccumulableInfo info : CollectionConverters.asJava(t._4())) {
        if (counted.test(info) && info.update().isDefined() && info.update().get() instanceof Number n) {
          running.put((Long) t._1(), n.longValue());
        }
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    if (byName && e.reason() == org.apache.spark.Success$.MODULE$) {
      for (AccumulableInfo info : CollectionConverters.asJava(e.taskInfo().accumulables())) {
        if (counted.test(info) && info.update().isDefined() && info.update().get() instanceof Number n) {
          endedByName.addAndGet(n.longValue());
        }
      }
    }
    running.remove(e.taskInfo().taskId());
  }

  /** Unregisters the listener. */
  @Override
  public void close() {
    sc.removeSparkListener(this);
  }
}
