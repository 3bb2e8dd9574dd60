package org.argus.store;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Files written through the Hadoop FileSystem API that are either whole or absent: each is written
 * under a hidden temporary name next to it and renamed into place; a failed write deletes its
 * temporary file, so a full disk leaves neither a half-written file nor the space it took.
 *
 * <p>On the local file system the files are written with {@code java.nio} instead: Hadoop's
 * {@code LocalFileSystem} creates a file, and its {@code .crc} sibling, by forking {@code chmod}
 * for each when Hadoop's native library is absent (it is, in Argus's distribution) — 20–25 ms per
 * checkpoint on 2 cores, against under a millisecond here. No {@code .crc} file is written (a
 * checkpoint carries its own SHA-256); a stale one beside a replaced file is deleted, so Hadoop's
 * readers never check the new content against an old checksum.
 *
 * <p>Hadoop's local file system reports a failed write ({@code No space left on device}, an I/O
 * error) as {@link FSError}, an {@code Error} that names no file; it is turned into an {@link
 * IOException} naming the file here, so callers handle it as the environment failure it is.
 */
final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes a file's content to a stream. */
  @FunctionalInterface
  interface Body {
    /**
     * @param out the temporary file's stream (closed by the caller)
     * @throws IOException on a write failure
     */
    void write(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code dst} atomically (temporary file + rename, replacing an existing file).
   *
   * @throws IOException when a write, the rename or the folder fails; the message names {@code dst}
   *     and the cause ({@code No space left on device} for a full disk)
   */
  static void write(FileSystem fs, Path dst, Body body) throws IOException {
    writeAll(fs, Map.of(dst, body));
  }

  /**
   * Writes several files so that none is replaced unless all were written whole: every temporary
   * file first, then the renames (which take no space).
   *
   * @param files destination → content, written in the map's order
   * @throws IOException as {@link #write}, naming the file that failed; no temporary file is left
   */
  static void writeAll(FileSystem fs, Map<Path, Body> files) throws IOException {
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      writeAllLocal(files);
      return;
    }
    List<Path[]> done = new ArrayList<>();
    try {
      for (Map.Entry<Path, Body> f : files.entrySet()) {
        Path dst = f.getKey();
        Path tmp = new Path(dst.getParent(), "." + dst.getName() + ".tmp-" + UUID.randomUUID());
        done.add(new Path[] {tmp, dst});
        try {
          fs.mkdirs(dst.getParent());
          try (OutputStream out = fs.create(tmp, true)) {
            f.getValue().write(out);
          }
        } catch (FSError e) {
          throw failure(dst, e);
        } catch (IOException e) {
          throw new IOException("cannot write " + dst + ": " + e.getMessage(), e);
        }
      }
      for (Path[] p : done) {
        if (fs.exists(p[1])) {
          fs.delete(p[1], false);
        }
        if (!fs.rename(p[0], p[1])) {
          throw new IOException("cannot rename " + p[0] + " to " + p[1]);
        }
      }
      done.clear();
    } finally {
      for (Path[] p : done) {
        deleteQuietly(fs, p[0]);
      }
    }
  }

  /** {@link #writeAll} on the local file system, through {@code java.nio}. */
  private static void writeAllLocal(Map<Path, Body> files) throws IOException {
    List<java.nio.file.Path[]> done = new ArrayList<>();
    try {
      for (Map.Entry<Path, Body> f : files.entrySet()) {
        java.nio.file.Path dst = local(f.getKey());
        java.nio.file.Path tmp = dst.resolveSibling("." + dst.getFileName() + ".tmp-" + UUID.randomUUID());
        done.add(new java.nio.file.Path[] {tmp, dst});
        try {
          Files.createDirectories(dst.getParent());
          try (OutputStream out = new BufferedOutputStream(
              Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16)) {
            f.getValue().write(out);
          }
        } catch (IOException e) {
          throw new IOException("cannot write " + f.getKey() + ": " + message(e), e);
        }
      }
      for (java.nio.file.Path[] p : done) {
        Files.deleteIfExists(p[1].resolveSibling("." + p[1].getFileName() + ".crc"));
        try {
          Files.move(p[0], p[1], StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          throw new IOException("cannot rename " + p[0] + " to " + p[1] + ": " + message(e), e);
        }
      }
      done.clear();
    } finally {
      for (java.nio.file.Path[] p : done) {
        try {
          Files.deleteIfExists(p[0]);
        } catch (IOException ignored) {
          // the original failure is what the caller reports
        }
      }
    }
  }

  /** @return a local Hadoop path ({@code /a/b} or {@code file:/a/b}) as a {@code java.nio} path */
  private static java.nio.file.Path local(Path p) {
    return Paths.get(p.toUri().getPath());
  }

  /** @return the exception's message; for a file-system exception its reason ({@code No space left on device}) */
  static String message(IOException e) {
    return e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
  }

  /** @return an IOException naming {@code file} with the failed write's own message */
  static IOException failure(Path file, FSError e) {
    Throwable c = e.getCause() != null ? e.getCause() : e;
    return new IOException("cannot write " + file + ": " + c.getMessage(), c);
  }

  /** Deletes a temporary file after a failure; a second failure must not hide the first. */
  static void deleteQuietly(FileSystem fs, Path p) {
    try {
      fs.delete(p, false);
    } catch (IOException | FSError ignored) {
      // the original failure is what the caller reports; a stray hidden temp file is harmless
    }
  }
}
