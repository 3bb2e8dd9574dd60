package org.argus.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A really small disk for the disk-full faults: a {@code tmpfs} of a fixed size mounted on a fresh
 * folder ({@code mount -t tmpfs -o size=… tmpfs DIR}), which a test fills to leave a chosen number
 * of free bytes; {@link #close} unmounts it. Mounting needs root or {@code CAP_SYS_ADMIN} (the tests
 * run as root here and in CI): without it the test <em>fails</em> saying so, it is never skipped.
 */
public final class FullDisk implements AutoCloseable {
  private final Path dir;

  private FullDisk(Path dir) {
    this.dir = dir;
  }

  /**
   * Mounts a tmpfs of {@code bytes} on {@code dir} (created if missing), e.g. a run directory or
   * just its {@code ckpt/} folder.
   *
   * @param dir the mount point, inside a JUnit temp folder
   * @param bytes the file system's size (tmpfs rounds up to whole pages)
   * @return the mounted disk
   * @throws IOException when the mount point cannot be created or the command cannot be started
   */
  public static FullDisk mount(Path dir, long bytes) throws IOException {
    Files.createDirectories(dir);
    String out = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString()));
    if (out != null) {
      fail("the disk-full fault test needs root or CAP_SYS_ADMIN to mount a small tmpfs on " + dir
          + " (mount -t tmpfs -o size=" + bytes + " tmpfs " + dir + "): " + out);
    }
    return new FullDisk(dir);
  }

  /** @return the mount point */
  public Path dir() {
    return dir;
  }

  /** @return bytes a new file can still take (the file system's usable space) */
  public long free() throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  /**
   * Writes a filler file ({@code filler.bin}) until at most {@code leave} bytes are free.
   *
   * @param leave the free bytes to leave (0: completely full)
   * @throws IOException when the filler cannot be created
   */
  public void fill(long leave) throws IOException {
    byte[] page = new byte[4096];
    try (OutputStream o = Files.newOutputStream(dir.resolve("filler.bin"))) {
      while (free() > leave) {
        int n = (int) Math.min(page.length, free() - leave);
        o.write(page, 0, Math.max(1, n));
        o.flush();
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
        throw e;
      }
    }
  }

  /** Unmounts the tmpfs (lazily, so an open handle cannot keep it); the mount point stays, empty. */
  @Override
  public void close() throws IOException {
    String out = run(List.of("umount", "-l", dir.toString()));
    if (out != null) {
      throw new IOException("cannot unmount " + dir + ": " + out);
    }
  }

  /** @return null on exit 0, else the exit code and output */
  private static String run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      byte[] b = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "timed out";
      }
      return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + new String(b, StandardCharsets.UTF_8).strip();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + cmd, e);
    }
  }
}
