package org.argus.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What this JVM's CPU offers int8 inference, read once from {@code /proc/cpuinfo} (Linux). ONNX
 * Runtime's quantized kernels (QLinearConv with uint8 activations and int8 weights) gain about 2× over
 * fp32 where the CPU has 8-bit dot-product instructions: x86 AVX-512 VNNI, AVX-VNNI or AMX-INT8, ARM
 * dot product ({@code asimddp}). Without them (plain AVX2) the int8 kernels emulate the dot product
 * with 16-bit multiplies and can be slower than fp32.
 */
public final class CpuFeatures {
  /** cpuinfo flags that mark 8-bit dot-product instructions. */
  public static final Set<String> INT8_DOT_FLAGS = Set.of("avx512_vnni", "avx_vnni", "amx_int8", "asimddp");

  private static final Optional<List<String>> FLAGS = read(Path.of("/proc/cpuinfo"));

  private CpuFeatures() {}

  /**
   * @param cpuinfo a {@code /proc/cpuinfo}-format file
   * @return the first processor's flags (x86 {@code flags}, ARM {@code Features}), empty when unreadable
   */
  static Optional<List<String>> read(Path cpuinfo) {
    try {
      for (String line : Files.readAllLines(cpuinfo)) {
        String l = line.toLowerCase(Locale.ROOT);
        if (l.startsWith("flags") || l.startsWith("features")) {
          return Optional.of(List.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+")));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no permission: unknown
    }
    return Optional.empty();
  }

  /**
   * @return a warning when this CPU is known to lack 8-bit dot-product instructions (int8 may run slower
   *     than fp32), empty when it has them or the flags cannot be read
   */
  public static Optional<String> int8Warning() {
    return warning(FLAGS);
  }

  static Optional<String> warning(Optional<List<String>> flags) {
    if (flags.isEmpty() || flags.get().stream().anyMatch(INT8_DOT_FLAGS::contains)) {
      return Optional.empty();
    }
    return Optional.of("this CPU has no 8-bit dot-product instructions (none of " + INT8_DOT_FLAGS.stream().sorted()
        .toList() + " in /proc/cpuinfo): ONNX Runtime's int8 kernels may run slower than fp32 here; compare with "
        + "bench/run featurize --precision int8 or keep fp32");
  }
}
