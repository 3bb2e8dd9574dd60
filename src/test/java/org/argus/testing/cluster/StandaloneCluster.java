package org.argus.testing.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on {@code 127.0.0.1}: one {@code
 * org.apache.spark.deploy.master.Master} and N {@code org.apache.spark.deploy.worker.Worker}s, each
 * a separate child JVM started from the test JVM's own classpath (no Spark download), with the
 * Java 17 {@code --add-opens} list of the pom's surefire {@code argLine}.
 *
 * <h2>Layout</h2>
 *
 * Everything lives in one temporary folder ({@link #dir()}): {@code master.log}, {@code
 * worker-<i>.log}, {@code worker-<i>/work} (the worker's work dir; each executor's {@code stderr}
 * lands in {@code worker-<i>/work/<app-id>/<executor-id>/}), {@code worker-<i>/local} (the
 * worker's and its executors' {@code SPARK_LOCAL_DIRS}), {@code spark-home/jars} (an empty Spark
 * home: workers build executor classpaths from {@code spark.executor.extraClassPath} alone) and
 * {@code driver-<k>.log} plus the job/outcome files of each {@link #run}. Ports are free ports
 * picked at start; the master's web UI serves {@code /json/}, which {@link #start} polls until
 * every worker is {@code ALIVE}. {@link #close()} deletes the folder unless the system property
 * {@code argus.cluster.keep=true} is set.
 *
 * <h2>One SparkContext per JVM: the driver runs in its own JVM</h2>
 *
 * The test JVM already holds the shared local session ({@code org.argus.testing.SparkTestSession}),
 * and Spark allows one active SparkContext per JVM. Stopping and recreating that shared session
 * around a cluster test would break any test class that keeps a reference to it, a cached
 * DataFrame or a broadcast. So {@link #run(ClusterJob)} never touches the test JVM's Spark state:
 * it serializes the {@link ClusterJob} to a file and starts a fresh driver JVM ({@link
 * ClusterDriver}, same classpath) whose session's master is {@link #masterUrl()}; the driver waits
 * until every worker's executor (one per worker, with all of the worker's cores) has registered,
 * runs the job and writes the result back. Compute the local-mode reference in the test JVM with
 * the shared session and compare (meanwhile, if you like: {@code
 * CompletableFuture.supplyAsync(() -> cluster.run(job))}). The cost is one JVM plus one
 * application start per {@code run} (about 10 s on a busy 2-core machine), so put all of a test
 * class's cluster-side work into one job where that reads well.
 *
 * <h2>Reuse from later tests</h2>
 *
 * <pre>{@code
 * // one cluster per test class
 * static StandaloneCluster cluster;
 * @BeforeAll static void up() { cluster = StandaloneCluster.start(2); }
 * @AfterAll static void down() { cluster.close(); }
 *
 * // or the one cluster shared by every test class of this JVM (closed at JVM exit)
 * StandaloneCluster cluster = StandaloneCluster.shared();
 *
 * MyResult r = cluster.run(new MyJob(args));   // MyJob implements ClusterJob<MyResult>
 * MyResult r2 = cluster.run(spark -> spark.range(10).count());  // a capture-free lambda
 * }</pre>
 *
 * Executors get {@code ARGUS_HOME} (environment) and {@code argus.home} (system property) of the
 * test JVM, so they read the same provisioned models and data sets from the local disk.
 *
 * <p>Not thread-safe: one test thread drives a cluster at a time.
 */
public final class StandaloneCluster implements AutoCloseable {
  /** The JVM module options Spark 4 needs on Java 17 (the pom's {@code argus.addOpens}). */
  static final List<String> MODULE_OPTIONS =
      List.of(
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
          "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
          "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
          "-Djdk.reflect.useDirectMethodHandle=false",
          "-Dio.netty.tryReflectionSetAccessible=true");

  /**
   * Master and workers only schedule: small heap, C1 only and the serial collector keep their
   * start cheap on a busy machine; INFO logs (registration, executor launches) for failure tails.
   */
  private static final List<String> DAEMON_JVM =
      List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dargus.log.level=info");

  /**
   * Drivers and executors of test jobs are short-lived and small (tests keep data small; the
   * heavy lifting is ONNX Runtime's native code): C1 only and the serial collector halve their
   * JIT/GC CPU, which matters when the cluster's five JVMs share a few cores.
   */
  static final List<String> QUICK_START_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  private static final String HOST = "127.0.0.1";
  private static StandaloneCluster shared;

  private final int workers;
  private final int coresPerWorker;
  private final String memoryPerWorker;
  private final Path dir;
  private int masterPort;
  private int masterWebPort;
  private final String classpath;
  private final List<Process> processes = new ArrayList<>();
  private final AtomicInteger runs = new AtomicInteger();
  private final Thread shutdownHook;
  private boolean closed;

  /** Builder of a cluster: {@code opt…} settings with defaults, then {@link #start()}. */
  public static final class Builder {
    private int workers = 2;
    private int coresPerWorker = 1;
    private String memoryPerWorker = "1g";
    private Duration startTimeout = Duration.ofSeconds(90);

    private Builder() {}

    /**
     * @param n worker JVMs (≥ 1; default 2)
     * @return this builder
     */
    public Builder optWorkers(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("workers must be ≥ 1, found " + n);
      }
      this.workers = n;
      return this;
    }

    /**
     * @param n cores each worker offers, = task slots of its one executor (≥ 1; default 1)
     * @return this builder
     */
    public Builder optCoresPerWorker(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("cores per worker must be ≥ 1, found " + n);
      }
      this.coresPerWorker = n;
      return this;
    }

    /**
     * @param memory memory each worker offers in Spark's size syntax, also the executor heap
     *     ({@code spark.executor.memory}); default {@code 1g}
     * @return this builder
     */
    public Builder optMemoryPerWorker(String memory) {
      if (memory == null || !memory.matches("\\d+[mMgG]")) {
        throw new IllegalArgumentException(
            "memory per worker must look like 512m or 1g, found " + memory);
      }
      this.memoryPerWorker = memory.toLowerCase();
      return this;
    }

    /**
     * @param timeout how long {@link #start()} waits for the master and all workers (default 90 s)
     * @return this builder
     */
    public Builder optStartTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Starts the master, then the workers, and waits until the master lists every worker ALIVE.
     *
     * @return the running cluster
     * @throws IllegalStateException when a JVM exits or the workers are not ALIVE within the start
     *     timeout (the message holds the tail of every child's log); the children are killed
     */
    public StandaloneCluster start() {
      return new StandaloneCluster(this);
    }
  }

  /** @return a builder with 2 workers × 1 core × 1g */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * @param workers worker JVMs, 1 core and 1g each
   * @return the running cluster; close it
   * @throws IllegalStateException see {@link Builder#start()}
   */
  public static StandaloneCluster start(int workers) {
    return builder().optWorkers(workers).start();
  }

  /**
   * The one 2-worker cluster of this test JVM, started on first call and closed by a shutdown
   * hook; for test classes that do not need their own. Do not close it.
   *
   * @return the shared cluster
   * @throws IllegalStateException see {@link Builder#start()}
   */
  public static synchronized StandaloneCluster shared() {
    if (shared == null || shared.closed) {
      shared = start(2);
    }
    return shared;
  }

  private StandaloneCluster(Builder b) {
    this.workers = b.workers;
    this.coresPerWorker = b.coresPerWorker;
    this.memoryPerWorker = b.memoryPerWorker;
    this.classpath = testClasspath();
    try {
      this.dir = Files.createTempDirectory("argus-cluster-");
      Files.createDirectories(dir.resolve("spark-home").resolve("jars"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the cluster folder: " + e.getMessage(), e);
    }
    this.shutdownHook = new Thread(this::killAll, "argus-cluster-kill");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    long deadline = System.nanoTime() + b.startTimeout.toNanos();
    try {
      startMaster(deadline);
      for (int i = 0; i < workers; i++) {
        Path wdir = dir.resolve("worker-" + i);
        Files.createDirectories(wdir.resolve("work"));
        Files.createDirectories(wdir.resolve("local"));
        launch(
                "worker-" + i,
                DAEMON_JVM,
                "org.apache.spark.deploy.worker.Worker",
                List.of(
                    "--host", HOST,
                    "--webui-port", String.valueOf(freePort()),
                    "--cores", String.valueOf(coresPerWorker),
                    "--memory", memoryPerWorker,
                    "--work-dir", wdir.resolve("work").toString(),
                    masterUrl()),
                Map.of("SPARK_LOCAL_DIRS", wdir.resolve("local").toString()));
      }
      awaitMaster(workers, deadline);
    } catch (IOException | RuntimeException e) {
      String tails = logTails(40);
      close();
      throw new IllegalStateException(
          "standalone cluster (" + workers + " workers) did not start: " + e.getMessage() + "\n"
              + tails, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while starting the standalone cluster", e);
    }
  }

  /** @return {@code spark://127.0.0.1:<port>} */
  public String masterUrl() {
    return "spark://" + HOST + ":" + masterPort;
  }

  /** @return the master web UI, {@code http://127.0.0.1:<port>}; {@code /json/} lists workers */
  public String masterWebUrl() {
    return "http://" + HOST + ":" + masterWebPort;
  }

  /** @return the cluster's folder (logs, work and local dirs) */
  public Path dir() {
    return dir;
  }

  /** @return worker JVMs started */
  public int workers() {
    return workers;
  }

  /** @return cores per worker (= task slots per executor) */
  public int coresPerWorker() {
    return coresPerWorker;
  }

  /**
   * @return the number of workers the master reports ALIVE now
   * @throws UncheckedIOException when the master's {@code /json/} cannot be read
   */
  public int aliveWorkers() {
    try {
      return countAlive(readMasterJson());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + masterWebUrl() + "/json/: " + e, e);
    }
  }

  /**
   * The Spark configuration of a driver against this cluster: master, {@code spark.driver.host},
   * executor classpath = the test JVM's classpath, executor JVM options (module options, {@code
   * -Dai.djl.offline=true}, {@code -Dargus.home} when set), one executor per worker with all its
   * cores and memory, {@code ARGUS_HOME} for executors when set, UI off.
   *
   * @return {@code spark.*} key → value
   */
  public Map<String, String> driverConf() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("spark.master", masterUrl());
    c.put("spark.driver.host", HOST);
    c.put("spark.driver.bindAddress", HOST);
    c.put("spark.ui.enabled", "false");
    c.put("spark.ui.showConsoleProgress", "false");
    c.put("spark.executor.extraClassPath", classpath);
    List<String> executorJvm = new ArrayList<>(QUICK_START_JVM);
    executorJvm.addAll(childJvmOptions());
    c.put("spark.executor.extraJavaOptions", String.join(" ", executorJvm));
    c.put("spark.executor.cores", String.valueOf(coresPerWorker));
    c.put("spark.executor.memory", memoryPerWorker);
    c.put("spark.cores.max", String.valueOf(workers * coresPerWorker));
    c.put("spark.sql.shuffle.partitions", String.valueOf(2 * workers * coresPerWorker));
    c.put("spark.sql.adaptive.enabled", "false");
    String home = System.getenv("ARGUS_HOME");
    if (home != null && !home.isBlank()) {
      c.put("spark.executorEnv.ARGUS_HOME", Path.of(home).toAbsolutePath().toString());
    }
    c.put("spark.executorEnv.SPARK_LOCAL_IP", HOST);
    return c;
  }

  /**
   * Runs a job in a fresh driver JVM against this cluster (see the class doc) with a 5-minute
   * limit.
   *
   * @param job the driver code; serializable
   * @param <R> result type
   * @return the job's result
   * @throws IllegalStateException when the job fails (its stack trace and the driver's and
   *     executors' log tails are in the message), the driver JVM dies or the limit passes
   */
  public <R extends Serializable> R run(ClusterJob<R> job) {
    return run(job, Duration.ofMinutes(5));
  }

  /**
   * @param job the driver code; serializable
   * @param limit how long the driver JVM may run
   * @param <R> result type
   * @return the job's result
   * @throws IllegalStateException see {@link #run(ClusterJob)}
   */
  @SuppressWarnings("unchecked")
  public <R extends Serializable> R run(ClusterJob<R> job, Duration limit) {
    if (closed) {
      throw new IllegalStateException("cluster " + masterUrl() + " is closed");
    }
    int k = runs.incrementAndGet();
    Path jobFile = dir.resolve("job-" + k + ".ser");
    Path outcomeFile = dir.resolve("outcome-" + k + ".ser");
    String name = "driver-" + k;
    Process p = null;
    try {
      try (OutputStream out = Files.newOutputStream(jobFile);
          ObjectOutputStream oos = new ObjectOutputStream(out)) {
        oos.writeObject(job);
      }
      List<String> jvm = new ArrayList<>();
      jvm.add("-Xmx2g");
      jvm.addAll(QUICK_START_JVM);
      driverConf().forEach((key, value) -> jvm.add("-D" + key + "=" + value));
      p =
          launch(
              name,
              jvm,
              ClusterDriver.class.getName(),
              List.of(
                  jobFile.toString(),
                  outcomeFile.toString(),
                  String.valueOf(workers),
                  String.valueOf(Math.max(10, limit.toSeconds() / 2))),
              Map.of());
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        throw new IllegalStateException(
            "cluster job " + job.getClass().getName() + " did not finish within " + limit
                + "\n" + tail(dir.resolve(name + ".log"), 60) + executorTails(20));
      }
      if (!Files.exists(outcomeFile)) {
        throw new IllegalStateException(
            "driver JVM of " + job.getClass().getName() + " exited with code " + p.exitValue()
                + " without an outcome\n" + tail(dir.resolve(name + ".log"), 60)
                + executorTails(20));
      }
      ClusterDriver.Outcome outcome;
      try (InputStream in = Files.newInputStream(outcomeFile);
          ObjectInputStream ois = new ObjectInputStream(in)) {
        outcome = (ClusterDriver.Outcome) ois.readObject();
      }
      if (outcome.stackTrace() != null) {
        throw new IllegalStateException(
            "cluster job " + job.getClass().getName() + " failed on " + masterUrl() + ":\n"
                + outcome.stackTrace() + executorTails(30),
            outcome.error());
      }
      return (R) outcome.result();
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException(
          "cannot hand cluster job " + job.getClass().getName() + " to a driver JVM: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running a cluster job", e);
    } finally {
      if (p != null) {
        kill(p);
        synchronized (processes) {
          processes.remove(p);
        }
      }
    }
  }

  /**
   * @param lines lines per log
   * @return the last {@code lines} of the master's and every worker's log, headed by file name
   */
  public String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> logs = Files.list(dir)) {
      logs.filter(f -> f.getFileName().toString().matches("(master(-\\d+)?|worker-\\d+)\\.log"))
          .sorted()
          .forEach(f -> sb.append(tail(f, lines)));
    } catch (IOException e) {
      sb.append("(cannot list ").append(dir).append(": ").append(e).append(")\n");
    }
    return sb.toString();
  }

  /** Kills every child JVM (executors first, then workers, then the master); safe to repeat. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway
    }
    if (!Boolean.getBoolean("argus.cluster.keep")) {
      deleteTree(dir);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void killAll() {
    List<Process> all;
    synchronized (processes) {
      all = new ArrayList<>(processes);
      processes.clear();
    }
    // workers and drivers first (their executors are descendants), the master last
    for (int i = all.size() - 1; i >= 0; i--) {
      kill(all.get(i));
    }
  }

  /** SIGTERM to the process and its descendants, then SIGKILL to whatever is left after 5 s. */
  static void kill(Process p) {
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.add(p.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (ProcessHandle h : tree) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          h.onExit().get(left, TimeUnit.NANOSECONDS);
        }
      } catch (Exception e) {
        // still alive: killed below
      }
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
  }

  private Process launch(
      String name, List<String> jvmOptions, String mainClass, List<String> args,
      Map<String, String> env) throws IOException {
    return launch(name, classpath, jvmOptions, mainClass, args, env);
  }

  /**
   * Starts a child JVM on {@code 127.0.0.1} with the module options, DJL offline and {@code
   * argus.home}, its output in {@code dir()/<name>.log}; it is killed with the cluster.
   *
   * @param name the log's name
   * @param cp its classpath
   * @param jvmOptions more JVM options
   * @param mainClass the class to run
   * @param args its arguments
   * @param env environment variables on top of the cluster's
   * @return the process
   * @throws IOException when it cannot be started
   */
  Process launch(
      String name, String cp, List<String> jvmOptions, String mainClass, List<String> args,
      Map<String, String> env) throws IOException {
    // the classpath goes through an @argfile: it can exceed a command line's limits
    Path argFile = dir.resolve(name + ".args");
    Files.writeString(argFile, "-cp \"" + cp + "\"\n", StandardCharsets.UTF_8);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(childJvmOptions());
    cmd.add("@" + argFile);
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve(name + ".log").toFile());
    pb.directory(dir.toFile());
    Map<String, String> e = pb.environment();
    e.put("SPARK_LOCAL_IP", HOST);
    e.put("SPARK_HOME", dir.resolve("spark-home").toString());
    e.put("SPARK_SCALA_VERSION", "2.13");
    e.put("SPARK_NO_DAEMONIZE", "1");
    e.putAll(env);
    Process p = pb.start();
    synchronized (processes) {
      processes.add(p);
    }
    return p;
  }

  /** Module options, DJL offline and the test JVM's {@code argus.home}, for every child JVM. */
  static List<String> childJvmOptions() {
    List<String> o = new ArrayList<>(MODULE_OPTIONS);
    // whatever extra module options the test JVM itself runs with
    List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (int i = 0; i < in.size(); i++) {
      String a = in.get(i);
      if ((a.equals("--add-opens") || a.equals("--add-exports")) && i + 1 < in.size()) {
        a = a + "=" + in.get(++i);
      }
      if ((a.startsWith("--add-opens=") || a.startsWith("--add-exports=")) && !o.contains(a)) {
        o.add(a);
      }
    }
    o.add("-Dai.djl.offline=true");
    String home = System.getProperty("argus.home");
    if (home != null && !home.isBlank()) {
      o.add("-Dargus.home=" + Path.of(home).toAbsolutePath());
    }
    return o;
  }

  /** The test JVM's classpath (surefire sets {@code java.class.path} to it in its forked JVM). */
  static String testClasspath() {
    String cp = System.getProperty("java.class.path");
    String surefire = System.getProperty("surefire.test.class.path");
    if (surefire != null && !surefire.isBlank() && (cp == null || !cp.contains("classes"))) {
      cp = surefire;
    }
    if (cp == null || cp.isBlank()) {
      throw new IllegalStateException("java.class.path is empty: cannot start cluster JVMs");
    }
    return cp;
  }

  /**
   * Starts the master on two free ports. Spark would silently move to the next port when one was
   * taken between picking and binding; {@code spark.port.maxRetries=0} makes the master exit
   * instead, and it is started again on new ports (3 tries).
   */
  private void startMaster(long deadline) throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      masterPort = freePort();
      masterWebPort = freePort();
      List<String> jvm = new ArrayList<>(DAEMON_JVM);
      jvm.add("-Dspark.port.maxRetries=0");
      Process master =
          launch(
              attempt == 1 ? "master" : "master-" + attempt,
              jvm,
              "org.apache.spark.deploy.master.Master",
              List.of(
                  "--host", HOST, "--port", String.valueOf(masterPort),
                  "--webui-port", String.valueOf(masterWebPort)),
              Map.of());
      try {
        // workers retry registration only every 5-15 s, so start them once the master is up
        awaitMaster(0, deadline);
        return;
      } catch (IllegalStateException e) {
        if (master.isAlive() || attempt == 3) {
          throw e;
        }
        synchronized (processes) {
          processes.remove(master);
        }
      }
    }
  }

  private void awaitMaster(int aliveWanted, long deadline)
      throws IOException, InterruptedException {
    String last = "no answer yet";
    while (true) {
      synchronized (processes) {
        for (Process p : processes) {
          if (!p.isAlive()) {
            throw new IllegalStateException(
                "a cluster JVM exited with code " + p.exitValue() + " during start");
          }
        }
      }
      try {
        JsonNode json = readMasterJson();
        int alive = countAlive(json);
        if (alive >= aliveWanted) {
          return;
        }
        last = alive + " of " + aliveWanted + " workers ALIVE";
      } catch (IOException e) {
        last = e.toString();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "timed out waiting for " + masterWebUrl() + "/json/ to list " + aliveWanted
                + " ALIVE workers; last: " + last);
      }
      Thread.sleep(200);
    }
  }

  private JsonNode readMasterJson() throws IOException {
    HttpURLConnection c =
        (HttpURLConnection) URI.create(masterWebUrl() + "/json/").toURL().openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(5000);
    try (InputStream in = c.getInputStream()) {
      return new ObjectMapper().readTree(in);
    } finally {
      c.disconnect();
    }
  }

  private static int countAlive(JsonNode json) {
    int alive = 0;
    for (JsonNode w : json.path("workers")) {
      if ("ALIVE".equals(w.path("state").asText())) {
        alive++;
      }
    }
    return alive;
  }

  String executorTails(int lines) {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(f -> f.getFileName().toString().equals("stderr") && f.toString().contains("/work/"))
          .sorted()
          .forEach(f -> sb.append(tail(f, lines)));
    } catch (IOException e) {
      sb.append("(cannot list executor logs: ").append(e).append(")\n");
    }
    return sb.toString();
  }

  static String tail(Path file, int lines) {
    StringBuilder sb = new StringBuilder("---- ").append(file).append(" (last ").append(lines)
        .append(" lines) ----\n");
    try {
      List<String> all =
          new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
      for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
        sb.append(l).append('\n');
      }
    } catch (IOException | UncheckedIOException e) {
      sb.append("(unreadable: ").append(e).append(")\n");
    }
    return sb.toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp folder
    }
  }
}
