package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.argus.testing.FullDisk;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus transfer --out DIR} when DIR is on a full disk (a small tmpfs, {@link FullDisk};
 * needs root or CAP_SYS_ADMIN): the command fails with an error naming the file and {@code No space
 * left on device}, and leaves no report claiming a result — neither {@code report.json} nor {@code
 * report.md}, nor a temporary file. Rows of the fault catalogue.
 */
@Tag(FaultRecorder.TAG)
class TransferDiskFullTest {
  private static final String ENOSPC = "No space left on device";

  @TempDir
  Path tmp;

  private static List<String> flags(String... more) {
    List<String> a = new ArrayList<>(List.of("transfer", "--learner", "spark-lr", "--train", "20", "--test", "10", "--input-size", "48",
        "--layers", "block_3_expand_relu", "--pooling", "avg", "--max-iter", "5", "--plan", "staged"));
    a.addAll(List.of(more));
    return a;
  }

  private static String[] cli(int exit, List<String> args) {
    SparkTestSession.get();
    return CliRun.run(exit, args.toArray(new String[0]));
  }

  private static List<String> names(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  private String shown(String stderr) {
    String line = stderr.lines().filter(l -> l.startsWith("argus: ")).findFirst().orElse(stderr);
    return line.replace("file:" + tmp, "DIR").replace(tmp.toString(), "DIR");
  }

  @Test
  void anOutputFolderOnAFullDiskFailsBeforeInferenceNamingTheFile() throws Exception {
    Path out = tmp.resolve("out-full");
    try (FullDisk disk = FullDisk.mount(out, 64 * 1024)) {
      disk.fill(0);
      String[] o = cli(1, flags("--out", out.toString()));
      assertTrue(o[1].contains("argus: ") && o[1].contains(out.resolve("checkpoints") + "/spec.properties: " + ENOSPC),
          o[1]);
      assertFalse(o[1].contains("[2/3] running"), "failed before inference:\n" + o[1]);
      assertEquals(List.of("filler.bin"), names(out), "nothing else written");
      FaultRecorder.record(FaultRecorder.Group.RESOURCES,
          "disk full in the transfer output directory (--out) at the start",
          "exit 1 before any inference: " + shown(o[1]), "no: nothing run, no report, nothing left in DIR");
    }
  }

  @Test
  void aReportThatDoesNotFitFailsTheCommandAndNoReportIsLeft() throws Exception {
    Path first = tmp.resolve("first");
    cli(0, flags("--out", first.toString()));
    Path out = tmp.resolve("out-report");
    try (FullDisk disk = FullDisk.mount(out, 1 << 20)) {
      List<String> checkpoints;
      try (Stream<Path> s = Files.walk(first)) { // the run's layer checkpoints, without its reports
        for (Path p : s.toList()) {
          Path to = out.resolve(first.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else if (!p.getFileName().toString().startsWith("report.")) {
            Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
          }
        }
      }
      checkpoints = names(out);
      disk.fill(0);
      // the resume reuses the whole layer checkpoints: the first write of the run is the report
      String[] o = cli(1, flags("--resume", out.toString()));
      assertTrue(o[1].contains("argus: cannot write " + out.resolve("report.json") + ": " + ENOSPC), o[1]);
      List<String> left = new ArrayList<>(names(out));
      left.remove("filler.bin");
      assertEquals(checkpoints, left, "no report.json, report.md or temporary file; the checkpoints unchanged");
      Files.delete(out.resolve("filler.bin"));
      cli(0, flags("--resume", out.toString()));
      assertTrue(Files.isRegularFile(out.resolve("report.json")) && Files.isRegularFile(out.resolve("report.md")),
          "the resume completes once there is space");
      FaultRecorder.record(FaultRecorder.Group.RESOURCES, "disk full when writing the transfer report (--out)",
          "exit 1: " + shown(o[1]) + "; both reports are written to temporary files first and renamed only when "
              + "both are whole",
          "no: no report.json or report.md claims the run, no temporary file left; the layer checkpoints unchanged, "
              + "so --resume completes once there is space");
    }
  }
}
