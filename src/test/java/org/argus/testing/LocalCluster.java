package org.argus.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1 for tests: one master and N workers, each a
 * separate JVM started from this project's own test classpath (no Spark download, no SPARK_HOME
 * install), plus drivers submitted as separate JVMs in client mode. Executors are launched by the
 * workers with {@link #executorClassPath()} and the Java 17 {@code --add-opens} list (DESIGN.md
 * §5). Logs of every process go to files under the cluster's work directory; failures quote them.
 *
 * <p>Usage: {@code try (LocalCluster c = LocalCluster.start(dir, 2, 1, 1024)) { c.submit(Main.class,
 * args) }} — {@code close()} destroys every process it started.
 */
public final class LocalCluster implements AutoCloseable {
  /** The {@code --add-opens} options Spark's launcher passes on Java 17. */
  public static final List<String> ADD_OPENS =
      List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
              "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch",
              "sun.nio.cs", "sun.security.action", "sun.util.calendar")
          .stream()
          .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED")
          .toList();

  private final Path dir;
  private final String masterUrl;
  private final List<Process> processes = new ArrayList<>();

  private LocalCluster(Path dir, String masterUrl) {
    this.dir = dir;
    this.masterUrl = masterUrl;
  }

  /**
   * Starts a master and {@code workers} workers and waits until every worker registered.
   *
   * @param dir work directory (logs, fake SPARK_HOME, worker dirs)
   * @param workers number of worker JVMs (≥ 1)
   * @param coresPerWorker cores each worker offers
   * @param memoryMbPerWorker memory each worker offers to executors, MiB
   * @return the running cluster
   * @throws IOException if a process cannot start
   * @throws IllegalStateException if the cluster does not come up within 120 s (quoting the logs)
   */
  public static LocalCluster start(Path dir, int workers, int coresPerWorker, int memoryMbPerWorker)
      throws IOException, InterruptedException {
    Files.createDirectories(dir.resolve("spark-home").resolve("jars"));
    int port = freePort();
    LocalCluster c = new LocalCluster(dir, "spark://127.0.0.1:" + port);
    try {
      Path masterLog = dir.resolve("master.log");
      int ui = freePort();
      c.spawn(masterLog, List.of("-Xmx256m"), "org.apache.spark.deploy.master.Master",
          List.of("--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port",
              Integer.toString(ui)));
      String status = "http://127.0.0.1:" + ui + "/json/";
      for (int i = 0; i < workers; i++) {
        Path log = dir.resolve("worker-" + i + ".log");
        Path work = dir.resolve("worker-" + i);
        Files.createDirectories(work);
        c.spawn(log, List.of("-Xmx256m"), "org.apache.spark.deploy.worker.Worker",
            List.of("--host", "127.0.0.1", "--cores", Integer.toString(coresPerWorker), "--memory",
                memoryMbPerWorker + "m", "--webui-port", Integer.toString(freePort()),
                "--work-dir", work.toString(), c.masterUrl));
      }
      c.awaitWorkers(status, masterLog, workers, 120);
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** @return the master URL, {@code spark://127.0.0.1:PORT} */
  public String masterUrl() {
    return masterUrl;
  }

  /** @return the classpath of this test JVM (surefire's test classpath when run by Maven) */
  public static String executorClassPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isEmpty() ? cp : System.getProperty("java.class.path");
  }

  /** @return Java options for executors: the add-opens list and the offline DJL flag */
  public static String executorJavaOptions() {
    return String.join(" ", ADD_OPENS) + " -Dai.djl.offline=true";
  }

  /**
   * Runs {@code main} as a driver JVM (client mode) and waits for it.
   *
   * @param main a class with {@code main(String[])}; its first argument is the master URL
   * @param timeoutSeconds how long to wait before killing it
   * @param args further arguments
   * @throws IllegalStateException if it exits non-zero or times out, quoting the end of its log
   */
  public void submit(Class<?> main, int timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    Path log = dir.resolve("driver-" + main.getSimpleName() + ".log");
    List<String> a = new ArrayList<>();
    a.add(masterUrl);
    a.addAll(List.of(args));
    Process p = spawn(log, List.of("-Xmx1g"), main.getName(), a);
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("driver " + main.getName() + " ran past " + timeoutSeconds
          + " s; log tail:\n" + tail(log));
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("driver " + main.getName() + " exited with " + p.exitValue()
          + "; log tail:\n" + tail(log));
    }
  }

  private Process spawn(Path log, List<String> jvm, String mainClass, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.addAll(ADD_OPENS);
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-cp");
    cmd.add(executorClassPath());
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // Workers build executor command lines through Spark's launcher, which wants a SPARK_HOME and
    // a Scala version; SPARK_TESTING lets it run without a jars/ directory of a Spark install.
    pb.environment().put("SPARK_HOME", dir.resolve("spark-home").toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_TESTING", "1");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("SPARK_LOCAL_DIRS", dir.resolve("local").toString());
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  /** Polls the master's JSON status page until {@code n} workers are ALIVE. */
  private void awaitWorkers(String statusUrl, Path masterLog, int n, int seconds)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    String last = "(master not answering yet)";
    while (System.nanoTime() < deadline) {
      try (java.io.InputStream in = java.net.URI.create(statusUrl).toURL().openStream()) {
        last = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)").matcher(last);
        if (m.find() && Integer.parseInt(m.group(1)) >= n) {
          return;
        }
      } catch (IOException notYet) {
        // master still starting
      }
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("a cluster process exited with " + p.exitValue()
              + " while waiting for " + n + " workers; master log tail:\n" + tail(masterLog));
        }
      }
      Thread.sleep(300);
    }
    throw new IllegalStateException("fewer than " + n + " ALIVE workers after " + seconds
        + " s; master status: " + last + "\nmaster log tail:\n" + tail(masterLog));
  }

  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "(no log)";
    }
    String s = Files.readString(log, StandardCharsets.UTF_8);
    return s.substring(Math.max(0, s.length() - 6000));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Destroys every process this cluster started (drivers, workers and their executors, master). */
  @Override
  public void close() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

}
