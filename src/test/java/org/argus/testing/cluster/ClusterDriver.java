package org.argus.testing.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.sql.SparkSession;

/**
 * Main class of the driver JVM that {@link StandaloneCluster#run} starts: reads a serialized
 * {@link ClusterJob}, creates a SparkSession from the {@code spark.*} system properties it was
 * launched with (master = the cluster), waits until the expected executors have registered, runs
 * the job, writes the outcome file and exits.
 *
 * <p>Arguments: {@code <job file> <outcome file> <expected executors> <executor wait seconds>}.
 * The outcome file holds one serialized {@link Outcome}; it is written to a temporary name and
 * moved into place, so a reader never sees half of it.
 */
public final class ClusterDriver {
  private ClusterDriver() {}

  /**
   * What the driver JVM hands back: the job's result, or its failure.
   *
   * @param result the job's return value, null on failure
   * @param error the failure (null on success, or when the throwable itself was not serializable)
   * @param stackTrace the failure's full stack trace as text, null on success
   */
  record Outcome(Serializable result, Throwable error, String stackTrace) implements Serializable {}

  /**
   * @param args job file, outcome file, expected executor count, seconds to wait for executors
   * @throws IOException when the job cannot be read or the outcome cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println(
          "usage: ClusterDriver <job file> <outcome file> <expected executors> <wait seconds>, found "
              + Arrays.toString(args));
      System.exit(2);
    }
    Path jobFile = Path.of(args[0]);
    Path outcomeFile = Path.of(args[1]);
    int executors = Integer.parseInt(args[2]);
    long waitMillis = Long.parseLong(args[3]) * 1000L;
    Outcome outcome;
    SparkSession spark = null;
    try {
      ClusterJob<?> job;
      try (InputStream in = Files.newInputStream(jobFile);
          ObjectInputStream ois = new ObjectInputStream(in)) {
        job = (ClusterJob<?>) ois.readObject();
      }
      spark = SparkSession.builder().appName("argus-cluster-" + job.getClass().getSimpleName())
          .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
      long t0 = System.nanoTime();
      awaitExecutors(spark, executors, waitMillis);
      System.err.printf(
          "driver JVM up %.1f s; %d executors registered after %.1f s more%n",
          java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1e3
              - (System.nanoTime() - t0) / 1e9,
          executors,
          (System.nanoTime() - t0) / 1e9);
      outcome = new Outcome(job.run(spark), null, null);
    } catch (Throwable t) {
      StringWriter sw = new StringWriter();
      t.printStackTrace(new PrintWriter(sw));
      System.err.println("cluster job failed: " + sw);
      outcome = new Outcome(null, t, sw.toString());
    }
    int code = 0;
    try {
      write(outcome, outcomeFile);
    } catch (NotSerializableException e) {
      // the result or the throwable is not serializable: hand back the reason as text
      String text =
          outcome.stackTrace() != null
              ? outcome.stackTrace()
              : "the job's result is not serializable: " + e.getMessage();
      write(new Outcome(null, null, text), outcomeFile);
      code = 1;
    }
    if (spark != null) {
      try {
        spark.stop();
      } catch (RuntimeException e) {
        System.err.println("stopping the cluster session: " + e);
      }
    }
    System.exit(code);
  }

  /** Blocks until {@code n} executors (the driver not counted) are registered. */
  static void awaitExecutors(SparkSession spark, int n, long waitMillis)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + waitMillis;
    while (true) {
      SparkExecutorInfo[] infos = spark.sparkContext().statusTracker().getExecutorInfos();
      int registered = infos.length - 1; // the driver is listed too
      if (registered >= n) {
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "only " + registered + " of " + n + " executors registered with the driver within "
                + waitMillis / 1000 + " s; see the executors' stderr under the workers' work dirs");
      }
      Thread.sleep(100);
    }
  }

  private static void write(Outcome outcome, Path file) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream oos = new ObjectOutputStream(bytes)) {
      oos.writeObject(outcome);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      bytes.writeTo(out);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
