package org.argus.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real provisioning from the Debian package {@code dataset-fashion-mnist} (installed through
 * apt-get by {@link FashionMnist#provision(Path)} itself when absent — never skipped).
 */
class FashionMnistProvisionTest {
  @TempDir Path dir;

  @Test
  void provisionsFourUncompressedFilesMatchingTheirRecordedSha256() throws Exception {
    Path out = FashionMnist.provision(dir);
    assertEquals(dir, out);
    for (FashionMnistFiles.IdxFile f : FashionMnistFiles.FILES) {
      Path p = dir.resolve(f.name());
      assertEquals(f.size(), Files.size(p), f.name());
      assertEquals(f.sha256(), Sha256.of(p), f.name());
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(4, s.count(), "no .part or .gz leftovers");
    }
    assertTrue(FashionMnist.isProvisioned(dir));
  }

  @Test
  void secondProvisionKeepsVerifiedFilesUntouched() throws Exception {
    FashionMnist.provision(dir);
    Map<String, FileTime> before = new HashMap<>();
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    for (FashionMnistFiles.IdxFile f : FashionMnistFiles.FILES) {
      Files.setLastModifiedTime(dir.resolve(f.name()), old);
      before.put(f.name(), old);
    }
    FashionMnist.provision(dir);
    for (FashionMnistFiles.IdxFile f : FashionMnistFiles.FILES) {
      assertEquals(before.get(f.name()), Files.getLastModifiedTime(dir.resolve(f.name())));
    }
  }

  @Test
  void corruptedFileFailsItsSha256AndIsReplaced() throws Exception {
    FashionMnist.provision(dir);
    Path labels = dir.resolve("t10k-labels-idx1-ubyte");
    try (RandomAccessFile raf = new RandomAccessFile(labels.toFile(), "rw")) {
      raf.seek(100);
      raf.write(0x7f);
    }
    String expected = FashionMnistFiles.FILES.get(3).sha256();
    assertThrows(ProvisioningException.class, () -> Sha256.verify(labels, expected));
    FashionMnist.provision(dir);
    assertEquals(expected, Sha256.of(labels));
  }

  @Test
  void withoutAnySourceTheErrorSaysHowToProvideTheFiles() {
    ProvisioningException e =
        assertThrows(
            ProvisioningException.class,
            () -> FashionMnistFiles.provision(dir, dir.resolve("no-debian"), false, false));
    String m = e.getMessage();
    assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
    assertTrue(m.contains("/usr/share/datasets/fashion-mnist"), m);
    assertTrue(m.contains("train-images-idx3-ubyte.gz"), m);
    assertTrue(m.contains("zalandoresearch/fashion-mnist"), m);
    assertTrue(m.contains(dir.toString()), m);
    assertTrue(m.contains("ARGUS_HOME"), m);
  }

  @Test
  void debianGzWithWrongDigestIsNotUsed() throws IOException {
    Path fakeDebian = dir.resolve("fake-debian");
    Files.createDirectories(fakeDebian);
    for (FashionMnistFiles.IdxFile f : FashionMnistFiles.FILES) {
      Files.write(fakeDebian.resolve(f.name() + ".gz"), new byte[] {1, 2, 3});
    }
    Path target = dir.resolve("target");
    ProvisioningException e =
        assertThrows(
            ProvisioningException.class,
            () -> FashionMnistFiles.provision(target, fakeDebian, false, false));
    assertTrue(e.getMessage().contains("sha256 mismatch"), e.getMessage());
    assertFalse(Files.exists(target.resolve("train-images-idx3-ubyte")));
  }

  @Test
  void downloadUrlsAreZalandoThenTheMirror() {
    List<java.net.URI> urls = FashionMnistFiles.downloadUrls("t10k-labels-idx1-ubyte.gz");
    assertEquals(
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
            + "t10k-labels-idx1-ubyte.gz",
        urls.get(0).toString());
    assertTrue(urls.get(1).toString().endsWith("/t10k-labels-idx1-ubyte.gz"));
  }
}
