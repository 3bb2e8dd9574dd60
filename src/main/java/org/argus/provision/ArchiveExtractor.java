package org.argus.provision;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The one archive extractor of provisioning: every archive Argus unpacks goes through it, and it
 * <b>refuses</b> (rather than skips) an archive holding an entry that would land outside the target
 * folder — the "zip-slip" attack (Snyk, "Zip Slip Vulnerability", 2018): an entry named {@code
 * ../x} or {@code a/../../x}, an absolute path ({@code /etc/x}, {@code C:\x}), or a symbolic or hard
 * link whose target resolves outside the folder (a later entry written "through" the link would
 * escape). Backslashes count as separators, as an extractor on Windows would read them.
 *
 * <p>The archive is read twice: first every entry is checked (so a refused archive writes nothing),
 * then the selected regular files are written. Directories are created as needed; links that stay
 * inside, devices and FIFOs are checked but never written. Formats, by file name: {@code .tar.gz},
 * {@code .tgz}, {@code .tar}, {@code .zip} (Apache Commons Compress).
 */
public final class ArchiveExtractor {
  private ArchiveExtractor() {}

  /**
   * Checks every entry of {@code archive} against {@code dest}, then writes the regular files that
   * {@code select} maps to a name.
   *
   * @param archive a {@code .tar.gz}, {@code .tgz}, {@code .tar} or {@code .zip} file
   * @param dest the target folder (created if missing); every entry's normalized path must stay
   *     inside it
   * @param select maps an entry's name (as stored, {@code /}-separated) to the relative path to write
   *     it to under {@code dest}, or returns null to leave the entry out
   * @return the number of files written
   * @throws ProvisioningException when an entry (selected or not) would land outside {@code dest},
   *     naming the archive, the entry and the folder; or when the archive cannot be read or a file
   *     cannot be written
   * @throws IllegalArgumentException when the archive's name has none of the supported endings
   */
  public static int extract(Path archive, Path dest, UnaryOperator<String> select)
      throws ProvisioningException {
    Objects.requireNonNull(archive, "archive");
    Objects.requireNonNull(dest, "dest");
    Objects.requireNonNull(select, "select");
    Path root = dest.toAbsolutePath().normalize();
    try {
      try (ArchiveInputStream<?> in = open(archive)) {
        ArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
          check(archive, root, e, in);
        }
      }
      int written = 0;
      Files.createDirectories(root);
      try (ArchiveInputStream<?> in = open(archive)) {
        ArchiveEntry e;
        while ((e = in.getNextEntry()) != null) {
          if (!regularFile(e)) {
            continue;
          }
          String name = select.apply(e.getName());
          if (name == null) {
            continue;
          }
          Path target = inside(archive, root, e.getName(), name);
          Files.createDirectories(target.getParent());
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          written++;
        }
      }
      return written;
    } catch (IOException ex) {
      throw new ProvisioningException("cannot extract " + archive + " into " + root + ": " + ex, ex);
    }
  }

  private static ArchiveInputStream<?> open(Path archive) throws IOException {
    String n = archive.getFileName().toString().toLowerCase(Locale.ROOT);
    InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
    try {
      if (n.endsWith(".tar.gz") || n.endsWith(".tgz")) {
        return new TarArchiveInputStream(new GzipCompressorInputStream(raw));
      }
      if (n.endsWith(".tar")) {
        return new TarArchiveInputStream(raw);
      }
      if (n.endsWith(".zip")) {
        return new ZipArchiveInputStream(raw);
      }
    } catch (IOException e) {
      raw.close();
      throw e;
    }
    raw.close();
    throw new IllegalArgumentException("archive " + archive
        + " has an unsupported type; valid endings: .tar.gz, .tgz, .tar, .zip");
  }

  private static boolean regularFile(ArchiveEntry e) {
    if (e instanceof TarArchiveEntry t) { // isFile() alone is also true for links, devices and FIFOs
      return t.isFile() && !t.isSymbolicLink() && !t.isLink() && !t.isCharacterDevice() && !t.isBlockDevice()
          && !t.isFIFO();
    }
    if (e instanceof ZipArchiveEntry z) {
      return !z.isDirectory() && !z.isUnixSymlink();
    }
    return !e.isDirectory();
  }

  /** Refuses an entry whose path, or whose link target, leaves {@code root}. */
  private static void check(Path archive, Path root, ArchiveEntry e, ArchiveInputStream<?> in)
      throws IOException, ProvisioningException {
    Path target = inside(archive, root, e.getName(), e.getName());
    String link = null;
    String kind = null;
    Path base = null;
    if (e instanceof TarArchiveEntry t && (t.isSymbolicLink() || t.isLink())) {
      link = t.getLinkName();
      kind = t.isSymbolicLink() ? "symbolic link" : "hard link";
      base = t.isSymbolicLink() ? target.getParent() : root; // a hard link names an archive path
    } else if (e instanceof ZipArchiveEntry z && z.isUnixSymlink()) {
      link = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      kind = "symbolic link";
      base = target.getParent();
    }
    if (link == null) {
      return;
    }
    Path resolved = resolve(base, link);
    if (resolved == null || !resolved.startsWith(root)) {
      throw new ProvisioningException("archive " + archive + ": entry '" + e.getName() + "' is a " + kind
          + " to '" + link + "'" + (resolved == null ? "" : ", which resolves to " + resolved)
          + ", outside the target folder " + root + "; refusing to extract it (zip-slip)");
    }
  }

  /**
   * @return {@code root/name} normalized
   * @throws ProvisioningException when that leaves {@code root}, naming the archive, the entry and
   *     the folder
   */
  private static Path inside(Path archive, Path root, String entry, String name) throws ProvisioningException {
    Path p = resolve(root, name);
    if (p == null || !p.startsWith(root)) {
      throw new ProvisioningException("archive " + archive + ": entry '" + entry + "' would be written to "
          + (p == null ? "'" + name + "'" : p) + ", outside the target folder " + root
          + "; refusing to extract it (zip-slip)");
    }
    return p;
  }

  /** @return {@code base/name} normalized, or null when {@code name} is absolute or not a path */
  private static Path resolve(Path base, String name) {
    String portable = name.replace('\\', '/');
    if (portable.startsWith("/") || portable.matches("^[A-Za-z]:.*") || portable.indexOf('\0') >= 0) {
      return null;
    }
    try {
      return base.resolve(portable).normalize();
    } catch (InvalidPathException e) {
      return null;
    }
  }
}
