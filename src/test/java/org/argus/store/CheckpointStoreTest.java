package org.argus.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint store and the run directory's tables. The corrupted, truncated and missing
 * checkpoint files are rows of the fault catalogue ({@link FaultRecorder}).
 */
@Tag(FaultRecorder.TAG)
class CheckpointStoreTest {
  @TempDir Path tmp;

  @Test
  void roundTripAndDetectsCorruptionAndAbsence() throws Exception {
    CheckpointStore s = new CheckpointStore(tmp.toString());
    byte[] payload = new byte[1000];
    new java.util.Random(1).nextBytes(payload);
    assertEquals(1048, s.write("ckpt/t/a.ckpt", payload));
    assertArrayEquals(payload, s.read("ckpt/t/a.ckpt"));
    try (var l = Files.list(tmp.resolve("ckpt/t"))) {
      assertEquals(List.of("a.ckpt"), l.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList());
    }
    Path f = tmp.resolve("ckpt/t/a.ckpt");
    Files.deleteIfExists(tmp.resolve("ckpt/t/.a.ckpt.crc")); // let the payload checksum speak
    byte[] raw = Files.readAllBytes(f);
    raw[500] ^= 1;
    Files.write(f, raw);
    var flipped = assertThrows(CheckpointException.class, () -> s.read("ckpt/t/a.ckpt"));
    assertTrue(flipped.getMessage().contains("SHA-256 mismatch"), flipped.getMessage());
    Files.write(f, java.util.Arrays.copyOf(raw, 100));
    var truncated = assertThrows(CheckpointException.class, () -> s.read("ckpt/t/a.ckpt"));
    assertTrue(truncated.getMessage().contains("corrupted"), truncated.getMessage());
    var missing = assertThrows(CheckpointException.class, () -> s.read("ckpt/t/none.ckpt"));
    assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
    String root = tmp.toString();
    FaultRecorder.record(FaultRecorder.Group.PROCESSES, "checkpoint file with one payload byte flipped",
        "CheckpointStore.read refuses it: " + flipped.getMessage().replace(root, "RUN"),
        "no: the changed bytes never reach a trainer");
    FaultRecorder.record(FaultRecorder.Group.PROCESSES, "checkpoint file truncated (100 of 1048 bytes)",
        "CheckpointStore.read refuses it: " + truncated.getMessage().replace(root, "RUN"),
        "no: a partial state never reaches a trainer");
    FaultRecorder.record(FaultRecorder.Group.PROCESSES, "checkpoint file missing",
        "CheckpointStore.read refuses it: " + missing.getMessage().replace(root, "RUN"), "no: nothing read");
  }

  @Test
  void parquetTableAppendsAndReadsBack() throws Exception {
    RunDirectory d = new RunDirectory(tmp.toString());
    ParquetTable t = d.table("trials");
    t.append(List.of(Map.of("trial", 1L, "config", "lr=0.1", "seed", 5L, "bracket", -1L)));
    t.append(List.of(Map.of("trial", 2L, "config", "lr=0.2", "seed", 6L, "bracket", 0L, "stopped", "done")));
    var rows = t.readAll();
    assertEquals(2, rows.size());
    assertEquals("lr=0.1", rows.get(0).get("config"));
    assertNull(rows.get(0).get("stopped"));
    assertEquals("done", rows.get(1).get("stopped"));
    assertNull(d.readSpec());
    d.writeSpec(Map.of("a", "1", "b", "2"));
    assertEquals(Map.of("a", "1", "b", "2"), d.readSpec());
    assertEquals(List.of("b: run has '2', this command '3'"), RunDirectory.differences(d.readSpec(), Map.of("a", "1", "b", "3")));
  }
}
