package org.argus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.argus.ArgusException;
import org.argus.data.FashionMnist;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.testing.FullDisk;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full in a model-selection run directory, on a real full disk (a small tmpfs, {@link
 * FullDisk}; needs root or CAP_SYS_ADMIN): the user gets an error naming the path and {@code No
 * space left on device}, and nothing half-written is recorded as done — no checkpoint that was not
 * written whole is in the {@code units} table as a success, no temporary file is left, no best
 * model is claimed. The full disk is mounted on the run directory itself (full before the run), on
 * its {@code ckpt/} folder (checkpoints fail, tables still write) or on its {@code tables/} folder
 * (the unit log fails), so each case fails at one known place. Rows of the fault catalogue.
 */
@Tag(FaultRecorder.TAG)
class DiskFullTest {
  private static final String ENOSPC = "No space left on device";
  private static final String SPACE = "lr=choice(0.01);width=choice(16);depth=choice(1)";
  private static JavaRDD<Example> data;

  @TempDir
  Path tmp;

  @BeforeAll
  static void data() throws Exception {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    data = Examples.fromImages(
        FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TRAIN, 120, 3), "image", "label").cache();
  }

  /** One config (a 16-wide MLP: a checkpoint of 150 KB), one epoch, MOP on 2 shards. */
  private static SelectionResult select(Path dir) throws ArgusException {
    return ModelSelection.builder().setData(data)
        .setTrainerFactory(DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10))
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 1, Goal.maximize("accuracy")))
        .setRunDir(dir.toString()).optSpec(Map.of("space", SPACE)).optExecution(Execution.MOP).optWorkers(2)
        .optSeed(7).optMaxAttempts(2).build().run();
  }

  private static List<Path> hiddenTemps(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.getFileName().toString().contains(".tmp")).toList();
    }
  }

  private String shown(String message) {
    return message.replace("file:" + tmp, "DIR").replace(tmp.toString(), "DIR")
        .replaceAll("part-[0-9a-f-]+\\.parquet", "part-….parquet");
  }

  @Test
  void aCheckpointThatDoesNotFitLeavesTheEarlierOneIntactAndNoTemporaryFile() throws Exception {
    Path root = tmp.resolve("store");
    try (FullDisk disk = FullDisk.mount(root, 1 << 20)) {
      CheckpointStore store = new CheckpointStore(root.toString());
      byte[] first = new byte[100_000];
      first[7] = 42;
      store.write("ckpt/trial-0/e1-s0.ckpt", first);
      disk.fill(64 * 1024);
      CheckpointException e = assertThrows(CheckpointException.class,
          () -> store.write("ckpt/trial-0/e1-s0.ckpt", new byte[200_000]));
      assertTrue(e.getMessage().startsWith("cannot write checkpoint " + root.resolve("ckpt/trial-0/e1-s0.ckpt"))
          && e.getMessage().endsWith(": " + ENOSPC), e.getMessage());
      assertArrayEquals(first, store.read("ckpt/trial-0/e1-s0.ckpt"), "the earlier checkpoint is intact");
      assertEquals(List.of(), hiddenTemps(root), "the partial temporary file is deleted");
      FaultRecorder.record(FaultRecorder.Group.RESOURCES, "disk full while replacing a checkpoint (CheckpointStore)",
          "CheckpointException: " + shown(e.getMessage()) + "; the partial temporary file deleted",
          "no: the earlier checkpoint reads back whole (sha256 checked)");
    }
  }

  @Test
  void aRunDirectoryOnAFullDiskFailsBeforeTrainingNamingThePath() throws Exception {
    Path run = tmp.resolve("run-full");
    try (FullDisk disk = FullDisk.mount(run, 64 * 1024)) {
      disk.fill(0);
      ArgusException e = assertThrows(ArgusException.class, () -> select(run));
      assertTrue(e.getMessage().contains("cannot write " + "file:" + run
          + "/spec.properties: " + ENOSPC), e.getMessage());
      assertFalse(Files.exists(run.resolve("spec.properties")));
      assertEquals(List.of(), hiddenTemps(run));
      FaultRecorder.record(FaultRecorder.Group.RESOURCES, "disk full in the select run directory before the run",
          "refused before any training: " + shown(e.getMessage()), "no: nothing run, no spec.properties left");
    }
  }

  @Test
  void checkpointsThatDoNotFitFailTheirConfigWithThePathAndAreNeverRecordedAsDone() throws Exception {
    Path run = tmp.resolve("run-ckpt");
    try (FullDisk disk = FullDisk.mount(run.resolve("ckpt"), 1 << 20)) {
      disk.fill(100 * 1024); // a checkpoint needs 150 KB
      SelectionResult r = select(run);
      SelectionResult.Entry only = r.leaderboard().get(0);
      assertTrue(only.status().startsWith("failed: ") && only.status().contains("CheckpointException: cannot write "
          + "checkpoint " + "file:" + run + "/ckpt/trial-0/e1-s") && only.status()
          .endsWith(": " + ENOSPC), only.status());
      List<UnitRecord> units = new RunDirectory(run.toString()).readUnits();
      assertFalse(units.isEmpty());
      for (UnitRecord u : units) { // a unit done wrote nothing: its state went to the next unit in memory
        assertTrue(u.error() != null ? u.error().contains(ENOSPC) : u.bytesWritten() == 0,
            "recorded as failed, or as done with its state handed over in memory: " + u);
        assertFalse(Files.exists(run.resolve(u.outCkpt())), "no checkpoint file for a failed unit: " + u.outCkpt());
      }
      assertTrue(units.stream().filter(u -> u.error() != null).count() >= 2, "the write failed and was retried");
      assertEquals(List.of(), hiddenTemps(run));
      assertFalse(Files.exists(run.resolve("best/model.ckpt")), "no best model claimed");
      FaultRecorder.record(FaultRecorder.Group.RESOURCES, "disk full in the checkpoint directory (select run)",
          "each checkpoint write failed and was retried, then the config failed with the reason: "
              + shown(only.status()),
          "no: " + units.size() + " unit attempts in the units table, "
              + units.stream().filter(u -> u.error() != null).count() + " failed; the others handed their state"
              + " to the next unit in memory and wrote nothing; no unit recorded as done with a checkpoint"
              + " missing, no partial checkpoint or temporary file left; no best model");
    }
  }

  @Test
  void aUnitLogThatDoesNotFitStopsTheRunNamingThePath() throws Exception {
    Path run = tmp.resolve("run-tables");
    try (FullDisk disk = FullDisk.mount(run.resolve("tables"), 64 * 1024)) {
      disk.fill(0);
      ArgusException e = assertThrows(ArgusException.class, () -> select(run));
      String dir = "file:" + run;
      assertTrue(e.getMessage().startsWith("cannot write table units in " + dir + ": cannot write " + dir
          + "/tables/units/part-") && e.getMessage().endsWith(": " + ENOSPC), e.getMessage());
      assertEquals(List.of(), new RunDirectory(run.toString()).readUnits(), "no unit recorded as done");
      assertEquals(List.of(), hiddenTemps(run.resolve("tables")), "no partial part file");
      assertFalse(Files.exists(run.resolve("best/model.ckpt")), "no best model claimed");
      FaultRecorder.record(FaultRecorder.Group.RESOURCES, "disk full in the run tables (select run)",
          "the run stopped with: " + shown(e.getMessage()),
          "no: the units table holds no row (nothing recorded as done); no partial part file; no best model");
    }
  }
}
