package org.argus.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;

/**
 * Provisioning of the four Fashion-MNIST IDX files into a local directory: the recorded sha256
 * digests and sizes, and the chain of sources (Debian package files, {@code apt-get install}, the
 * canonical download). The public entry points are {@link FashionMnist#provision(Path)} and {@link
 * FashionMnist#isProvisioned(Path)}.
 */
final class FashionMnistFiles {
  /**
   * One of the four files.
   *
   * @param name the uncompressed file name, e.g. {@code train-images-idx3-ubyte}
   * @param gzSha256 lowercase hex sha256 of {@code name + ".gz"}
   * @param sha256 lowercase hex sha256 of the uncompressed content
   * @param size bytes of the uncompressed content
   */
  record IdxFile(String name, String gzSha256, String sha256, long size) {}

  /** The four files with their recorded digests, train before test, images before labels. */
  static final List<IdxFile> FILES =
      List.of(
          new IdxFile(
              "train-images-idx3-ubyte",
              "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
              "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
              47_040_016L),
          new IdxFile(
              "train-labels-idx1-ubyte",
              "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
              "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
              60_008L),
          new IdxFile(
              "t10k-images-idx3-ubyte",
              "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
              "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
              7_840_016L),
          new IdxFile(
              "t10k-labels-idx1-ubyte",
              "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
              "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
              10_008L));

  private FashionMnistFiles() {}

  /** See {@link FashionMnist#isProvisioned(Path)}: presence and size, no hashing. */
  static boolean isProvisioned(Path dir) {
    for (IdxFile f : FILES) {
      Path p = dir.resolve(f.name());
      try {
        if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
          return false;
        }
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Provisioning with the sources made explicit (tests exercise the fallback chain with them); see
   * {@link FashionMnist#provision(Path)} for the behaviour.
   *
   * @param dir the target directory (created if missing)
   * @param debianDir where the Debian package's {@code *.gz} files are looked for
   * @param allowApt whether {@code apt-get install} may be tried
   * @param allowDownload whether the canonical download may be tried
   * @return {@code dir}
   * @throws ProvisioningException when no allowed source works, or a corrupt file cannot be
   *     deleted; the message lists what was tried and how to provide the files by hand
   */
  static Path provision(Path dir, Path debianDir, boolean allowApt, boolean allowDownload)
      throws ProvisioningException {
    List<IdxFile> missing = missingOrCorrupt(dir);
    if (missing.isEmpty()) {
      return dir;
    }
    List<String> attempts = new ArrayList<>();
    // (a) Debian package files already installed
    if (!fromDir(debianDir, dir, missing, attempts) && allowApt) {
      // (b) install the package
      if (Fetch.aptUsable()) {
        String failure = Fetch.aptInstall(FashionMnist.DEBIAN_PACKAGE);
        if (failure == null) {
          fromDir(debianDir, dir, missing, attempts);
        } else {
          attempts.add("apt-get install -y " + FashionMnist.DEBIAN_PACKAGE + ": " + failure);
        }
      } else {
        attempts.add("apt-get: not usable (needs root and apt-get on the PATH)");
      }
    }
    // (c) canonical download
    if (!missing.isEmpty() && allowDownload) {
      download(dir, missing, attempts);
    }
    if (!missing.isEmpty()) {
      throw new ProvisioningException(howToProvide(dir, missing, attempts));
    }
    Fetch.progress(FashionMnist.NAME + ": ready in " + dir);
    return dir;
  }

  /**
   * Keeps the files of {@code dir} that match their recorded sha256, deletes those that do not.
   *
   * @return the files still to provision, in {@link #FILES} order
   */
  private static List<IdxFile> missingOrCorrupt(Path dir) throws ProvisioningException {
    List<IdxFile> missing = new ArrayList<>();
    for (IdxFile f : FILES) {
      Path p = dir.resolve(f.name());
      if (Files.exists(p)) {
        try {
          Sha256.verify(p, f.sha256());
          continue;
        } catch (ProvisioningException e) {
          Fetch.progress(FashionMnist.NAME + ": " + e.getMessage() + "; provisioning it again");
          try {
            Files.delete(p);
          } catch (IOException io) {
            throw new ProvisioningException("cannot delete corrupt " + p + ": " + io, io);
          }
        }
      }
      missing.add(f);
    }
    return missing;
  }

  /**
   * Decompresses what {@code srcDir} offers; removes provisioned files from {@code missing}.
   *
   * @return true when nothing is missing any more
   */
  private static boolean fromDir(Path srcDir, Path dir, List<IdxFile> missing, List<String> attempts)
      throws ProvisioningException {
    for (IdxFile f : List.copyOf(missing)) {
      Path gz = srcDir.resolve(f.name() + ".gz");
      if (!Files.isRegularFile(gz)) {
        attempts.add(gz + ": not found (Debian package " + FashionMnist.DEBIAN_PACKAGE + ")");
        continue;
      }
      try {
        Sha256.verify(gz, f.gzSha256());
      } catch (ProvisioningException e) {
        attempts.add(e.getMessage());
        continue;
      }
      Fetch.gunzip(gz, dir.resolve(f.name()), f.sha256());
      missing.remove(f);
    }
    return missing.isEmpty();
  }

  /** Downloads and decompresses each missing file, trying {@link #downloadUrls} in order. */
  private static void download(Path dir, List<IdxFile> missing, List<String> attempts) {
    for (IdxFile f : List.copyOf(missing)) {
      for (URI url : downloadUrls(f.name() + ".gz")) {
        Path gz = dir.resolve(f.name() + ".gz");
        try {
          Fetch.download(url, gz, f.gzSha256());
          try {
            Fetch.gunzip(gz, dir.resolve(f.name()), f.sha256());
          } finally {
            Files.deleteIfExists(gz);
          }
          missing.remove(f);
          break;
        } catch (ProvisioningException | IOException e) {
          attempts.add(url + ": " + e.getMessage());
        }
      }
    }
  }

  /**
   * Canonical download locations, built from parts: Zalando's GitHub repository, then the
   * project's mirror.
   *
   * @param gzName a compressed file name, e.g. {@code t10k-labels-idx1-ubyte.gz}
   * @return the two URIs, in the order to try them
   */
  static List<URI> downloadUrls(String gzName) {
    String github =
        String.join(
            "/",
            "https://raw.githubusercontent.com",
            "zalandoresearch",
            "fashion-mnist",
            "master",
            "data",
            "fashion",
            gzName);
    String mirror =
        String.join(
            "/", "http://fashion-mnist.s3-website." + "eu-central-1" + ".amazonaws.com", gzName);
    return List.of(URI.create(github), URI.create(mirror));
  }

  private static String howToProvide(Path dir, List<IdxFile> missing, List<String> attempts) {
    StringBuilder sb = new StringBuilder();
    sb.append("Fashion-MNIST could not be provisioned into ").append(dir).append("; missing:");
    for (IdxFile f : missing) {
      sb.append(' ').append(f.name());
    }
    sb.append(".\nTried:");
    for (String a : attempts) {
      sb.append("\n  - ").append(a);
    }
    sb.append("\nTo provide the files: either install the Debian package (apt-get install ")
        .append(FashionMnist.DEBIAN_PACKAGE)
        .append(", which puts the .gz files in ")
        .append(FashionMnist.DEBIAN_DIR)
        .append("), or download");
    for (IdxFile f : missing) {
      sb.append("\n  ").append(downloadUrls(f.name() + ".gz").get(0));
    }
    sb.append("\nand decompress them (gunzip) into ")
        .append(dir)
        .append(" (set ARGUS_HOME or -Dargus.home to move the cache root; the data set lives in")
        .append(" <root>/datasets/")
        .append(FashionMnist.NAME)
        .append(").");
    return sb.toString();
  }
}
