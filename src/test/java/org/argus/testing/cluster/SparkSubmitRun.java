package org.argus.testing.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Submits an application to a {@link StandaloneCluster} the way {@code spark-submit} does: {@code
 * org.apache.spark.deploy.SparkSubmit} (it ships in spark-core) runs in a child JVM — its {@code
 * System.exit} must not end the test JVM — whose classpath is the cluster's ({@link
 * AppJar#sparkClasspath}: Spark only), client deploy mode, so the driver is that JVM and loads the
 * application from its jar; executors get the application jar and {@code --jars} from the driver,
 * on top of {@code spark.executor.extraClassPath} = Spark only. The executor JVM options are the
 * ones the README documents for {@code spark.executor.extraJavaOptions} (add-opens, DJL offline).
 *
 * @param exitCode the SparkSubmit JVM's exit code (the application's: {@code argus} exits 0 on success)
 * @param log the driver's output (stdout and stderr) and, on failure, the executors' log tails
 */
public record SparkSubmitRun(int exitCode, String log) {

  /**
   * @param cluster the cluster
   * @param app the application
   * @param mainClass the application's main class
   * @param args the application's arguments
   * @param limit how long the submission may run
   * @return how it ended
   * @throws IllegalStateException when it does not end within {@code limit} (the log tails are in the message)
   */
  public static SparkSubmitRun submit(StandaloneCluster cluster, AppJar app, String mainClass, List<String> args,
      Duration limit) {
    String name = "submit-" + System.nanoTime();
    List<String> cmd = new ArrayList<>(List.of("--master", cluster.masterUrl(), "--deploy-mode", "client",
        "--class", mainClass, "--name", "argus-" + (args.isEmpty() ? "app" : args.get(0))));
    if (!app.jars().isEmpty()) {
      cmd.add("--jars");
      cmd.add(app.jarsOption());
    }
    for (Map.Entry<String, String> c : cluster.driverConf().entrySet()) {
      if (!c.getKey().equals("spark.master")) {
        String v = c.getKey().equals("spark.executor.extraClassPath") ? app.sparkClasspath() : c.getValue();
        cmd.add("--conf");
        cmd.add(c.getKey() + "=" + v);
      }
    }
    // wait for every executor before the first job, so that both run tasks
    cmd.addAll(List.of("--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
        "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s"));
    cmd.add(app.jar().toString());
    cmd.addAll(args);
    List<String> jvm = new ArrayList<>(List.of("-Xmx2g"));
    jvm.addAll(StandaloneCluster.QUICK_START_JVM);
    Process p = null;
    try {
      p = cluster.launch(name, app.sparkClasspath(), jvm, "org.apache.spark.deploy.SparkSubmit", cmd, Map.of());
      boolean done = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
      String log = StandaloneCluster.tail(cluster.dir().resolve(name + ".log"), 200);
      if (!done) {
        throw new IllegalStateException("spark-submit " + String.join(" ", args) + " did not end within " + limit
            + "\n" + log + cluster.executorTails(30));
      }
      return new SparkSubmitRun(p.exitValue(), p.exitValue() == 0 ? log : log + cluster.executorTails(40));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start spark-submit: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for spark-submit", e);
    } finally {
      if (p != null) {
        StandaloneCluster.kill(p);
      }
    }
  }
}
