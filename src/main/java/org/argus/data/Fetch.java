package org.argus.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;

/**
 * Package-private provisioning plumbing shared by the data sets: Debian packages through apt-get,
 * HTTP downloads, atomic gunzip and copies (temp file in the target directory, then rename).
 */
final class Fetch {
  private Fetch() {}

  /** Short progress line on stderr, prefixed so it can be told apart from Spark's logging. */
  static void progress(String line) {
    System.err.println("[argus] " + line);
  }

  /** @return true when this process runs as root and {@code apt-get} is on the PATH */
  static boolean aptUsable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return false;
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "apt-get"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Installs a Debian package with {@code apt-get install -y}; when that fails, runs {@code apt-get
   * update} once and retries.
   *
   * @return null on success, else a one-line description of the failure (exit code and output
   *     tail)
   */
  static String aptInstall(String debianPackage) {
    progress("apt-get install -y " + debianPackage);
    String first = runQuietly(List.of("apt-get", "install", "-y", debianPackage));
    if (first == null) {
      return null;
    }
    progress("apt-get install failed (" + first + "); running apt-get update and retrying");
    String update = runQuietly(List.of("apt-get", "update"));
    if (update != null) {
      return "apt-get update failed: " + update;
    }
    return runQuietly(List.of("apt-get", "install", "-y", debianPackage));
  }

  private static String runQuietly(List<String> command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      byte[] out;
      try (InputStream in = p.getInputStream()) {
        out = in.readAllBytes();
      }
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return "timed out after 30 minutes";
      }
      if (p.exitValue() == 0) {
        return null;
      }
      String text = new String(out, java.nio.charset.StandardCharsets.UTF_8).strip();
      String tail = text.length() > 300 ? text.substring(text.length() - 300) : text;
      return "exit " + p.exitValue() + ": " + tail.replace('\n', ' ');
    } catch (IOException e) {
      return "cannot run " + command.get(0) + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Downloads {@code url} into {@code dest} atomically and checks its sha256.
   *
   * @throws ProvisioningException when the download fails or the digest differs
   */
  static void download(URI url, Path dest, String sha256) throws ProvisioningException {
    progress("downloading " + url);
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(15))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    Path tmp = null;
    try {
      Files.createDirectories(dest.getParent());
      tmp = Files.createTempFile(dest.getParent(), dest.getFileName().toString(), ".part");
      HttpResponse<Path> response =
          client.send(
              HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(10)).GET().build(),
              HttpResponse.BodyHandlers.ofFile(tmp));
      if (response.statusCode() != 200) {
        throw new ProvisioningException(
            "download of " + url + " failed: HTTP status " + response.statusCode());
      }
      Sha256.verify(tmp, sha256);
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
    } catch (IOException e) {
      throw new ProvisioningException("download of " + url + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisioningException("download of " + url + " interrupted", e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /**
   * Decompresses a gzip file into {@code dest} atomically (temp file next to it, then rename) and
   * checks the result's sha256; on any failure nothing is left at {@code dest}.
   *
   * @throws ProvisioningException when reading, writing or the digest check fails
   */
  static void gunzip(Path gz, Path dest, String sha256) throws ProvisioningException {
    progress("decompressing " + gz + " -> " + dest);
    Path tmp = null;
    try {
      Files.createDirectories(dest.getParent());
      tmp = Files.createTempFile(dest.getParent(), dest.getFileName().toString(), ".part");
      try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16);
          OutputStream out = Files.newOutputStream(tmp)) {
        in.transferTo(out);
      }
      Sha256.verify(tmp, sha256);
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
    } catch (IOException e) {
      throw new ProvisioningException("cannot decompress " + gz + " into " + dest + ": " + e, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /**
   * Copies {@code src} into {@code dest} atomically.
   *
   * @throws ProvisioningException when the copy fails
   */
  static void copy(Path src, Path dest) throws ProvisioningException {
    Path tmp = null;
    try {
      Files.createDirectories(dest.getParent());
      tmp = Files.createTempFile(dest.getParent(), dest.getFileName().toString(), ".part");
      Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
    } catch (IOException e) {
      throw new ProvisioningException("cannot copy " + src + " to " + dest + ": " + e, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // best effort: a stray .part file is harmless and is replaced next time
      }
    }
  }
}
