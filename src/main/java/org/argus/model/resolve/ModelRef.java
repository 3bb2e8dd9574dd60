package org.argus.model.resolve;

import java.util.Objects;
import org.argus.model.roster.PreprocessingSpec;

/**
 * What a user names as "the model": a roster name (e.g. {@code mobilenet_v2}) or the path of an
 * ONNX file, plus an optional preprocessing spec (required for a file, overriding the roster's own
 * for a roster model) and an optional square input size. Resolve it with {@link
 * ResolvedModel#resolve}.
 *
 * @param name roster name, or null when {@code path} is set
 * @param path ONNX file path (local or any Hadoop-FS URI the reader understands), or null
 * @param preprocessing preprocessing spec, or null for the roster model's own
 * @param inputSize square input side in pixels overriding the spec's size, 0 to keep it
 */
public record ModelRef(String name, String path, PreprocessingSpec preprocessing, int inputSize) {

  /**
   * @throws IllegalArgumentException when neither or both of name and path are given, or the
   *     input size is negative
   */
  public ModelRef {
    boolean byName = name != null && !name.isEmpty();
    boolean byPath = path != null && !path.isEmpty();
    if (byName == byPath) {
      throw new IllegalArgumentException("give exactly one of a roster model name and an ONNX file path, found name='"
          + name + "', path='" + path + "'");
    }
    if (inputSize < 0) {
      throw new IllegalArgumentException("input size must be ≥ 1 pixel (or 0 for the model's own), found " + inputSize);
    }
    name = byName ? name : null;
    path = byPath ? path : null;
  }

  /**
   * @param name roster name
   * @return a reference to the roster model with its own preprocessing and size
   */
  public static ModelRef roster(String name) {
    return new ModelRef(Objects.requireNonNull(name, "name"), null, null, 0);
  }

  /**
   * @param path ONNX file path
   * @param preprocessing how pixels become the file's input tensor
   * @return a reference to the file
   */
  public static ModelRef file(String path, PreprocessingSpec preprocessing) {
    return new ModelRef(null, Objects.requireNonNull(path, "path"), preprocessing, 0);
  }

  /**
   * Reads a user's "model" text: an existing path or one ending in {@code .onnx} is a file,
   * anything else a roster name.
   *
   * @param text roster name or ONNX path
   * @param preprocessing spec (required for a file), or null
   * @param inputSize square input size, 0 for the model's own
   * @return the reference
   */
  public static ModelRef parse(String text, PreprocessingSpec preprocessing, int inputSize) {
    Objects.requireNonNull(text, "model");
    boolean file = text.endsWith(".onnx") || java.nio.file.Files.exists(java.nio.file.Path.of(text));
    return file ? new ModelRef(null, text, preprocessing, inputSize) : new ModelRef(text, null, preprocessing, inputSize);
  }

  /** @return true for an ONNX file, false for a roster model */
  public boolean isFile() {
    return path != null;
  }

  /** @return the roster name or the path, for messages */
  public String display() {
    return isFile() ? path : name;
  }

  /**
   * @param size square input side in pixels (0 = the model's own)
   * @return this reference at another input size
   */
  public ModelRef withInputSize(int size) {
    return new ModelRef(name, path, preprocessing, size);
  }
}
