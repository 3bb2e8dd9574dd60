package org.argus.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detecting CPUs where int8 does not pay, from /proc/cpuinfo text. */
class CpuFeaturesTest {
  @Test
  void aCpuWithVnniGetsNoWarning(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("cpuinfo");
    Files.writeString(f, "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n");
    assertEquals(Optional.empty(), CpuFeatures.warning(CpuFeatures.read(f)));
  }

  @Test
  void anAvx2OnlyCpuIsWarnedAbout(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("cpuinfo");
    Files.writeString(f, "processor\t: 0\nflags\t\t: fpu sse avx2 fma\n");
    String w = CpuFeatures.warning(CpuFeatures.read(f)).orElseThrow();
    assertTrue(w.contains("avx512_vnni") && w.contains("slower than fp32"), w);
  }

  @Test
  void armDotProductCounts() {
    assertEquals(Optional.empty(), CpuFeatures.warning(Optional.of(List.of("fp", "asimd", "asimddp"))));
  }

  @Test
  void unreadableFlagsSayNothing(@TempDir Path dir) {
    assertEquals(Optional.empty(), CpuFeatures.warning(CpuFeatures.read(dir.resolve("missing"))));
  }
}
