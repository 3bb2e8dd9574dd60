package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.argus.ArgusException;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Metrics;
import org.argus.store.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's table appends are written behind, in order, and a failed one is never hidden. */
class RunLogTest {
  @TempDir
  Path tmp;

  private static UnitRecord unit(int trial, int shard) {
    return new UnitRecord(trial, 1, shard, 0, "driver", 0, 1, 1, 0, 0, new Metrics(10, 5.0, 7, false), null,
        "ckpt/trial-" + trial + "/e1-s" + shard + ".ckpt", null);
  }

  @Test
  void appendsReachTheTablesInTheOrderTheyWereMadeOnceFlushed() throws Exception {
    RunDirectory dir = new RunDirectory(tmp.resolve("run").toString());
    RunLog log = new RunLog(dir, u -> { });
    log.persistAll(List.of(unit(0, 0), unit(0, 1)));
    log.persist(unit(1, 0));
    log.epochs(List.of(new EpochRecord(0, 1, "lr=0.1", 0.5, 0.6, 0.7, 0.7, null, "ckpt/trial-0/e1-s1.ckpt", 0, 12)));
    log.close();
    List<UnitRecord> units = dir.readUnits();
    assertEquals(List.of(0, 0, 1), units.stream().map(UnitRecord::trial).toList());
    assertEquals(List.of(0, 1, 0), units.stream().map(UnitRecord::shard).toList());
    assertEquals(1, dir.readEpochs().size());
  }

  @Test
  void aFailedAppendIsThrownByTheNextCallsAndNothingAfterItIsWritten() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("broken"));
    Files.writeString(root.resolve("tables"), "a file where the tables folder belongs");
    RunLog log = new RunLog(new RunDirectory(root.toString()), u -> { });
    log.persist(unit(0, 0)); // queued: the failure comes later
    ArgusException flushed = assertThrows(ArgusException.class, log::flush);
    assertTrue(flushed.getMessage().startsWith("cannot write table units in " + root), flushed.getMessage());
    ArgusException next = assertThrows(ArgusException.class, () -> log.persist(unit(0, 1)));
    assertEquals(flushed.getMessage(), next.getMessage());
    assertThrows(ArgusException.class, log::close);
    assertTrue(Files.isRegularFile(root.resolve("tables")), "nothing was written after the failure");
  }

  @Test
  void closeQuietlyWritesWhatWasAppendedAndDropsItsOwnFailure() throws Exception {
    RunDirectory dir = new RunDirectory(tmp.resolve("run2").toString());
    RunLog log = new RunLog(dir, u -> { });
    log.persist(unit(2, 1));
    log.closeQuietly();
    assertEquals(1, dir.readUnits().size());
    Path root = Files.createDirectories(tmp.resolve("broken2"));
    Files.writeString(root.resolve("tables"), "x");
    RunLog bad = new RunLog(new RunDirectory(root.toString()), u -> { });
    bad.persist(unit(0, 0));
    bad.closeQuietly(); // no throw
    assertFalse(Files.isDirectory(root.resolve("tables")));
  }
}
