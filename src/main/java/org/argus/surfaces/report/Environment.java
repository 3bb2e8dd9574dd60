package org.argus.surfaces.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.Properties;

/**
 * What a result was computed with, besides its spec: the Argus build (version and git commit),
 * the versions of the engines it ran on, and the machine. Part of every {@link Provenance}.
 *
 * <p>Build-time versions come from {@code org/argus/build.properties}, which Maven fills in when
 * it packages Argus (git commit and dirty flag by {@code git-commit-id-maven-plugin}, native git); the Spark version is the
 * one actually running (under {@code spark-submit} the cluster's own Spark may differ from the one
 * Argus was built against, so both are recorded).
 *
 * @param argusVersion Argus's Maven version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param gitCommit the full commit hash Argus was built from ({@code unknown} outside a git
 *     checkout), with {@code -dirty} appended when the working tree had uncommitted changes
 * @param java the running JVM's {@code java.version}
 * @param spark the running Spark's version
 * @param sparkBuild the Spark version Argus was compiled against
 * @param onnxRuntime the ONNX Runtime Java version Argus was built with
 * @param djl the DJL version Argus was built with
 * @param pytorch the PyTorch native version DJL loads
 * @param cores processors available to this JVM
 * @param maxHeapBytes the JVM's maximum heap ({@code Runtime.maxMemory}), bytes
 * @param physicalMemoryBytes the machine's physical memory, bytes
 * @param os {@code os.name os.version (os.arch)}
 */
public record Environment(
    @JsonProperty("argus_version") String argusVersion,
    @JsonProperty("git_commit") String gitCommit,
    String java,
    String spark,
    @JsonProperty("spark_build") String sparkBuild,
    @JsonProperty("onnx_runtime") String onnxRuntime,
    String djl,
    String pytorch,
    int cores,
    @JsonProperty("max_heap_bytes") long maxHeapBytes,
    @JsonProperty("physical_memory_bytes") long physicalMemoryBytes,
    String os) {

  /** The resource Maven fills in at build time. */
  static final String BUILD_PROPERTIES = "/org/argus/build.properties";

  /**
   * @return the environment of this JVM
   * @throws IllegalStateException if Argus's build properties are missing from the classpath (a
   *     jar not built by Maven)
   */
  public static Environment current() {
    Properties p = new Properties();
    try (InputStream in = Environment.class.getResourceAsStream(BUILD_PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(BUILD_PROPERTIES + " is not on the classpath; build Argus with Maven");
      }
      p.load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + BUILD_PROPERTIES + ": " + e.getMessage(), e);
    }
    String commit = filtered(p, "git.commit");
    if ("true".equals(filtered(p, "git.dirty"))) {
      commit += "-dirty";
    }
    long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getTotalMemorySize();
    return new Environment(
        filtered(p, "argus.version"),
        commit,
        System.getProperty("java.version"),
        org.apache.spark.package$.MODULE$.SPARK_VERSION(),
        filtered(p, "build.spark"),
        filtered(p, "build.onnxruntime"),
        filtered(p, "build.djl"),
        filtered(p, "build.pytorch"),
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory(),
        physical,
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
            + System.getProperty("os.arch") + ")");
  }

  /** @return the property, or {@code unknown} when Maven left the placeholder unfilled */
  private static String filtered(Properties p, String key) {
    String v = p.getProperty(key, "");
    return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
  }
}
