package org.argus.model.provision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.argus.provision.ArchiveExtractor;
import org.argus.provision.ArgusHome;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;

/**
 * Where the pretrained models' bytes come from: the npm package {@code nsfwjs@4.4.0} (fetched with
 * {@code npm pack}, verified by sha256), whose {@code dist/models/<name>/*.min.js} browserify
 * modules wrap a TF.js layers model ({@code model.min.js} exports {@code {modelTopology,
 * weightsManifest}}, each shard module a base64 string); {@code node} decodes them into {@code
 * model.json} + binary shards. The decoded files' sha256 are recorded here.
 */
final class NsfwjsPackage {
  static final String NPM_SPEC = "nsfwjs@4.4.0";
  static final String TGZ = "nsfwjs-4.4.0.tgz";
  static final String TGZ_SHA256 = "585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382";

  /** Decoded files per model (model.json last: it is written last) → sha256. */
  private static final Map<String, Map<String, String>> FILES = new LinkedHashMap<>();

  static {
    Map<String, String> mobilenet = new LinkedHashMap<>();
    mobilenet.put("group1-shard1of1.bin", "8e7dddbb16acacc1bf1601b1b8a761e730ff934b7f2d7771312b2f000e5f5f13");
    mobilenet.put("model.json", "873f131fc420b31b48e4cccc0551ac754d42081bd8f173c2c76413270582d2fd");
    FILES.put(PretrainedModels.MOBILENET_V2, mobilenet);
    Map<String, String> inception = new LinkedHashMap<>();
    inception.put("group1-shard1of6.bin", "7a3a4c075cfcaa7f0b095f55b2ba54a288c2f770e504c8537394efda9545994b");
    inception.put("group1-shard2of6.bin", "8826da12bda0db9415aef0e6a8d1f178a0d950deab28c4e79b9da994748702a4");
    inception.put("group1-shard3of6.bin", "4557a96cf87ceb8df6c9647b647ac9843251a4455457cb40f35c02250a63e51c");
    inception.put("group1-shard4of6.bin", "399b99397ccd64351b59f04cdabe30000a15494c82f75c1e2ccb41c9b6338b7d");
    inception.put("group1-shard5of6.bin", "994515b0f73407d71740301e9877511b086609dbdc7ead1b31bcb82b3397ae74");
    inception.put("group1-shard6of6.bin", "cfb856c9d8fcefacca87b6063ed4949adf69f0372407d6edca8cec0c1694a28b");
    inception.put("model.json", "488b7f521a0497ee82388f40597054e00778ca029162892d4dadbdc125be3821");
    FILES.put(PretrainedModels.INCEPTION_V3, inception);
  }

  /**
   * Node script: argv[1] = folder with model.min.js + shard .min.js files, argv[2] = output folder.
   * model.min.js exports {modelTopology, weightsManifest}; each shard module exports the shard as
   * a base64 string. Writes model.json (paths → <shard>.bin) and the binary shards.
   */
  private static final String DECODE_JS =
      """
      const fs = require('fs'), path = require('path');
      const src = path.resolve(process.argv[1]), out = path.resolve(process.argv[2]);
      const m = require(path.join(src, 'model.min.js'));
      if (!m || typeof m.modelTopology !== 'object' || !Array.isArray(m.weightsManifest))
        throw new Error(path.join(src, 'model.min.js') + ' does not export {modelTopology, weightsManifest}');
      const manifest = m.weightsManifest.map(g => ({paths: g.paths.map(p => p + '.bin'), weights: g.weights}));
      for (const g of m.weightsManifest) for (const p of g.paths) {
        const s = require(path.join(src, p + '.min.js'));
        if (typeof s !== 'string') throw new Error(p + '.min.js does not export a base64 string');
        fs.writeFileSync(path.join(out, p + '.bin'), Buffer.from(s, 'base64'));
      }
      fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify({format: 'layers-model',
        generatedBy: 'keras v' + m.modelTopology.keras_version, convertedBy: 'argus (decoded from nsfwjs@4.4.0)',
        modelTopology: m.modelTopology, weightsManifest: manifest}));
      """;

  private NsfwjsPackage() {}

  /**
   * @return the decoded files of model {@code name} → their sha256, {@code model.json} last
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  static Map<String, String> files(String name) {
    Map<String, String> f = FILES.get(name);
    if (f == null) {
      throw new IllegalArgumentException(
          "unknown pretrained model '" + name + "'; known: " + FILES.keySet());
    }
    return f;
  }

  /**
   * Unpacks model {@code name} from the package and decodes it with {@code node}.
   *
   * @param tmp a scratch folder (the command's working directory)
   * @param src an empty folder for the unpacked {@code *.min.js}
   * @param out an empty folder that receives {@code model.json} and the shards
   * @throws ProvisioningException when an entry of the package would land outside {@code src}
   *     (zip-slip: refused before anything is written or run), the package has no such model, or
   *     node fails
   */
  static void decode(String name, Path tgz, Path tmp, Path src, Path out) throws ProvisioningException {
    unpack(tgz, "package/dist/models/" + name + "/", src);
    run(List.of("node", "-e", DECODE_JS, src.toString(), out.toString()), Map.of(), tmp, 300,
        "node not found on PATH or failed: install Node.js (20+)");
  }

  /**
   * @return {@code downloads/nsfwjs-4.4.0.tgz}, fetched with {@code npm pack} when missing or bad
   * @throws ProvisioningException when npm is missing or fails or the download does not match its
   *     sha256; the message says how to place the file by hand
   */
  static Path tgz() throws ProvisioningException {
    Path downloads = ArgusHome.root().resolve("downloads");
    Path tgz = downloads.resolve(TGZ);
    String hint = "place " + TGZ + " (sha256 " + TGZ_SHA256 + ", from `npm pack " + NPM_SPEC
        + "`) in " + downloads;
    if (Files.isRegularFile(tgz)) {
      try {
        if (Sha256.of(tgz).equals(TGZ_SHA256)) {
          return tgz;
        }
      } catch (IOException e) {
        // fetch again
      }
      System.err.println("argus: " + tgz + " does not match its recorded sha256; fetching again");
    }
    Path tmp = null;
    try {
      Files.createDirectories(downloads);
      tmp = Files.createTempDirectory(downloads, ".npm-pack-");
      System.err.println("argus: fetching " + NPM_SPEC + " with npm pack → " + downloads + " …");
      run(List.of("npm", "pack", NPM_SPEC, "--silent"), Map.of(), tmp, 600,
          "npm not found on PATH or `npm pack " + NPM_SPEC + "` failed: install Node.js/npm, or "
              + hint);
      Path got = tmp.resolve(TGZ);
      if (!Files.isRegularFile(got)) {
        throw new ProvisioningException(
            "`npm pack " + NPM_SPEC + "` did not write " + TGZ + " in " + tmp + "; " + hint);
      }
      String actual = Sha256.of(got);
      if (!actual.equals(TGZ_SHA256)) {
        throw new ProvisioningException("`npm pack " + NPM_SPEC + "` gave sha256 " + actual
            + ", expected " + TGZ_SHA256 + " (registry content changed?); " + hint);
      }
      CacheFiles.moveAtomically(got, tgz);
      return tgz;
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot fetch " + NPM_SPEC + " into " + downloads + ": " + e + "; " + hint, e);
    } finally {
      CacheFiles.deleteTree(tmp);
    }
  }

  /**
   * Extracts the regular files directly under {@code prefix} in the tgz into {@code dest}, through
   * {@link ArchiveExtractor}: an entry anywhere in the archive that would land outside {@code dest}
   * (zip-slip) refuses the whole package.
   *
   * @throws ProvisioningException when an entry escapes, the archive cannot be read, or it has no
   *     files under {@code prefix}
   */
  static void unpack(Path tgz, String prefix, Path dest) throws ProvisioningException {
    int n = ArchiveExtractor.extract(tgz, dest, name -> {
      String rest = name.startsWith(prefix) ? name.substring(prefix.length()) : null;
      return rest == null || rest.isEmpty() || rest.contains("/") || rest.contains("\\") || rest.startsWith(".")
          ? null : rest;
    });
    if (n == 0) {
      throw new ProvisioningException(
          tgz + " has no files under " + prefix + " (not " + NPM_SPEC + "?)");
    }
  }

  /**
   * Runs a command, failing with its output tail and {@code hint} on a start failure, a timeout or
   * a non-zero exit.
   *
   * @param env extra environment variables
   * @return the command's stdout and stderr, interleaved
   */
  static String run(List<String> cmd, Map<String, String> env, Path cwd, long timeoutS, String hint)
      throws ProvisioningException {
    String shown = cmd.get(0) + " " + (cmd.get(1).equals("-e") ? "-e <decode script>"
        : String.join(" ", cmd.subList(1, cmd.size())));
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
      pb.environment().putAll(env);
      p = pb.start();
    } catch (IOException e) {
      throw new ProvisioningException(
          "cannot start `" + shown + "`: " + e.getMessage() + "; " + hint, e);
    }
    try (InputStream in = p.getInputStream()) {
      p.getOutputStream().close();
      byte[] out = in.readAllBytes();
      if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new ProvisioningException(
            "`" + shown + "` did not finish in " + timeoutS + " s; " + hint);
      }
      String s = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new ProvisioningException("`" + shown + "` in " + cwd + " exited with "
            + p.exitValue() + ": " + s.substring(Math.max(0, s.length() - 2000)).strip() + "\n"
            + hint);
      }
      return s;
    } catch (IOException e) {
      throw new ProvisioningException("`" + shown + "` failed: " + e + "; " + hint, e);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new ProvisioningException("interrupted while running `" + shown + "`", e);
    }
  }
}
