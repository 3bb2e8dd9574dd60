package org.argus.provision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Fetches one pinned npm package tarball into {@code ArgusHome.root()/downloads/} with {@code npm
 * pack NAME@VERSION} and checks its sha256; a tarball already there with the right sha256 is reused
 * (so a machine without npm works once the file is placed by hand).
 */
public final class NpmPack {
  private NpmPack() {}

  /**
   * @param spec the package and its pinned version, e.g. {@code echarts@6.1.0}
   * @param tgz the tarball's file name as {@code npm pack} writes it, e.g. {@code echarts-6.1.0.tgz}
   * @param sha256 the tarball's recorded sha256 (hex)
   * @return {@code downloads/<tgz>}, verified
   * @throws ProvisioningException when npm is missing or fails, or the tarball does not match its
   *     sha256; the message says how to place the file by hand
   */
  public static Path fetch(String spec, String tgz, String sha256) throws ProvisioningException {
    Path downloads = ArgusHome.root().resolve("downloads");
    Path target = downloads.resolve(tgz);
    String hint = "place " + tgz + " (sha256 " + sha256 + ", from `npm pack " + spec + "`) in " + downloads;
    if (Files.isRegularFile(target)) {
      try {
        if (Sha256.of(target).equals(sha256)) {
          return target;
        }
      } catch (IOException e) {
        // fetch again
      }
      System.err.println("argus: " + target + " does not match its recorded sha256; fetching again");
    }
    Path tmp = null;
    try {
      Files.createDirectories(downloads);
      tmp = Files.createTempDirectory(downloads, ".npm-pack-");
      System.err.println("argus: fetching " + spec + " with npm pack → " + downloads + " …");
      run(List.of("npm", "pack", spec, "--silent"), tmp, 600,
          "npm not found on PATH or `npm pack " + spec + "` failed: install Node.js/npm, or " + hint);
      Path got = tmp.resolve(tgz);
      if (!Files.isRegularFile(got)) {
        throw new ProvisioningException("`npm pack " + spec + "` did not write " + tgz + " in " + tmp + "; " + hint);
      }
      String actual = Sha256.of(got);
      if (!actual.equals(sha256)) {
        throw new ProvisioningException("`npm pack " + spec + "` gave sha256 " + actual + ", expected " + sha256
            + " (registry content changed?); " + hint);
      }
      Files.move(got, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new ProvisioningException("cannot fetch " + spec + " into " + downloads + ": " + e + "; " + hint, e);
    } finally {
      deleteTree(tmp);
    }
  }

  private static void run(List<String> cmd, Path cwd, long timeoutS, String hint) throws ProvisioningException {
    String shown = String.join(" ", cmd);
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new ProvisioningException("cannot start `" + shown + "`: " + e.getMessage() + "; " + hint, e);
    }
    try (InputStream in = p.getInputStream()) {
      p.getOutputStream().close();
      byte[] out = in.readAllBytes();
      if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new ProvisioningException("`" + shown + "` did not finish in " + timeoutS + " s; " + hint);
      }
      if (p.exitValue() != 0) {
        String s = new String(out, StandardCharsets.UTF_8);
        throw new ProvisioningException("`" + shown + "` exited with " + p.exitValue() + ": "
            + s.substring(Math.max(0, s.length() - 2000)).strip() + "\n" + hint);
      }
    } catch (IOException e) {
      throw new ProvisioningException("`" + shown + "` failed: " + e + "; " + hint, e);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new ProvisioningException("interrupted while running `" + shown + "`", e);
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temporary folder under downloads/ is harmless
    }
  }
}
