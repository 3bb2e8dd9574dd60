package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectCommandTest {
  private static String[] run(int expectedExit, String... args) {
    return CliRun.run(expectedExit, args);
  }

  @Test
  void badInputFailsBeforeAnyWorkWithClearMessages() {
    String err = run(1, "select", "--space", "lr=loguniform(1e-4,x)")[1];
    assertTrue(err.contains("position 19"), err);
    err = run(1, "select", "--space", "")[1];
    assertTrue(err.contains("empty search space"), err);
    err = run(1, "select", "--family", "resnet")[1];
    assertTrue(err.contains("unknown model family 'resnet'"), err);
    err = run(1, "select", "--execution", "horovod")[1];
    assertTrue(err.contains("valid: mop, task-parallel, bsp, sequential"), err);
    err = run(1, "select", "--images", "200", "--procedure", "asha:4,x,8")[1];
    assertTrue(err.contains("procedure 'asha:4,x,8': argument ETA of asha:R,ETA,MAX_TRIALS at position 7 is 'x'"), err);
  }

  @Test
  void aMalformedProcedureIsRefusedBeforeTheRunDirectoryIsWritten(@TempDir Path dir) {
    for (String[] cmd : new String[][] {
        {"select", "--images", "100", "--family", "mlp", "--procedure", "foo:1", "--run-dir", dir.resolve("a").toString()},
        {"select", "--transfer", "mobilenet_v2", "--layers", "out_relu", "--space", "lr=choice(0.1)",
            "--procedure", "asha:1", "--run-dir", dir.resolve("b").toString()}}) {
      String err = run(1, cmd)[1];
      assertTrue(err.contains("valid forms: grid | random:N"), err);
      assertFalse(Files.exists(Path.of(cmd[cmd.length - 1])), "the refused run wrote " + cmd[cmd.length - 1]);
    }
  }

  @Test
  void ashaRunThenResumeOfADifferentSpecIsRefused(@TempDir Path dir) throws Exception {
    SparkTestSession.get();
    Path run = dir.resolve("run");
    String[] o = run(0, "select", "--images", "200", "--family", "mlp", "--space", "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)",
        "--procedure", "asha:2,2,3", "--workers", "2", "--threads", "1", "--run-dir", run.toString());
    assertTrue(o[0].contains("unit    1  config"), o[0]);
    assertTrue(o[0].contains("| rank |"), o[0]);
    var report = org.argus.surfaces.report.ReportJson.read(Files.readString(run.resolve("report.json")));
    assertEquals("asha(R=2,eta=2,maxTrials=3)", report.path("result").path("procedure").asText());
    assertEquals("select", report.path("provenance").path("kind").asText());
    assertEquals(42, report.path("provenance").path("seed").asLong());
    assertEquals("1", report.path("provenance").path("spec").path("threads").asText());
    assertEquals("asha:2,2,3", report.path("provenance").path("spec").path("cli.procedure").asText());
    String err = run(1, "select", "--resume", run.toString(), "--seed", "9")[1];
    assertTrue(err.contains("--seed: run has '42', this command '9'"), err);
    err = run(1, "select", "--images", "200", "--run-dir", run.toString(), "--family", "mlp",
        "--space", "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)", "--procedure", "grid", "--epochs", "1", "--workers", "2")[1];
    assertTrue(err.contains("already holds a run"), err);
    err = run(1, "select", "--images", "200", "--run-dir", dir.resolve("zero").toString(), "--procedure", "random:0")[1];
    assertTrue(err.contains("n must be >= 1"), err);
  }
}
