package org.argus.model.provision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.argus.provision.ArgusHome;
import org.argus.provision.ProvisioningException;

/**
 * The roster models' own client, run as the oracle for Argus's predictor: npm {@code nsfwjs@4.4.0}
 * (the same sha256-checked package the models are imported from) with {@code @tensorflow/tfjs}'s
 * pure-JS CPU backend, calling {@code NSFWJS.classify} in Node.
 *
 * <p>nsfwjs's {@code infer} turns an {@code [H, W, 3]} RGB tensor into the head's input by {@code
 * x/255}, then — only when {@code H×W} is not the model's size (224² MobileNetV2, 299² InceptionV3)
 * — {@code tf.image.resizeBilinear(alignCorners=true)}. Feeding images already at the model size
 * therefore isolates the preprocessing scaling and the network.
 *
 * <p>Provisioning ({@link #install}): {@code npm install --ignore-scripts} of the nsfwjs tgz plus
 * {@link #TFJS} (the newest 4.x, inside nsfwjs's peer range {@code ^4.0.0} and its own tested
 * {@code ^4.22.0}), {@link #BUFFER} (its other peer dependency) and {@link #JPEG_JS} (the JPEG decoder
 * nsfwjs's own tests use) into {@code ArgusHome.root()/node/nsfwjs-client}, installed in a temporary
 * folder and renamed into place. Needs Node.js and npm on the {@code PATH} the first time (≈ 340 MB).
 */
public final class NsfwjsClient {
  /** The TF.js package version the client runs on. */
  public static final String TFJS = "@tensorflow/tfjs@4.22.0";

  /** nsfwjs's second peer dependency. */
  public static final String BUFFER = "buffer@6.0.3";

  /** The JPEG decoder for {@link Kind#JPEG} images (nsfwjs's own test decoder). */
  public static final String JPEG_JS = "jpeg-js@0.4.4";

  private static final String SCRIPT = "nsfwjs-classify.cjs";
  private static final Object LOCK = new Object();

  private NsfwjsClient() {}

  /** How an {@link Image} file is stored. */
  public enum Kind {
    /** Raw {@code [H, W, 3]} uint8 RGB bytes, row-major. */
    RGB,
    /** A JPEG file, decoded in Node by {@link #JPEG_JS}. */
    JPEG
  }

  /**
   * One image for {@link #classify}.
   *
   * @param id a name without whitespace, echoed back as the result's key
   * @param kind how the file is stored
   * @param path the file
   * @param height pixels (for {@link Kind#RGB}; ignored for JPEG)
   * @param width pixels (for {@link Kind#RGB}; ignored for JPEG)
   */
  public record Image(String id, Kind kind, Path path, int height, int width) {
    /**
     * @throws IllegalArgumentException for an id that is empty or holds whitespace, or raw RGB
     *     without a positive size
     * @throws NullPointerException for a null id, kind or path
     */
    public Image {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(path, "path");
      if (id.isEmpty() || !id.equals(id.replaceAll("\\s", ""))) {
        throw new IllegalArgumentException("image id must be non-empty without whitespace, found '" + id + "'");
      }
      if (kind == Kind.RGB && (height < 1 || width < 1)) {
        throw new IllegalArgumentException(
            "raw RGB image " + id + " needs a size of at least 1x1, found " + height + "x" + width);
      }
    }
  }

  /**
   * @param rosterName {@link PretrainedModels#MOBILENET_V2} or {@link PretrainedModels#INCEPTION_V3}
   * @return nsfwjs's name of that model ({@code MobileNetV2}, {@code InceptionV3})
   * @throws IllegalArgumentException for another name, listing the valid ones
   */
  public static String nsfwjsName(String rosterName) {
    return switch (rosterName) {
      case PretrainedModels.MOBILENET_V2 -> "MobileNetV2";
      case PretrainedModels.INCEPTION_V3 -> "InceptionV3";
      default -> throw new IllegalArgumentException("no nsfwjs model for '" + rosterName + "'; valid: "
          + PretrainedModels.MOBILENET_V2 + ", " + PretrainedModels.INCEPTION_V3);
    };
  }

  /**
   * Installs (once) nsfwjs with its TF.js runtime.
   *
   * @return the folder holding {@code node_modules/} with nsfwjs, {@code @tensorflow/tfjs}, buffer
   *     and jpeg-js at the pinned versions
   * @throws ProvisioningException when npm is missing or fails, or the cache cannot be written
   */
  public static Path install() throws ProvisioningException {
    Path dir = ArgusHome.root().resolve("node").resolve("nsfwjs-client");
    synchronized (LOCK) {
      if (installed(dir)) {
        return dir;
      }
      Path tgz = NsfwjsPackage.tgz();
      Path tmp = null;
      try {
        Files.createDirectories(dir.getParent());
        tmp = Files.createTempDirectory(dir.getParent(), ".nsfwjs-client-");
        System.err.println("argus: installing " + NsfwjsPackage.NPM_SPEC + " + " + TFJS + " into " + dir + " …");
        NsfwjsPackage.run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts",
            "--prefix", tmp.toString(), tgz.toString(), TFJS, BUFFER, JPEG_JS), Map.of(), tmp, 900,
            "install Node.js/npm, or run the same `npm install` into " + dir + " by hand");
        if (!installed(tmp)) {
          throw new ProvisioningException("npm install into " + tmp + " did not leave nsfwjs 4.4.0 and "
              + TFJS + " in node_modules");
        }
        CacheFiles.deleteTree(dir);
        Files.move(tmp, dir);
        tmp = null;
        return dir;
      } catch (IOException e) {
        throw new ProvisioningException("cannot install the nsfwjs client into " + dir + ": " + e, e);
      } finally {
        CacheFiles.deleteTree(tmp);
      }
    }
  }

  /** @return whether {@code dir/node_modules} holds the pinned nsfwjs and TF.js */
  private static boolean installed(Path dir) {
    return hasVersion(dir, "nsfwjs", "4.4.0")
        && hasVersion(dir, "@tensorflow/tfjs", TFJS.substring(TFJS.lastIndexOf('@') + 1))
        && Files.isDirectory(dir.resolve("node_modules/jpeg-js"))
        && Files.isDirectory(dir.resolve("node_modules/buffer"));
  }

  private static boolean hasVersion(Path dir, String pkg, String version) {
    Path json = dir.resolve("node_modules").resolve(pkg).resolve("package.json");
    try {
      return Files.isRegularFile(json)
          && Files.readString(json).contains("\"version\": \"" + version + "\"");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs nsfwjs's {@code classify(image, 5)} on each image.
   *
   * @param rosterName {@link PretrainedModels#MOBILENET_V2} or {@link PretrainedModels#INCEPTION_V3}
   * @param images the images (distinct ids)
   * @return id → the 5 probabilities in class order Drawing, Hentai, Neutral, Porn, Sexy (nsfwjs's
   *     {@code NSFW_CLASSES}), in the order of {@code images}
   * @throws IllegalArgumentException for an unknown model
   * @throws ProvisioningException when the client cannot be installed, Node fails, or its output
   *     lacks an image
   */
  public static Map<String, float[]> classify(String rosterName, List<Image> images)
      throws ProvisioningException {
    String model = nsfwjsName(rosterName);
    Path dir = install();
    Path work = null;
    try {
      work = Files.createTempDirectory("argus-nsfwjs-");
      Path script = work.resolve(SCRIPT);
      try (InputStream in = NsfwjsClient.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          throw new ProvisioningException("resource " + SCRIPT + " is missing from the Argus jar");
        }
        Files.copy(in, script);
      }
      List<String> lines = new ArrayList<>();
      for (Image i : images) {
        lines.add(i.kind() == Kind.RGB
            ? i.id() + " rgb " + i.path().toAbsolutePath() + " " + i.height() + " " + i.width()
            : i.id() + " jpeg " + i.path().toAbsolutePath());
      }
      Path manifest = work.resolve("manifest.txt");
      Files.write(manifest, lines, StandardCharsets.UTF_8);
      String out = NsfwjsPackage.run(List.of("node", script.toString(), model, manifest.toString()),
          Map.of("NODE_PATH", dir.resolve("node_modules").toString()), work, 3600,
          "node failed running nsfwjs's classify");
      return parse(out, images, model);
    } catch (IOException e) {
      throw new ProvisioningException("cannot run nsfwjs's classify: " + e, e);
    } finally {
      CacheFiles.deleteTree(work);
    }
  }

  /** Reads the script's {@code P ID p0 … p4} lines. */
  private static Map<String, float[]> parse(String out, List<Image> images, String model)
      throws ProvisioningException {
    Map<String, float[]> got = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length == 7 && f[0].equals("P")) {
        float[] p = new float[5];
        for (int k = 0; k < 5; k++) {
          p[k] = Float.parseFloat(f[k + 2]);
        }
        got.put(f[1], p);
      }
    }
    Map<String, float[]> ordered = new LinkedHashMap<>();
    for (Image i : images) {
      float[] p = got.get(i.id());
      if (p == null) {
        throw new ProvisioningException("nsfwjs " + model + " printed no probabilities for image " + i.id()
            + "; output: " + out.substring(Math.max(0, out.length() - 2000)));
      }
      ordered.put(i.id(), p);
    }
    return ordered;
  }
}
