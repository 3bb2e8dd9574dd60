package org.argus.model.provision;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
 *       bilinearly with aligned corners to the native size), its sha256 recorded in {@code
 *       model.onnx.sha256} with the importer version.
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

  static final String ONNX = "model.onnx";
  static final String ONNX_SIDECAR = "model.onnx.sha256";

  /** ONNX metadata key describing the input preprocessing the model expects. */
  static final String PREPROCESSING_KEY = "argus.preprocessing";

  /** The preprocessing nsfwjs applies: value of {@link #PREPROCESSING_KEY}. */
  static final String PREPROCESSING = "[N, H, W, 3] float32 NHWC, RGB, x/255 in [0, 1],"
      + " bilinear resize (align_corners) to the native size";

  private static final Object LOCK = new Object();

  private PretrainedModels() {}

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
    Map<String, String> files = NsfwjsPackage.files(name);
    Path dir = ArgusHome.model(name);
    synchronized (LOCK) {
      if (CacheFiles.allValid(dir, files)) {
        return dir;
      }
      Path tgz = NsfwjsPackage.tgz();
      Path tmp = null;
      try {
        Files.createDirectories(dir);
        tmp = Files.createTempDirectory(dir.getParent(), "." + name + "-decode-");
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        System.err.println("argus: decoding " + name + " (TF.js layers, from "
            + NsfwjsPackage.TGZ + ") → " + dir + " …");
        NsfwjsPackage.decode(name, tgz, tmp, src, out);
        for (Map.Entry<String, String> f : files.entrySet()) {
          String actual = Sha256.of(out.resolve(f.getKey()));
          if (!actual.equals(f.getValue())) {
            throw new ProvisioningException("decoded " + name + "/" + f.getKey() + " has sha256 "
                + actual + ", expected " + f.getValue() + " (is " + tgz + " really "
                + NsfwjsPackage.NPM_SPEC + "? delete it to fetch again)");
          }
        }
        for (String f : files.keySet()) {
          CacheFiles.moveAtomically(out.resolve(f), dir.resolve(f));
        }
      } catch (IOException e) {
        throw new ProvisioningException(
            "cannot decode " + name + " from " + tgz + " into " + dir + ": " + e, e);
      } finally {
        CacheFiles.deleteTree(tmp);
      }
      if (!CacheFiles.allValid(dir, files)) {
        throw new ProvisioningException(
            "decoded " + name + " into " + dir + " but its files do not verify");
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
      byte[] bytes = importBytes(name, dir);
      String sha = Sha256.of(bytes);
      try {
        CacheFiles.writeAtomically(onnx, bytes);
        CacheFiles.writeAtomically(sidecar, (sha + "  " + ONNX + "\nimporter "
            + KerasOnnxImporter.IMPORTER_VERSION + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new ProvisioningException("cannot write " + onnx + ": " + e, e);
      }
      return onnx;
    }
  }

  /**
   * Imports the decoded model in {@code dir}: the whole Keras model, plus metadata {@value
   * #PREPROCESSING_KEY} and {@code argus.source} (package, model folder, model.json sha256).
   *
   * @return the bytes {@link #onnxFile} writes (deterministic: the roster's cache is keyed by their
   *     sha256)
   * @throws ProvisioningException when the import fails
   */
  static byte[] importBytes(String name, Path dir) throws ProvisioningException {
    try {
      OnnxMl.ModelProto model =
          KerasOnnxImporter.toOnnx(TfjsLayersModel.load(dir.resolve("model.json")));
      return model.toBuilder()
          .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder()
              .setKey(PREPROCESSING_KEY).setValue(PREPROCESSING))
          .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder()
              .setKey("argus.source").setValue("npm " + NsfwjsPackage.NPM_SPEC
                  + " (MIT) dist/models/" + name + ", model.json sha256 "
                  + NsfwjsPackage.files(name).get("model.json")))
          .build()
          .toByteArray();
    } catch (ModelFormatException e) {
      throw new ProvisioningException("cannot import " + name + " (" + dir.resolve("model.json")
          + ") to ONNX: " + e.getMessage(), e);
    }
  }

  /** @return the recorded sha256, or null when the sidecar is missing or from another importer version */
  static String readSidecar(Path sidecar) {
    try {
      List<String> lines = Files.readAllLines(sidecar, StandardCharsets.UTF_8);
      if (lines.size() >= 2
          && lines.get(1).equals("importer " + KerasOnnxImporter.IMPORTER_VERSION)) {
        return lines.get(0).split("\\s+")[0];
      }
    } catch (IOException e) {
      // missing or unreadable: treat as absent
    }
    return null;
  }
}
