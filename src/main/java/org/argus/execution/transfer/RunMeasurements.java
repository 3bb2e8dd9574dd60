package org.argus.execution.transfer;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;

/**
 * What a feature-transfer run measures while it runs, to check the cost model's estimates (EXPLAIN
 * ANALYZE): per phase (each inference query of the plan, each layer's training) the wall seconds,
 * Spark's task metrics (peak execution memory, spills; from {@code SparkListenerTaskEnd}, the
 * phase being the {@link #PHASE_PROPERTY} of the job that submitted the stage), the storage held
 * by persisted layers (Spark's storage status: memory + disk of every cached RDD, block manager
 * figures, not row counts) and the JVM's live heap after each garbage collection (local mode: the
 * driver is the executor); over the run also the used heap sampled every 50 ms (which includes
 * garbage not yet collected).
 *
 * <p>Use: {@link #start}, then {@link #begin}/{@link #end} around each phase, then {@link #stop}.
 */
final class RunMeasurements {
  /** The local property naming the run's phase on the jobs the driver thread starts. */
  static final String PHASE_PROPERTY = "argus.transfer.phase";

  private final SparkSession spark;
  private final TaskMetrics tasks = new TaskMetrics();
  private final AtomicLong heapPeak = new AtomicLong();
  private final AtomicLong livePeak = new AtomicLong(-1);
  private final Map<String, long[]> livePeakByPhase = new ConcurrentHashMap<>();
  private final List<Object[]> ended = new ArrayList<>();
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener gcListener = this::onGc;
  private final long storedBefore;
  private volatile String phase;
  private ScheduledExecutorService sampler;
  private long maxHeld;

  private RunMeasurements(SparkSession spark) {
    this.spark = spark;
    this.storedBefore = storedBytes();
  }

  /** @return measurements started now (listener, GC notifications and heap sampler registered) */
  static RunMeasurements start(SparkSession spark) {
    RunMeasurements m = new RunMeasurements(spark);
    spark.sparkContext().addSparkListener(m.tasks);
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter e) {
        e.addNotificationListener(m.gcListener, null, null);
        m.emitters.add(e);
      }
    }
    m.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "argus-heap-sampler");
      t.setDaemon(true);
      return t;
    });
    m.sampler.scheduleAtFixedRate(
        () -> m.heapPeak.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max),
        0, 50, TimeUnit.MILLISECONDS);
    return m;
  }

  private void onGc(Notification n, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
    long live = 0;
    for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
      live += u.getUsed();
    }
    long l = live;
    livePeak.accumulateAndGet(l, Math::max);
    String p = phase;
    if (p != null) {
      livePeakByPhase.compute(p, (k, v) -> v == null ? new long[] {l, 1} : new long[] {Math.max(v[0], l), v[1] + 1});
    }
  }

  /** Tags the jobs the calling thread starts from now on with {@code label}. */
  void begin(String label) {
    phase = label;
    spark.sparkContext().setLocalProperty(PHASE_PROPERTY, label);
  }

  /**
   * Ends the phase begun last.
   *
   * @param label as given to {@link #begin}
   * @param inference true for an inference query
   * @param seconds the phase's wall seconds
   * @param measureHeld whether to read the storage held now (after an inference query)
   * @param taskBatchCycleBytes the most heap a task allocated in one batch cycle (−1: not measured)
   * @return the bytes held by the run's persisted data now (-1 when not measured)
   */
  long end(String label, boolean inference, double seconds, boolean measureHeld, long taskBatchCycleBytes) {
    long held = -1;
    if (measureHeld) {
      held = storedBytes() - storedBefore;
      maxHeld = Math.max(maxHeld, held);
    }
    ended.add(new Object[] {label, inference, seconds, held, taskBatchCycleBytes});
    phase = null;
    spark.sparkContext().setLocalProperty(PHASE_PROPERTY, null);
    return held;
  }

  /**
   * @param label a phase
   * @return Spark jobs of the phase finished so far (training: about one per optimizer iteration)
   */
  long jobsDone(String label) {
    AtomicLong n = tasks.jobsDone.get(label);
    return n == null ? 0 : n.get();
  }

  /** @return the largest storage the run held at a phase end, bytes */
  long maxHeld() {
    return maxHeld;
  }

  /**
   * Stops measuring and returns what was measured (waits up to 10 s for Spark's listener bus).
   *
   * @param seconds the run's wall seconds
   * @param notes appended with a line if the listener bus did not drain
   */
  TransferResult.Measured stop(double seconds, List<String> notes) {
    spark.sparkContext().setLocalProperty(PHASE_PROPERTY, null);
    try {
      // LiveListenerBus.waitUntilEmpty is Spark-internal (private[spark]) but public in bytecode
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } catch (TimeoutException e) {
      notes.add("Spark's listener bus did not drain within 10 s: the measured task metrics may miss the last tasks");
    }
    spark.sparkContext().removeSparkListener(tasks);
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(gcListener);
      } catch (javax.management.ListenerNotFoundException ignored) {
        // already removed
      }
    }
    sampler.shutdownNow();
    List<TransferResult.PhaseMetrics> phases = new ArrayList<>();
    for (Object[] e : ended) {
      String label = (String) e[0];
      long[] a = tasks.byPhase.getOrDefault(label, new long[4]);
      long[] live = livePeakByPhase.getOrDefault(label, new long[] {-1, 0});
      phases.add(new TransferResult.PhaseMetrics(label, (boolean) e[1], (double) e[2], a[0], a[1], a[2], a[3],
          (long) e[3], live[0], live[1], (long) e[4]));
    }
    boolean local = spark.sparkContext().isLocal();
    return new TransferResult.Measured(seconds, local ? heapPeak.get() : -1, local ? livePeak.get() : -1,
        tasks.memSpilled.get(), tasks.diskSpilled.get(), tasks.peakExec.get(), maxHeld, phases);
  }

  /** @return bytes (memory + disk) of every cached RDD now, from Spark's storage status */
  long storedBytes() {
    long total = 0;
    for (RDDInfo i : spark.sparkContext().getRDDStorageInfo()) {
      total += i.memSize() + i.diskSize();
    }
    return total;
  }

  /** Spark task metrics over the run and per phase. */
  private static final class TaskMetrics extends SparkListener {
    final AtomicLong memSpilled = new AtomicLong();
    final AtomicLong diskSpilled = new AtomicLong();
    final AtomicLong peakExec = new AtomicLong();
    final Map<Integer, String> stagePhase = new ConcurrentHashMap<>();
    /** phase → {tasks, peak execution memory, memory spilled, disk spilled} */
    final Map<String, long[]> byPhase = new ConcurrentHashMap<>();
    final Map<Integer, String> jobPhase = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> jobsDone = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart e) {
      String phase = e.properties() == null ? null : e.properties().getProperty(PHASE_PROPERTY);
      if (phase != null) {
        jobPhase.put(e.jobId(), phase);
      }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
      String phase = jobPhase.remove(e.jobId());
      if (phase != null) {
        jobsDone.computeIfAbsent(phase, k -> new AtomicLong()).incrementAndGet();
      }
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
      String phase = e.properties() == null ? null : e.properties().getProperty(PHASE_PROPERTY);
      if (phase != null) {
        stagePhase.put(e.stageInfo().stageId(), phase);
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
      if (e.taskMetrics() == null) {
        return;
      }
      long mem = e.taskMetrics().memoryBytesSpilled();
      long disk = e.taskMetrics().diskBytesSpilled();
      long peak = e.taskMetrics().peakExecutionMemory();
      memSpilled.addAndGet(mem);
      diskSpilled.addAndGet(disk);
      peakExec.accumulateAndGet(peak, Math::max);
      String phase = stagePhase.get(e.stageId());
      if (phase != null) {
        byPhase.compute(phase, (k, v) -> {
          long[] a = v == null ? new long[4] : v;
          a[0]++;
          a[1] = Math.max(a[1], peak);
          a[2] += mem;
          a[3] += disk;
          return a;
        });
      }
    }
  }
}
