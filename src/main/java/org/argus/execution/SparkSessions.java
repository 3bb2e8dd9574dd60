package org.argus.execution;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.sql.SparkSession;

/** Creates the embedded SparkSession the CLI runs on, quiet unless asked otherwise. */
public final class SparkSessions {
  private SparkSessions() {}

  /** The master of an embedded run when none is given and none was submitted: all local cores. */
  public static final String LOCAL_DEFAULT = "local[*]";

  /**
   * Executor heartbeat interval a new session gets unless the submitted configuration gives one
   * (Spark's default is 10 s): heartbeats carry running tasks' counts, so progress lines move within
   * a long task ({@link RunningCount}).
   */
  public static final String HEARTBEAT = "2s";

  /**
   * Returns a session for {@code master}, reusing an active one (e.g. under spark-submit).
   *
   * @param master Spark master URL, e.g. {@code local[*]} or {@code spark://127.0.0.1:7077}; null
   *     for the submitted application's ({@code spark.master}, set by spark-submit) or, when there
   *     is none and no active session, {@link #LOCAL_DEFAULT}
   * @param appName the application name shown by Spark
   * @param verbose keep Spark's INFO logs; otherwise only warnings and errors
   * @return the session
   */
  public static SparkSession create(String master, String appName, boolean verbose) {
    Configurator.setRootLevel(verbose ? Level.INFO : Level.WARN);
    if (!verbose) {
      Configurator.setLevel("org.apache.spark", Level.WARN);
      Configurator.setLevel("org.sparkproject", Level.ERROR);
    }
    SparkSession.Builder b =
        SparkSession.builder()
            .appName(appName)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.adaptive.enabled", "false");
    if (System.getProperty("spark.executor.heartbeatInterval") == null) {
      b.config("spark.executor.heartbeatInterval", HEARTBEAT);
    }
    if (master == null && System.getProperty("spark.master") == null && SparkSession.getActiveSession().isEmpty()) {
      master = LOCAL_DEFAULT; // not under spark-submit (which sets spark.master) and no session yet
    }
    if (master != null) {
      b.master(master);
      if (master.startsWith("local")) {
        b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
      }
    }
    SparkSession spark = b.getOrCreate();
    spark.sparkContext().setLogLevel(verbose ? "INFO" : "WARN");
    return spark;
  }
}
