package org.argus.surfaces.report.html;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.argus.provision.ArchiveExtractor;
import org.argus.provision.ArgusHome;
import org.argus.provision.NpmPack;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;

/**
 * Apache ECharts (Apache-2.0), the chart library inlined into every {@code report.html}:
 * provisioned like the models, from the npm package {@code echarts@6.1.0} (tarball and {@code
 * dist/echarts.min.js} sha256-checked), cached under {@code ArgusHome.root()/web/echarts-6.1.0/}
 * and read once per JVM.
 *
 * @param version the ECharts version
 * @param script the content of {@code echarts.min.js} (it starts with the Apache license header)
 * @param notice the package's {@code NOTICE} text
 */
public record ECharts(String version, String script, String notice) {
  /** The pinned version. */
  public static final String VERSION = "6.1.0";
  static final String NPM_SPEC = "echarts@" + VERSION;
  static final String TGZ = "echarts-" + VERSION + ".tgz";
  static final String TGZ_SHA256 = "681aff88cc1038c3fa941a3a53d1b177a52250b05335efc607d6105ae13be481";
  static final String JS_SHA256 = "b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0";

  private static ECharts loaded;
  private static ProvisioningException failed;

  /**
   * @return the library, provisioned on first use (npm pack, sha256 checks, extraction)
   * @throws ProvisioningException when npm is missing or fails, a file does not match its sha256,
   *     or the cache cannot be written; the message says how to place the tarball by hand. A
   *     failure is remembered for the life of the JVM (a live page must not run npm on every rewrite).
   */
  public static synchronized ECharts get() throws ProvisioningException {
    if (failed != null) {
      throw failed;
    }
    if (loaded == null) {
      try {
        loaded = provision();
      } catch (ProvisioningException e) {
        failed = e;
        throw e;
      }
    }
    return loaded;
  }

  private static ECharts provision() throws ProvisioningException {
    Path dir = ArgusHome.root().resolve("web").resolve("echarts-" + VERSION);
    Path js = dir.resolve("echarts.min.js");
    Path notice = dir.resolve("NOTICE");
    try {
      if (!Files.isRegularFile(js) || !Files.isRegularFile(notice) || !Sha256.of(js).equals(JS_SHA256)) {
        Path tgz = NpmPack.fetch(NPM_SPEC, TGZ, TGZ_SHA256);
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), ".echarts-");
        int n = ArchiveExtractor.extract(tgz, tmp, name -> switch (name) {
          case "package/dist/echarts.min.js" -> "echarts.min.js";
          case "package/NOTICE" -> "NOTICE";
          default -> null;
        });
        if (n != 2) {
          throw new ProvisioningException(tgz + " lacks package/dist/echarts.min.js or package/NOTICE (not "
              + NPM_SPEC + "?)");
        }
        Sha256.verify(tmp.resolve("echarts.min.js"), JS_SHA256);
        Files.createDirectories(dir);
        Files.move(tmp.resolve("NOTICE"), notice, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp.resolve("echarts.min.js"), js, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(tmp);
      }
      return new ECharts(VERSION, Files.readString(js, StandardCharsets.UTF_8),
          Files.readString(notice, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ProvisioningException("cannot provision " + NPM_SPEC + " into " + dir + ": " + e.getMessage(), e);
    }
  }
}
