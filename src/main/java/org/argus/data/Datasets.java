package org.argus.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.argus.provision.ArgusHome;
import org.argus.provision.ProvisioningException;

/**
 * The catalog of data sets Argus can provision, for {@code argus datasets list|fetch}:
 *
 * <ul>
 *   <li>{@code fashion-mnist}: see {@link FashionMnist}; four uncompressed IDX files.
 *   <li>{@code darknet-photos}: the sample photos of the Debian package {@code darknet} ({@code
 *       /usr/share/darknet/data/*.jpg}, e.g. {@code dog.jpg} 768×576), copied into {@code
 *       <location>/photos/} so that an image-folder read labels them {@code "photos"}. No digests
 *       are recorded for them (the package version decides the content).
 * </ul>
 *
 * Locations are {@code ArgusHome.dataset(name)}.
 */
public final class Datasets {
  /** Catalog name of the darknet sample photos. */
  public static final String DARKNET_PHOTOS = "darknet-photos";

  /** The Debian package that ships the darknet sample photos. */
  public static final String DARKNET_PACKAGE = "darknet";

  /** Where {@link #DARKNET_PACKAGE} installs its sample photos. */
  public static final Path DARKNET_DIR = Path.of("/usr/share/darknet/data");

  private Datasets() {}

  /**
   * One catalog entry.
   *
   * @param name catalog name ({@code fashion-mnist}, {@code darknet-photos})
   * @param description one line for humans
   * @param provisioned whether {@code location} already holds the data (cheap check: presence and
   *     size, no hashing)
   * @param location the local directory the data lives in once provisioned
   * @param debianPackage the Debian package that is the first source
   * @param files number of data files once provisioned (for photos: those found now, else 0)
   */
  public record DatasetInfo(
      String name,
      String description,
      boolean provisioned,
      Path location,
      String debianPackage,
      int files) {
    /** Validates the fields. */
    public DatasetInfo {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(location, "location");
      Objects.requireNonNull(debianPackage, "debianPackage");
    }
  }

  /** @return the catalog names, in listing order */
  public static List<String> names() {
    return List.of(FashionMnist.NAME, DARKNET_PHOTOS);
  }

  /** @return every catalog entry with its current provisioning state; never touches the network */
  public static List<DatasetInfo> list() {
    List<DatasetInfo> out = new ArrayList<>();
    for (String n : names()) {
      out.add(info(n));
    }
    return out;
  }

  /**
   * @param name a catalog name
   * @return the entry with its current state
   * @throws IllegalArgumentException for an unknown name (the message lists the valid ones)
   */
  public static DatasetInfo info(String name) {
    Objects.requireNonNull(name, "name");
    if (name.equals(FashionMnist.NAME)) {
      Path loc = FashionMnist.defaultLocation();
      return new DatasetInfo(
          name,
          "Fashion-MNIST: 70 000 grayscale 28x28 product images, 10 classes (60 000 train, 10 000"
              + " test)",
          FashionMnist.isProvisioned(loc),
          loc,
          FashionMnist.DEBIAN_PACKAGE,
          FashionMnistFiles.FILES.size());
    }
    if (name.equals(DARKNET_PHOTOS)) {
      Path loc = ArgusHome.dataset(DARKNET_PHOTOS);
      int n = jpegs(loc.resolve("photos")).size();
      return new DatasetInfo(
          name,
          "darknet sample photos: a few real JPEG photos (dog, eagle, giraffe, horses, ...)",
          n > 0,
          loc,
          DARKNET_PACKAGE,
          n);
    }
    throw new IllegalArgumentException("unknown data set '" + name + "'; valid: " + names());
  }

  /**
   * Provisions a data set (idempotent) and returns its entry.
   *
   * @param name a catalog name
   * @return the entry, now {@code provisioned}
   * @throws IllegalArgumentException for an unknown name
   * @throws ProvisioningException when no source works; the message says how to provide the data
   */
  public static DatasetInfo fetch(String name) throws ProvisioningException {
    DatasetInfo before = info(name);
    if (name.equals(FashionMnist.NAME)) {
      FashionMnist.provision(before.location());
    } else {
      provisionDarknetPhotos(before.location());
    }
    return info(name);
  }

  private static void provisionDarknetPhotos(Path location) throws ProvisioningException {
    List<Path> src = jpegs(DARKNET_DIR);
    String aptFailure = null;
    if (src.isEmpty()) {
      if (Fetch.aptUsable()) {
        aptFailure = Fetch.aptInstall(DARKNET_PACKAGE);
        src = jpegs(DARKNET_DIR);
      } else {
        aptFailure = "apt-get not usable (needs root and apt-get on the PATH)";
      }
    }
    if (src.isEmpty()) {
      throw new ProvisioningException(
          "darknet-photos: no *.jpg in "
              + DARKNET_DIR
              + (aptFailure == null ? "" : " (apt-get install -y darknet: " + aptFailure + ")")
              + ". Install the Debian package (apt-get install darknet) or copy any JPEG photos"
              + " into "
              + location.resolve("photos"));
    }
    Path dest = location.resolve("photos");
    for (Path p : src) {
      Path target = dest.resolve(p.getFileName().toString());
      try {
        if (Files.isRegularFile(target) && Files.size(target) == Files.size(p)) {
          continue;
        }
      } catch (IOException e) {
        // fall through and copy again
      }
      Fetch.copy(p, target);
    }
    Fetch.progress(DARKNET_PHOTOS + ": ready in " + dest);
  }

  private static List<Path> jpegs(Path dir) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jpg")) {
      for (Path p : ds) {
        if (Files.isRegularFile(p)) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      return out;
    }
    out.sort(null);
    return out;
  }
}
