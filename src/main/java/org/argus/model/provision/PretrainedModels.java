package org.argus.model.provision;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.KerasOnnxImporter;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.provision.ArgusHome;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;

/**
 * Real pretrained CNNs from the npm package {@code nsfwjs@4.4.0} (MIT): Keras 2.2.4 <b>MobileNetV2
 * (224²)</b> and <b>InceptionV3 (299²)</b>, ImageNet lower blocks fine-tuned to 5 classes, shipped as
 * TF.js layers models with uint8-quantized weights wrapped in browserify JS.
 *
 * <p>Provisioning, idempotent and cached under {@link ArgusHome#model(String)}:
 *
 * <ol>
 *   <li>{@code npm pack nsfwjs@4.4.0} into {@code ArgusHome.root()/downloads/} (skipped when {@code
 *       nsfwjs-4.4.0.tgz} is there with the recorded sha256);
 *   <li>the package's {@code dist/models/<name>/*.min.js} are unpacked and decoded with {@code node}
 *       into a standard TF.js layers model: {@code model.json} + binary shards {@code
 *       group1-shard*.bin}, each checked against a recorded sha256 (also on every later use);
 *   <li>{@link #onnxFile} imports it with {@link KerasOnnxImporter} to {@code model.onnx} (input
 *       {@code [N, H, W, 3] float32 NHWC}, RGB in [0, 1] as nsfwjs feeds them: {@code x/255}, resized
 *       bilinearly with aligned corners to the native size), its sha256 recorded in {@code model.onnx.sha256} with the importer version.
 * </ol>
 *
 * <p>All files are written to a temporary name and renamed into place. Requires Node.js and npm on
 * the {@code PATH} the first time (npm also only if the tgz is not already in {@code downloads/}).
 * Progress lines go to stderr. Thread-safe within a JVM; concurrent JVMs at worst do the work twice.
 */
public final class PretrainedModels {
  /** Keras MobileNetV2 (alpha 1.0), native input 224×224, 5-class head. */
  public static final String MOBILENET_V2 = "mobilenet_v2";

  /** Keras InceptionV3, native input 299×299, 5-class head. */
  public static final String INCEPTION_V3 = "inception_v3";

  static final String NPM_SPEC = "nsfwjs@4.4.0";
  static final String TGZ = "nsfwjs-4.4.0.tgz";
  static final String TGZ_SHA256 = "585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382";
  static final String ONNX = "model.onnx";

  /** ONNX metadata key describing the input preprocessing the model expects. */
  public static final String PREPROCESSING_KEY = "argus.preprocessing";

  /** The preprocessing nsfwjs applies: value of {@link #PREPROCESSING_KEY}. */
  public static final String PREPROCESSING =
      "[N, H, W, 3] float32 NHWC, RGB, x/255 in [0, 1], bilinear resize (align_corners) to the native size";
  static final String ONNX_SIDECAR = "model.onnx.sha256";

  /** Decoded files per model (model.json last: it is written last) → sha256. */
  private static final Map<String, Map<String, String>> FILES = new LinkedHashMap<>();

  static {
    Map<String, String> mobilenet = new LinkedHashMap<>();
    mobilenet.put("group1-shard1of1.bin", "8e7dddbb16acacc1bf1601b1b8a761e730ff934b7f2d7771312b2f000e5f5f13");
    mobilenet.put("model.json", "873f131fc420b31b48e4cccc0551ac754d42081bd8f173c2c76413270582d2fd");
    FILES.put(MOBILENET_V2, mobilenet);
    Map<String, String> inception = new LinkedHashMap<>();
    inception.put("group1-shard1of6.bin", "7a3a4c075cfcaa7f0b095f55b2ba54a288c2f770e504c8537394efda9545994b");
    inception.put("group1-shard2of6.bin", "8826da12bda0db9415aef0e6a8d1f178a0d950deab28c4e79b9da994748702a4");
    inception.put("group1-shard3of6.bin", "4557a96cf87ceb8df6c9647b647ac9843251a4455457cb40f35c02250a63e51c");
    inception.put("group1-shard4of6.bin", "399b99397ccd64351b59f04cdabe30000a15494c82f75c1e2ccb41c9b6338b7d");
    inception.put("group1-shard5of6.bin", "994515b0f73407d71740301e9877511b086609dbdc7ead1b31bcb82b3397ae74");
    inception.put("group1-shard6of6.bin", "cfb856c9d8fcefacca87b6063ed4949adf69f0372407d6edca8cec0c1694a28b");
    inception.put("model.json", "488b7f521a0497ee82388f40597054e00778ca029162892d4dadbdc125be3821");
    FILES.put(INCEPTION_V3, inception);
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

  private static final Object LOCK = new Object();

  private PretrainedModels() {}

  /** @return the provisionable model names: {@code mobilenet_v2}, {@code inception_v3} */
  public static List<String> names() {
    return List.copyOf(FILES.keySet());
  }

  /**
   * Provisions (or verifies) the decoded TF.js layers model.
   *
   * @param name {@link #MOBILENET_V2} or {@link #INCEPTION_V3}
   * @return {@code ArgusHome.model(name)}, holding {@code model.json} and its binary shards, all
   *     verified against their recorded sha256
   * @throws IllegalArgumentException for an unknown name
   * @throws ProvisioningException when npm/node are missing or fail, the download or a decoded file
   *     does not match its recorded sha256, or the cache cannot be written; the message says what
   *     was tried and how to provide the files by hand
   */
  public static Path tfjsDir(String name) throws ProvisioningException {
    Map<String, String> files = files(name);
    Path dir = ArgusHome.model(name);
    synchronized (LOCK) {
      if (allValid(dir, files)) {
        return dir;
      }
      Path tgz = packageTgz();
      Path tmp = null;
      try {
        Files.createDirectories(dir);
        tmp = Files.createTempDirectory(dir.getParent(), "." + name + "-decode-");
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        unpack(tgz, "package/dist/models/" + name + "/", src);
        System.err.println("argus: decoding " + name + " (TF.js layers, from " + TGZ + ") → " + dir + " …");
        run(List.of("node", "-e", DECODE_JS, src.toString(), out.toString()), tmp, 300,
            "node not found on PATH or failed: install Node.js (20+)");
        for (Map.Entry<String, String> f : files.entrySet()) {
          Path decoded = out.resolve(f.getKey());
          String actual = Sha256.of(decoded);
          if (!actual.equals(f.getValue())) {
            throw new ProvisioningException("decoded " + name + "/" + f.getKey() + " has sha256 " + actual
                + ", expected " + f.getValue() + " (is " + tgz + " really " + NPM_SPEC + "? delete it to fetch again)");
          }
        }
        for (String f : files.keySet()) {
          moveAtomically(out.resolve(f), dir.resolve(f));
        }
      } catch (IOException e) {
        throw new ProvisioningException("cannot decode " + name + " from " + tgz + " into " + dir + ": " + e, e);
      } finally {
        deleteTree(tmp);
      }
      if (!allValid(dir, files)) {
        throw new ProvisioningException("decoded " + name + " into " + dir + " but its files do not verify");
      }
      return dir;
    }
  }

  /**
   * Provisions (or verifies) the ONNX import of a model.
   *
   * @param name {@link #MOBILENET_V2} or {@link #INCEPTION_V3}
   * @return {@code ArgusHome.model(name)/model.onnx}: input {@code input_1} {@code [N, H, W, 3]
   *     float32 NHWC} (H, W symbolic, native size in metadata {@value
   *     KerasOnnxImporter#NATIVE_INPUT_HW}), output {@code dense_3} {@code [N, 5]} softmax; every
   *     Keras layer available as a tensor of the same name (NCHW inside)
   * @throws IllegalArgumentException for an unknown name
   * @throws ProvisioningException as {@link #tfjsDir}, or when the import or the write fails
   */
  public static Path onnxFile(String name) throws ProvisioningException {
    Path dir = tfjsDir(name);
    Path onnx = dir.resolve(ONNX);
    Path sidecar = dir.resolve(ONNX_SIDECAR);
    synchronized (LOCK) {
      String recorded = readSidecar(sidecar);
      if (recorded != null && Files.isRegularFile(onnx)) {
        try {
          if (Sha256.of(onnx).equals(recorded)) {
            return onnx;
          }
        } catch (IOException e) {
          // fall through: re-import
        }
        System.err.println("argus: " + onnx + " does not match " + sidecar + "; importing again");
      }
      System.err.println("argus: importing " + name + " → ONNX …");
      byte[] bytes;
      try {
        OnnxMl.ModelProto model = KerasOnnxImporter.toOnnx(TfjsLayersModel.load(dir.resolve("model.json")));
        bytes = model.toBuilder()
            .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(PREPROCESSING_KEY).setValue(PREPROCESSING))
            .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey("argus.source").setValue(
                "npm " + NPM_SPEC + " (MIT) dist/models/" + name + ", model.json sha256 " + files(name).get("model.json")))
            .build()
            .toByteArray();
      } catch (ModelFormatException e) {
        throw new ProvisioningException("cannot import " + name + " (" + dir.resolve("model.json")
            + ") to ONNX: " + e.getMessage(), e);
      }
      String sha = Sha256.of(bytes);
      try {
        writeAtomically(onnx, bytes);
        writeAtomically(sidecar, (sha + "  " + ONNX + "\nimporter " + KerasOnnxImporter.IMPORTER_VERSION + "\n")
            .getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new ProvisioningException("cannot write " + onnx + ": " + e, e);
      }
      return onnx;
    }
  }

  /** @return the recorded sha256, or null when the sidecar is missing or from another importer version */
  static String readSidecar(Path sidecar) {
    try {
      List<String> lines = Files.readAllLines(sidecar, StandardCharsets.UTF_8);
      if (lines.size() >= 2 && lines.get(1).equals("importer " + KerasOnnxImporter.IMPORTER_VERSION)) {
        return lines.get(0).split("\\s+")[0];
      }
    } catch (IOException e) {
      // missing or unreadable: treat as absent
    }
    return null;
  }

  private static Map<String, String> files(String name) {
    Map<String, String> f = FILES.get(name);
    if (f == null) {
      throw new IllegalArgumentException("unknown pretrained model '" + name + "'; known: " + FILES.keySet());
    }
    return f;
  }

  private static boolean allValid(Path dir, Map<String, String> files) {
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = dir.resolve(f.getKey());
      try {
        if (!Files.isRegularFile(p) || !Sha256.of(p).equals(f.getValue())) {
          return false;
        }
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  /** @return {@code downloads/nsfwjs-4.4.0.tgz}, fetched with {@code npm pack} when missing or bad */
  static Path packageTgz() throws ProvisioningException {
    Path downloads = ArgusHome.root().resolve("downloads");
    Path tgz = downloads.resolve(TGZ);
    String hint = "place " + TGZ + " (sha256 " + TGZ_SHA256 + ", from `npm pack " + NPM_SPEC + "`) in " + downloads;
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
      run(List.of("npm", "pack", NPM_SPEC, "--silent"), tmp, 600,
          "npm not found on PATH or `npm pack " + NPM_SPEC + "` failed: install Node.js/npm, or " + hint);
      Path got = tmp.resolve(TGZ);
      if (!Files.isRegularFile(got)) {
        throw new ProvisioningException("`npm pack " + NPM_SPEC + "` did not write " + TGZ + " in " + tmp + "; " + hint);
      }
      String actual = Sha256.of(got);
      if (!actual.equals(TGZ_SHA256)) {
        throw new ProvisioningException("`npm pack " + NPM_SPEC + "` gave sha256 " + actual + ", expected "
            + TGZ_SHA256 + " (registry content changed?); " + hint);
      }
      moveAtomically(got, tgz);
      return tgz;
    } catch (IOException e) {
      throw new ProvisioningException("cannot fetch " + NPM_SPEC + " into " + downloads + ": " + e + "; " + hint, e);
    } finally {
      deleteTree(tmp);
    }
  }

  /** Extracts the regular files directly under {@code prefix} in the tgz into {@code dest}. */
  private static void unpack(Path tgz, String prefix, Path dest) throws IOException, ProvisioningException {
    int n = 0;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tgz)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String rest = e.getName().startsWith(prefix) ? e.getName().substring(prefix.length()) : null;
        if (rest == null || !e.isFile() || rest.isEmpty() || rest.contains("/") || rest.contains("\\")
            || rest.startsWith(".")) {
          continue;
        }
        Files.copy(tar, dest.resolve(rest), StandardCopyOption.REPLACE_EXISTING);
        n++;
      }
    }
    if (n == 0) {
      throw new ProvisioningException(tgz + " has no files under " + prefix + " (not " + NPM_SPEC + "?)");
    }
  }

  /** Runs a command, failing with its output tail and {@code hint} on a start failure or non-zero exit. */
  private static void run(List<String> cmd, Path cwd, long timeoutS, String hint) throws ProvisioningException {
    String shown = cmd.get(0) + " " + (cmd.get(1).equals("-e") ? "-e <decode script>" : String.join(" ", cmd.subList(1, cmd.size())));
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
        throw new ProvisioningException("`" + shown + "` in " + cwd + " exited with " + p.exitValue() + ": "
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

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + "-", ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: keep the default
      }
      moveAtomically(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort cleanup of our own temp folder
    }
  }
}
