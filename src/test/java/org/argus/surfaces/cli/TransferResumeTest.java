package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.argus.surfaces.report.ReportJson;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus transfer --resume}: every completed layer is checkpointed (model + metrics, sha256
 * of every file) under {@code OUT/checkpoints}; a run whose driver JVM is killed with SIGKILL
 * resumes to exactly the per-layer results of an uninterrupted run, reusing the whole checkpoints
 * and recomputing a corrupted one; a resume with other settings is refused before any inference.
 */
@Tag(FaultRecorder.TAG)
class TransferResumeTest {
  static final List<String> LAYERS =
      List.of("block_3_expand_relu", "block_6_expand_relu", "block_10_expand_relu", "block_13_expand_relu");

  /** The same flags for every run (the resume must repeat them). */
  static List<String> flags(String... more) {
    List<String> a = new ArrayList<>(List.of("transfer", "--learner", "spark-lr", "--train", "100", "--test", "30", "--input-size", "48",
        "--layers", String.join(",", LAYERS), "--pooling", "avg", "--max-iter", "10", "--plan", "staged"));
    a.addAll(List.of(more));
    return a;
  }

  static String[] cli(int exit, List<String> args) {
    SparkTestSession.get();
    return CliRun.run(exit, args.toArray(new String[0]));
  }

  /** Starts {@code argus transfer … --out OUT} in a child JVM. */
  static Process startChild(Path out, Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-Xmx") && !arg.startsWith("-Xms") && !arg.startsWith("-agentlib")) {
        cmd.add(arg); // the --add-opens list and -D flags of surefire's argLine
      }
    }
    cmd.addAll(List.of("-Xmx2g", "-cp", System.getProperty("java.class.path"), ArgusCli.class.getName()));
    cmd.addAll(flags("--master", "local[2]", "--out", out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  static List<Path> checkpoints(Path out) throws IOException {
    Path d = out.resolve("checkpoints");
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.getFileName().toString().startsWith("layer-")).sorted().toList();
    }
  }

  /** layer → [feature_dim, accuracy, macro_f1, train_rows, test_rows] as text, from report.json. */
  static List<String> perLayer(Path out) throws IOException {
    JsonNode layers = ReportJson.read(Files.readString(out.resolve("report.json"))).get("result").get("layers");
    List<String> rows = new ArrayList<>();
    for (JsonNode l : layers) {
      rows.add(l.get("layer").asText() + " " + l.get("feature_dim").asInt() + " " + l.get("accuracy").asDouble()
          + " " + l.get("macro_f1").asDouble() + " " + l.get("train_rows").asLong() + " " + l.get("test_rows").asLong());
    }
    return rows;
  }

  @Test
  void aTransferWhoseDriverIsKilledResumesToTheUninterruptedResults(@TempDir Path dir) throws Exception {
    Path killed = dir.resolve("killed");
    Path log = dir.resolve("child.log");
    Process child = startChild(killed, log);
    int atKill;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      while (checkpoints(killed).isEmpty()) {
        assertTrue(child.isAlive(), "the child ended before it was killed:\n" + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "no layer checkpointed in 240 s:\n" + Files.readString(log));
        Thread.sleep(20);
      }
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
    atKill = checkpoints(killed).size();
    assertTrue(atKill >= 1 && atKill < LAYERS.size(), "killed half-way: " + atKill + " of " + LAYERS.size());
    assertFalse(Files.exists(killed.resolve("report.json")), "the killed run never finished");

    Path straight = dir.resolve("straight");
    cli(0, flags("--out", straight.toString()));
    String[] resumed = cli(0, flags("--resume", killed.toString()));

    assertTrue(resumed[1].contains("resumed " + killed + ": " + atKill + " of 4 layers reused from checkpoints"),
        resumed[1]);
    for (int i = 0; i < atKill; i++) {
      assertFalse(resumed[1].contains("train " + LAYERS.get(i)), "layer " + LAYERS.get(i) + " was recomputed:\n"
          + resumed[1]);
    }
    assertEquals(perLayer(straight), perLayer(killed));
    assertEquals(LAYERS.size(), checkpoints(killed).size());
    FaultRecorder.record(FaultRecorder.Group.PROCESSES, "driver killed (SIGKILL) mid-transfer, then --resume",
        "killed after " + atKill + " of 4 layers were checkpointed; `argus transfer --resume` reused " + atKill
            + " (sha256 verified) and computed " + (LAYERS.size() - atKill),
        "no: per-layer dimension, accuracy, macro-F1 and row counts equal an uninterrupted run's");
  }

  @Test
  void aCorruptedLayerCheckpointIsRecomputedNotReused(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    List<String> two = new ArrayList<>(flags("--out", out.toString()));
    two.set(two.indexOf("--layers") + 1, "block_3_expand_relu,block_6_expand_relu");
    cli(0, two);
    List<String> first = perLayer(out);
    Path damaged = checkpoints(out).get(1);
    Path file;
    try (Stream<Path> s = Files.walk(damaged.resolve("model"))) {
      file = s.filter(p -> p.getFileName().toString().startsWith("part-") && !p.toString().endsWith(".crc"))
          .findFirst().orElseThrow();
    }
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 0x5a;
    Files.write(file, b);

    two.set(two.indexOf("--out"), "--resume");
    String[] resumed = cli(0, two);

    assertTrue(resumed[1].contains("checkpoint " + damaged.getFileName() + " not reused (file "
        + damaged.relativize(file) + " has sha256 "), resumed[1]);
    assertTrue(resumed[1].contains("1 of 2 layers reused"), resumed[1]);
    assertTrue(resumed[1].contains("train block_6_expand_relu") && !resumed[1].contains("train block_3_expand_relu"),
        resumed[1]);
    assertEquals(first, perLayer(out));
    FaultRecorder.record(FaultRecorder.Group.PROCESSES, "corrupted transfer layer checkpoint (one byte flipped)",
        "resume found the sha256 mismatch, reported it, recomputed that layer and reused the other",
        "no: per-layer results equal the first run's");
  }

  @Test
  void aResumeWithOtherSettingsIsRefusedListingTheDifferences(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    List<String> two = new ArrayList<>(flags("--out", out.toString()));
    two.set(two.indexOf("--layers") + 1, "block_3_expand_relu");
    cli(0, two);
    List<String> other = new ArrayList<>(two);
    other.set(other.indexOf("--out"), "--resume");
    other.addAll(List.of("--seed", "7"));
    String[] o = cli(1, other);
    assertTrue(o[1].contains("cannot resume the transfer run in " + out + " with other settings or inputs")
        && o[1].contains("seed: run has '42', this command '7'"), o[1]);
    String[] none = cli(1, flags("--resume", dir.resolve("nothing").toString()));
    assertTrue(none[1].contains("--resume " + dir.resolve("nothing") + ": no transfer checkpoints there"), none[1]);
    assertEquals(1, checkpoints(out).size(), "the refused resume changed nothing");
    assertTrue(Files.readString(out.resolve("report.md"), StandardCharsets.UTF_8).contains("block_3_expand_relu"));
  }
}
