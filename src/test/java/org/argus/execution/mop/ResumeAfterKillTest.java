package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.argus.plan.mop.EpochRecord;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A selection whose driver JVM is killed with SIGKILL half-way (no shutdown hook, no flush) resumes
 * in another JVM to exactly the results of an uninterrupted run with the same seed: the same
 * leaderboard, the same epoch records (training loss included), bit-identical final checkpoints.
 * A row of the fault catalogue ({@link FaultRecorder}).
 */
@Tag(FaultRecorder.TAG)
class ResumeAfterKillTest {
  static final int UNITS = 2 * SelectionChild.EPOCHS * 2;

  static Process start(Path runDir, Path log, Path sparkLocal) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-Xmx") && !arg.startsWith("-Xms") && !arg.startsWith("-agentlib")) {
        cmd.add(arg); // the --add-opens list and -D flags of surefire's argLine
      }
    }
    cmd.add("-Xmx1g");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(SelectionChild.class.getName());
    cmd.addAll(List.of(runDir.toString(), "400", sparkLocal.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  static long parts(Path table) throws IOException {
    if (!Files.isDirectory(table)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(table)) {
      return s.filter(p -> p.getFileName().toString().startsWith("part-")).count();
    }
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** trial → (last epoch's checkpoint name, sha256 of its payload). */
  static Map<Integer, List<String>> finalCheckpoints(Path runDir) throws Exception {
    Map<Integer, EpochRecord> last = new HashMap<>();
    for (EpochRecord e : new RunDirectory(runDir.toString()).readEpochs()) {
      last.merge(e.trial(), e, (a, b) -> a.epoch() >= b.epoch() ? a : b);
    }
    CheckpointStore store = new CheckpointStore(runDir.toString());
    Map<Integer, List<String>> out = new HashMap<>();
    for (EpochRecord e : last.values()) {
      out.put(e.trial(), List.of(e.ckpt(), sha256(store.read(e.ckpt()))));
    }
    return out;
  }

  @Test
  void aSelectionKilledMidRunResumesToTheUninterruptedResults(@TempDir Path dir) throws Exception {
    Path killed = dir.resolve("killed");
    Path log = dir.resolve("child.log");
    Process child = start(killed, log, dir.resolve("spark-local"));
    long partsAtKill;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      // a round job appends one part per round (3 rounds): kill after the second, while the third
      // runs or its units are told to the listener (400 ms each); one job per unit query would
      // append a part per unit and be killed earlier still
      while (parts(killed.resolve("tables/units")) < 2) {
        assertTrue(child.isAlive(), "the child ended before it was killed:\n" + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "no unit query recorded in 120 s:\n" + Files.readString(log));
        Thread.sleep(20);
      }
    } finally {
      child.destroyForcibly(); // SIGKILL
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
    partsAtKill = parts(killed.resolve("tables/units"));
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertFalse(output.contains("DONE"), output);
    assertTrue(partsAtKill < SelectionChild.EPOCHS, "killed half-way: " + partsAtKill + " parts of the units table");
    assertFalse(Files.exists(killed.resolve("tables/trials")), "the killed run never finished");

    JavaRDD<Example> data = SelectionChild.data(SparkTestSession.get());
    SelectionResult straight = SelectionChild.selection(data, dir.resolve("straight").toString()).build().run();
    SelectionResult resumed = SelectionChild.selection(data, killed.toString()).optResume(true).build().run();

    long recorded = partsAtKill * UNITS / SelectionChild.EPOCHS; // a part holds one round's units
    assertTrue(resumed.units().size() <= UNITS - recorded,
        "the resume runs only what was not recorded: " + resumed.units().size() + " after " + recorded);
    assertEquals(straight.leaderboard().size(), resumed.leaderboard().size());
    for (int i = 0; i < straight.leaderboard().size(); i++) {
      SelectionResult.Entry a = straight.leaderboard().get(i);
      SelectionResult.Entry b = resumed.leaderboard().get(i);
      assertEquals(a.trial(), b.trial(), "rank " + i);
      assertEquals(a.epochs(), b.epochs());
      assertEquals(a.valLoss(), b.valLoss(), 0.0, "trial " + a.trial());
      assertEquals(a.valAccuracy(), b.valAccuracy(), 0.0, "trial " + a.trial());
    }
    List<EpochRecord> s = new RunDirectory(dir.resolve("straight").toString()).readEpochs();
    Map<String, EpochRecord> r = new HashMap<>();
    new RunDirectory(killed.toString()).readEpochs().forEach(e -> r.put(e.trial() + "/" + e.epoch(), e));
    assertEquals(s.size(), r.size());
    for (EpochRecord e : s) {
      EpochRecord f = r.get(e.trial() + "/" + e.epoch());
      assertEquals(e.trainLoss(), f.trainLoss(), 1e-12, "train_loss of trial " + e.trial() + " epoch " + e.epoch()
          + " counts the units before and after the kill");
      assertEquals(e.valLoss(), f.valLoss(), 0.0);
    }
    Map<Integer, List<String>> checkpoints = finalCheckpoints(killed);
    assertEquals(finalCheckpoints(dir.resolve("straight")), checkpoints);
    FaultRecorder.record(FaultRecorder.Group.PROCESSES, "driver JVM killed (SIGKILL) mid-select, then resume",
        "killed after " + recorded + " of " + UNITS + " unit queries were recorded (no trials table written);"
            + " the resume (optResume, the CLI's --resume) replayed the run directory's tables and ran "
            + resumed.units().size() + " units",
        "no: leaderboard, " + s.size() + " epoch records (training loss included) and " + checkpoints.size()
            + " final checkpoints equal to an uninterrupted run (sha256 "
            + checkpoints.get(0).get(1).substring(0, 12) + "… for trial 0)");
  }
}
