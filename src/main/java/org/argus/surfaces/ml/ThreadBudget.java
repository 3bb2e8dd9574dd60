package org.argus.surfaces.ml;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * The executor thread budget of the image and ONNX stages: each running task drives one ONNX
 * Runtime call at a time with {@code intraOpThreads} threads, so an executor needs task slots ×
 * intra-op threads ≤ its cores, or ORT threads oversubscribe the CPUs (each slower than one
 * thread alone). Slots are {@code spark.executor.cores / spark.task.cpus} on a cluster and
 * {@code N} of {@code local[N]} (all cores for {@code local[*]}) in local mode.
 */
public final class ThreadBudget {
  private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?\\]");

  private ThreadBudget() {}

  /**
   * @param conf the application's Spark configuration
   * @param cores cores of one executor machine (local mode: this JVM's available processors)
   * @return concurrent tasks per executor: {@code local[N]} → N, {@code local} → 1, {@code
   *     local[*]} → cores, cluster → {@code spark.executor.cores / spark.task.cpus} (cores when
   *     {@code spark.executor.cores} is unset, as standalone then gives an executor all cores)
   */
  public static int taskSlots(SparkConf conf, int cores) {
    String master = conf.get("spark.master", "local[*]");
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    if (master.equals("local")) {
      return 1;
    }
    Matcher m = LOCAL.matcher(master);
    if (m.matches()) {
      return m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
    }
    return Math.max(1, conf.getInt("spark.executor.cores", cores) / taskCpus);
  }

  /**
   * Checks slots × intraOpThreads ≤ cores. One intra-op thread always passes: it is the least ORT
   * can use, and more slots than cores is Spark's own configuration, not this stage's.
   *
   * @param stage stage name for the message
   * @param conf the application's Spark configuration
   * @param intraOpThreads ORT intra-op threads per session
   * @param cores cores per executor
   * @throws IllegalStateException naming slots, threads and cores when the budget is exceeded, and
   *     the largest intraOpThreads that fits
   */
  public static void check(String stage, SparkConf conf, int intraOpThreads, int cores) {
    int slots = taskSlots(conf, cores);
    if (intraOpThreads > 1 && (long) slots * intraOpThreads > cores) {
      throw new IllegalStateException(
          stage + ": thread budget exceeded: " + slots + " task slots per executor x "
              + intraOpThreads + " ONNX Runtime intra-op threads > " + cores + " cores; set "
              + "intraOpThreads to at most " + Math.max(1, cores / slots)
              + " (or run fewer task slots per executor)");
    }
  }
}
