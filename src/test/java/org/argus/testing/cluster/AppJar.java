package org.argus.testing.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A spark-submit application built from the test JVM's classpath, standing in for {@code
 * target/argus-app.jar} (whose ~160 MB take too long to zip inside a test run): the classpath is
 * split into what the cluster provides (Spark and its dependencies: {@link #sparkClasspath}) and
 * what the application brings (Argus's classes and its non-Spark dependencies, the groups of the
 * pom's {@code app} profile). The application's small parts are merged into one <em>thin</em>
 * jar ({@code META-INF/services} files concatenated, signatures and manifests dropped); the two
 * native jars (ONNX Runtime, PyTorch CPU) travel beside it through {@code --jars}. Unlike the real
 * app jar, protobuf-java is not relocated here: the cluster's copy (the same version) serves.
 *
 * @param jar the thin application jar
 * @param jars the native jars for {@code --jars}
 * @param sparkClasspath the cluster's classpath: Spark and its dependencies only
 */
public record AppJar(Path jar, List<Path> jars, String sparkClasspath) {
  /** Path fragments of the application's own dependencies (the pom's non-Spark ones). */
  static final List<String> APP_GROUPS = List.of("/ai/djl/", "/com/microsoft/onnxruntime/", "/org/tribuo/",
      "/com/twelvemonkeys/", "/info/picocli/", "/net/java/dev/jna/");

  /** Path fragments of the two native jars (shipped with {@code --jars}). */
  static final List<String> NATIVE = List.of("/onnxruntime-", "/pytorch-native-cpu-");

  /** Path fragments of test-only jars, on neither side. */
  static final List<String> TEST_ONLY = List.of("/org/junit/", "/org/opentest4j/", "/org/apiguardian/",
      "/org/seleniumhq/");

  /**
   * Builds the thin jar into {@code dir}.
   *
   * @param dir where to write {@code argus-app-thin.jar}
   * @return the application
   * @throws UncheckedIOException when a jar cannot be read or written
   * @throws IllegalStateException when Argus's classes are not on the classpath
   */
  public static AppJar thin(Path dir) {
    List<String> spark = new ArrayList<>();
    List<Path> app = new ArrayList<>();
    List<Path> natives = new ArrayList<>();
    Path classes = null;
    for (String e : StandaloneCluster.testClasspath().split(java.io.File.pathSeparator)) {
      if (e.isBlank() || e.contains("test-classes") || TEST_ONLY.stream().anyMatch(e::contains)) {
        continue;
      }
      if (e.endsWith("/classes") || e.endsWith("/classes/")) {
        classes = Path.of(e);
      } else if (NATIVE.stream().anyMatch(e::contains)) {
        natives.add(Path.of(e));
      } else if (APP_GROUPS.stream().anyMatch(e::contains)) {
        app.add(Path.of(e));
      } else {
        spark.add(e);
      }
    }
    if (classes == null) {
      throw new IllegalStateException("Argus's classes folder is not on the test classpath");
    }
    try {
      Files.createDirectories(dir);
      Path jar = dir.resolve("argus-app-thin.jar");
      write(jar, classes, app);
      return new AppJar(jar, natives, String.join(java.io.File.pathSeparator, spark));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the thin application jar in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void write(Path jar, Path classes, List<Path> deps) throws IOException {
    Map<String, StringBuilder> services = new LinkedHashMap<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    try (OutputStream o = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(o)) {
      try (Stream<Path> files = Files.walk(classes)) {
        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
          String name = classes.relativize(f).toString().replace('\\', '/');
          try (InputStream in = Files.newInputStream(f)) {
            add(out, name, in, seen, services);
          }
        }
      }
      for (Path d : deps) {
        try (JarFile j = new JarFile(d.toFile())) {
          for (JarEntry e : j.stream().filter(e -> !e.isDirectory()).toList()) {
            try (InputStream in = j.getInputStream(e)) {
              add(out, e.getName(), in, seen, services);
            }
          }
        }
      }
      for (Map.Entry<String, StringBuilder> s : services.entrySet()) {
        out.putNextEntry(new JarEntry(s.getKey()));
        out.write(s.getValue().toString().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
  }

  private static void add(JarOutputStream out, String name, InputStream in, java.util.Set<String> seen,
      Map<String, StringBuilder> services) throws IOException {
    String upper = name.toUpperCase(java.util.Locale.ROOT);
    if (upper.equals("META-INF/MANIFEST.MF") || upper.endsWith(".SF") || upper.endsWith(".DSA")
        || upper.endsWith(".RSA") || name.endsWith("module-info.class")) {
      return;
    }
    if (name.startsWith("META-INF/services/")) {
      services.computeIfAbsent(name, k -> new StringBuilder())
          .append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      return;
    }
    if (!seen.add(name)) {
      return; // first one wins (licence files and the like)
    }
    out.putNextEntry(new JarEntry(name));
    in.transferTo(out);
    out.closeEntry();
  }

  /** @return the {@code --jars} value: the native jars, comma-separated */
  public String jarsOption() {
    return String.join(",", jars.stream().map(Path::toString).toList());
  }

  @Override
  public String toString() {
    return jar + " + --jars " + Arrays.toString(jars.toArray());
  }
}
