package org.argus.testing;

import org.apache.spark.sql.SparkSession;

/**
 * The one shared local SparkSession of a test JVM ({@code local[2]}, UI off, 2 shuffle partitions,
 * executor heartbeats as often as the CLI's session has them).
 * Tests call {@link #get()}; nobody stops it (the JVM's shutdown hook does).
 */
public final class SparkTestSession {
  private static SparkSession session;

  private SparkTestSession() {}

  /** @return the shared session, created on first use */
  public static synchronized SparkSession get() {
    if (session == null) {
      session =
          SparkSession.builder()
              .master("local[2]")
              .appName("argus-tests")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "2")
              .config("spark.driver.host", "127.0.0.1")
              .config("spark.sql.adaptive.enabled", "false")
              .config("spark.executor.heartbeatInterval", org.argus.execution.SparkSessions.HEARTBEAT)
              .getOrCreate();
      session.sparkContext().setLogLevel("WARN");
    }
    return session;
  }
}
