package org.argus.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Crafted archives for the zip-slip tests: entries stored exactly as named, links included. */
public final class TestArchives {
  private TestArchives() {}

  /** One tar entry: a file (content), a symbolic link or a hard link (link target). */
  public record Entry(String name, String content, String symlink, String hardlink) {
    public static Entry file(String name, String content) {
      return new Entry(name, content, null, null);
    }

    public static Entry symlink(String name, String target) {
      return new Entry(name, null, target, null);
    }

    public static Entry hardlink(String name, String target) {
      return new Entry(name, null, null, target);
    }
  }

  /** Writes a {@code .tar.gz} holding {@code entries}, names stored as given (absolute ones too). */
  public static Path tarGz(Path file, List<Entry> entries) throws IOException {
    try (OutputStream raw = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(raw))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry e : entries) {
        TarArchiveEntry t;
        if (e.symlink() != null) {
          t = new TarArchiveEntry(e.name(), TarConstants.LF_SYMLINK, true);
          t.setLinkName(e.symlink());
        } else if (e.hardlink() != null) {
          t = new TarArchiveEntry(e.name(), TarConstants.LF_LINK, true);
          t.setLinkName(e.hardlink());
        } else {
          t = new TarArchiveEntry(e.name(), true);
          t.setSize(e.content().getBytes(StandardCharsets.UTF_8).length);
        }
        tar.putArchiveEntry(t);
        if (e.content() != null) {
          tar.write(e.content().getBytes(StandardCharsets.UTF_8));
        }
        tar.closeArchiveEntry();
      }
    }
    return file;
  }

}
