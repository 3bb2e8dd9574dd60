package org.argus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Appends one benchmark run (machine, command, markdown body) to {@code bench/results/NAME.md}. */
public final class BenchReport {
  private BenchReport() {}

  /** @return a one-line description of this machine: cores, memory, CPU model, OS, Java */
  public static String machine() {
    String cpu = "?";
    try (InputStream in = Files.newInputStream(Path.of("/proc/cpuinfo"))) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException e) {
      // keep "?"
    }
    long mem =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getTotalMemorySize();
    return String.format("%d cores (%s), %.0f GiB RAM, %s %s, Java %s",
        Runtime.getRuntime().availableProcessors(), cpu, mem / (1024.0 * 1024 * 1024),
        System.getProperty("os.name"), System.getProperty("os.arch"),
        System.getProperty("java.version"));
  }

  /**
   * @param name benchmark name (file {@code bench/results/<name>.md})
   * @param command the command line that produced the numbers
   * @param body markdown with the numbers
   */
  public static void append(String name, String command, String body) throws IOException {
    Path dir = Path.of("bench", "results");
    Files.createDirectories(dir);
    String entry = "\n## " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
        + "\n\n- machine: " + machine() + "\n- command: `" + command + "`\n\n" + body + "\n";
    Files.writeString(dir.resolve(name + ".md"), entry, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.println("results appended to " + dir.resolve(name + ".md"));
  }
}
