package org.argus.testing.cluster;

import java.io.Serializable;
import org.apache.spark.sql.SparkSession;

/**
 * A piece of driver code that {@link StandaloneCluster#run} executes in a separate driver JVM
 * against the cluster. The job object is Java-serialized to a file, read by {@link ClusterDriver}
 * in the child JVM, run there with a SparkSession whose master is the cluster, and its result is
 * serialized back to the test JVM.
 *
 * <p>Write jobs as static nested classes or as lambdas that capture only serializable values (a
 * lambda that touches an instance field of a JUnit test class captures the test instance, which is
 * not serializable: {@link StandaloneCluster#run} then fails with {@code NotSerializableException}
 * before any JVM starts). Keep results small: aggregates, or features of a few hundred rows.
 *
 * @param <R> the result type, serializable (records of arrays, {@code HashMap}s, {@code List.of})
 */
@FunctionalInterface
public interface ClusterJob<R extends Serializable> extends Serializable {
  /**
   * Runs on the driver JVM of the cluster application.
   *
   * @param spark a session whose master is the standalone cluster; all requested executors are
   *     registered when this is called; {@link ClusterDriver} stops it afterwards
   * @return the result handed back to the test JVM
   * @throws Exception anything; it is reported back to the test JVM with its stack trace
   */
  R run(SparkSession spark) throws Exception;
}
