package org.argus.model.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.argus.provision.ProvisioningException;
import org.argus.testing.TestArchives;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provisioning a roster model from a package with an entry escaping the unpack folder (zip-slip):
 * refused before anything is unpacked or {@code node} runs — the model's own entries included —
 * where the unpacker used to skip such entries silently. A row of the fault catalogue.
 */
@Tag(FaultRecorder.TAG)
class NsfwjsPackageZipSlipTest {
  @TempDir
  Path dir;

  @Test
  void aPackageEntryEscapingTheUnpackFolderRefusesTheWholePackage() throws Exception {
    String prefix = "package/dist/models/" + PretrainedModels.MOBILENET_V2 + "/";
    String evil = prefix + "../../../../../../escaped.min.js";
    Path tgz = TestArchives.tarGz(dir.resolve("nsfwjs-4.4.0.tgz"), List.of(
        TestArchives.Entry.file(prefix + "model.min.js", "module.exports = {};"),
        TestArchives.Entry.file(evil, "module.exports = 'owned';")));
    Path tmp = Files.createDirectories(dir.resolve("work"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path out = Files.createDirectories(tmp.resolve("out"));
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> NsfwjsPackage.decode(PretrainedModels.MOBILENET_V2, tgz, tmp, src, out));
    assertTrue(e.getMessage().startsWith("archive " + tgz + ": entry '" + evil + "' would be written to ")
        && e.getMessage().contains("outside the target folder " + src), e.getMessage());
    try (Stream<Path> s = Files.walk(dir)) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".min.js")).toList(),
          "nothing unpacked");
    }
    assertFalse(Files.exists(src.resolve("model.min.js")), "not even the model's own entry");
    FaultRecorder.record(FaultRecorder.Group.MODELS, "archive entry escaping the target folder when provisioning "
        + "(zip-slip: ../, absolute, symlink or hard link out)",
        "refused before anything is unpacked or run: " + e.getMessage().replace(dir.toString(), "DIR"),
        "no: nothing written (0 files unpacked); the model is not provisioned");
  }

  @Test
  void theRealPackageUnpacksThroughTheCheckedExtractor() throws Exception {
    Path tgz = NsfwjsPackage.tgz(); // provisioned (npm pack) and sha256-checked
    Path src = Files.createDirectories(dir.resolve("real"));
    NsfwjsPackage.unpack(tgz, "package/dist/models/" + PretrainedModels.MOBILENET_V2 + "/", src);
    try (Stream<Path> s = Files.list(src)) {
      assertEquals(List.of("group1-shard1of1.min.js", "model.min.js"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
