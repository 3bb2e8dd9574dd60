package org.argus.store;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Files written through the Hadoop FileSystem API that are either whole or absent: each is written
 * under a hidden temporary name next to it and renamed into place; a failed write deletes its
 * temporary file, so a full disk leaves neither a half-written file nor the space it took.
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
