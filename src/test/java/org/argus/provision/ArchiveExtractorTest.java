package org.argus.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.argus.testing.TestArchives;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checked extractor refuses every way an archive entry can land outside the target folder
 * (zip-slip), names the archive, the entry and the folder, and writes nothing from a refused
 * archive; a clean archive's selected files are written.
 */
class ArchiveExtractorTest {
  @TempDir
  Path dir;

  private static Path zip(Path file, String... namesThenContents) throws IOException {
    try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(Files.newOutputStream(file))) {
      for (int i = 0; i < namesThenContents.length; i += 2) {
        z.putArchiveEntry(new ZipArchiveEntry(namesThenContents[i]));
        z.write(namesThenContents[i + 1].getBytes(StandardCharsets.UTF_8));
        z.closeArchiveEntry();
      }
    }
    return file;
  }

  private static List<Path> filesUnder(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"../evil.txt", "pkg/../../evil.txt", "pkg/..\\..\\evil.txt"})
  void anEntryClimbingOutOfTheFolderIsRefusedNamingArchiveEntryAndFolder(String name) throws Exception {
    Path archive = TestArchives.tarGz(dir.resolve("slip.tar.gz"), List.of(TestArchives.Entry.file("pkg/ok.txt", "fine"),
        TestArchives.Entry.file(name, "escaped")));
    Path dest = dir.resolve("out");
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> ArchiveExtractor.extract(archive, dest, n -> n));
    assertTrue(e.getMessage().startsWith("archive " + archive + ": entry '" + name + "' would be written to ")
        && e.getMessage().contains(", outside the target folder " + dest + "; refusing"), e.getMessage());
    assertEquals(List.of(), filesUnder(dir.resolve("out")), "nothing written, not even the good entry before it");
    assertFalse(Files.exists(dir.resolve("evil.txt")));
  }

  @Test
  void anAbsoluteEntryIsRefused() throws Exception {
    Path archive = TestArchives.tarGz(dir.resolve("abs.tar.gz"), List.of(TestArchives.Entry.file("/tmp/argus-zip-slip-abs.txt", "x")));
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> ArchiveExtractor.extract(archive, dir.resolve("out"), n -> n));
    assertTrue(e.getMessage().contains("entry '/tmp/argus-zip-slip-abs.txt' would be written to"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"../../outside", "/etc"})
  void aSymbolicLinkPointingOutIsRefused(String target) throws Exception {
    Path archive = TestArchives.tarGz(dir.resolve("link.tgz"), List.of(TestArchives.Entry.symlink("pkg/link", target),
        TestArchives.Entry.file("pkg/link/passwd", "through the link")));
    Path dest = dir.resolve("out");
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> ArchiveExtractor.extract(archive, dest, n -> n));
    assertTrue(e.getMessage().startsWith("archive " + archive + ": entry 'pkg/link' is a symbolic link to '"
        + target + "'") && e.getMessage().contains("outside the target folder " + dest), e.getMessage());
  }

  @Test
  void aHardLinkPointingOutIsRefused() throws Exception {
    Path archive = TestArchives.tarGz(dir.resolve("hard.tar.gz"), List.of(TestArchives.Entry.hardlink("pkg/hl", "../../etc/passwd")));
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> ArchiveExtractor.extract(archive, dir.resolve("out"), n -> n));
    assertTrue(e.getMessage().contains("entry 'pkg/hl' is a hard link to '../../etc/passwd'"), e.getMessage());
  }

  @Test
  void aZipEntryClimbingOutIsRefused() throws Exception {
    Path archive = zip(dir.resolve("slip.zip"), "a.txt", "fine", "../../evil.txt", "escaped");
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> ArchiveExtractor.extract(archive, dir.resolve("out"), n -> n));
    assertTrue(e.getMessage().contains("entry '../../evil.txt' would be written to"), e.getMessage());
    assertEquals(List.of(), filesUnder(dir.resolve("out")));
  }

  @Test
  void aCleanArchiveWritesTheSelectedFilesUnderTheirNewNames() throws Exception {
    Path archive = TestArchives.tarGz(dir.resolve("ok.tar.gz"), List.of(TestArchives.Entry.file("package/m/a.js", "A"),
        TestArchives.Entry.file("package/m/sub/b.js", "B"), TestArchives.Entry.file("package/other.txt", "O"),
        TestArchives.Entry.symlink("package/m/alias.js", "a.js")));
    Path dest = dir.resolve("out");
    int n = ArchiveExtractor.extract(archive, dest,
        name -> name.startsWith("package/m/") ? name.substring("package/m/".length()) : null);
    assertEquals(2, n);
    assertEquals(List.of(dest.resolve("a.js"), dest.resolve("sub/b.js")), filesUnder(dest));
    assertEquals("B", Files.readString(dest.resolve("sub/b.js")));
    Path z = zip(dir.resolve("ok.zip"), "x/y.txt", "Y");
    assertEquals(1, ArchiveExtractor.extract(z, dir.resolve("zout"), name -> name));
    assertEquals("Y", Files.readString(dir.resolve("zout/x/y.txt")));
  }

  @Test
  void aSelectionThatRenamesOutOfTheFolderIsRefused() throws Exception {
    Path archive = TestArchives.tarGz(dir.resolve("ok2.tar.gz"), List.of(TestArchives.Entry.file("a.txt", "A")));
    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> ArchiveExtractor.extract(archive, dir.resolve("out"), name -> "../" + name));
    assertTrue(e.getMessage().contains("entry 'a.txt' would be written to " + dir.resolve("a.txt")), e.getMessage());
  }

  @Test
  void anUnsupportedArchiveTypeIsRefusedListingTheValidOnes() throws Exception {
    Path rar = Files.writeString(dir.resolve("x.rar"), "not supported");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ArchiveExtractor.extract(rar, dir.resolve("out"), n -> n));
    assertTrue(e.getMessage().contains("valid endings: .tar.gz, .tgz, .tar, .zip"), e.getMessage());
  }
}
