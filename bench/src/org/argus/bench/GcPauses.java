package org.argus.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The JVM's garbage-collection pauses, recorded from the collectors' notifications (JDK's {@code
 * GarbageCollectionNotificationInfo}), so a benchmark can say how much of a timed window the heap's
 * collections took: with ParallelGC every collection stops all threads, and one young collection
 * that copies freshly cached features can take 0.1–0.8 s on the development machine, as long as a
 * whole side of a short comparison.
 */
final class GcPauses {
  private static final List<long[]> PAUSES = new ArrayList<>(); // {start, end} epoch ms
  private static boolean installed;

  private GcPauses() {}

  /** Starts recording (once per JVM). */
  static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener((n, h) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
          GarbageCollectionNotificationInfo i = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
          synchronized (GcPauses.class) {
            PAUSES.add(new long[] {jvmStart + i.getGcInfo().getStartTime(), jvmStart + i.getGcInfo().getEndTime()});
          }
        }
      }, null, null);
    }
  }

  /**
   * @param fromMs window start, epoch ms
   * @param toMs window end, epoch ms
   * @return the recorded pauses' time inside the window, seconds (notifications arrive shortly after
   *     a collection: ask some milliseconds after the window)
   */
  static synchronized double seconds(long fromMs, long toMs) {
    long ms = 0;
    for (long[] p : PAUSES) {
      ms += Math.max(0, Math.min(toMs, p[1]) - Math.max(fromMs, p[0]));
    }
    return ms / 1e3;
  }
}
