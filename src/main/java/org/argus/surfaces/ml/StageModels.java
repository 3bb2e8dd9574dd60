package org.argus.surfaces.ml;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.provision.ProvisioningException;

/**
 * Driver-side model resolution for the Spark ML stages: loads a roster model (provisioned and
 * sha256-checked by {@link PretrainedModels}) or a user ONNX file read through the Hadoop
 * FileSystem API, cuts it at the requested layers once, and broadcasts each cut once per
 * SparkContext. Every cache here lives in the driver JVM only; executors receive the cut bytes
 * through a broadcast and build their ONNX Runtime session through {@code SessionCache}.
 */
final class StageModels {
  private static final Map<String, OnnxModel> MODELS = new ConcurrentHashMap<>();
  private static final Map<String, Cut> CUTS = new ConcurrentHashMap<>();
  private static final Map<SparkContext, Map<String, Broadcast<byte[]>>> BROADCASTS =
      new WeakHashMap<>();

  private StageModels() {}

  /**
   * A model ready to cut.
   *
   * @param name the roster name, or the ONNX file path
   * @param model the full graph
   * @param inputTensor the pixel input tensor, {@code [N,H,W,3]} or {@code [N,3,H,W]} float32
   * @param spec the preprocessing applied to each image before the input tensor
   * @param outputTensor the classifier output tensor (probabilities), or null when unknown
   * @param labels the class labels of {@code outputTensor} (empty when unknown)
   */
  record Resolved(
      String name,
      OnnxModel model,
      String inputTensor,
      PreprocessingSpec spec,
      String outputTensor,
      List<String> labels) {}

  /**
   * A graph cut from the pixel input to some outputs.
   *
   * @param bytes serialized ONNX graph
   * @param sha256 of {@code bytes}
   * @param outputs the cut's outputs, in the order asked
   */
  record Cut(byte[] bytes, String sha256, List<String> outputs) {}

  /**
   * Resolves a stage's model params.
   *
   * @param modelName roster name, or null/empty when {@code modelPath} is used
   * @param modelPath Hadoop-FS path of an ONNX file, or null/empty
   * @param preprocessing preprocessing spec text ({@code SIZE:ORDER:SCALING:LAYOUT}), required
   *     with {@code modelPath}, optional (overrides the roster's) with {@code modelName}
   * @param imageSize input side in pixels overriding the spec's size, 0 to keep it
   * @return the resolved model
   * @throws IllegalArgumentException for an unknown roster name, neither or both of name and path,
   *     a path without a preprocessing spec, or an unreadable/invalid ONNX file
   */
  static Resolved resolve(String modelName, String modelPath, String preprocessing, int imageSize) {
    boolean byName = modelName != null && !modelName.isEmpty();
    boolean byPath = modelPath != null && !modelPath.isEmpty();
    if (byName == byPath) {
      throw new IllegalArgumentException(
          "set exactly one of modelName (roster: " + String.join(", ", Roster.names())
              + ") and modelPath (an ONNX file), found modelName='" + modelName
              + "', modelPath='" + modelPath + "'");
    }
    boolean hasSpec = preprocessing != null && !preprocessing.isEmpty();
    Resolved r;
    if (byName) {
      RosterModel m = Roster.get(modelName);
      OnnxModel model = MODELS.computeIfAbsent("roster:" + modelName, k -> loadRoster(modelName));
      PreprocessingSpec spec = hasSpec ? PreprocessingSpec.parse(preprocessing) : m.preprocessing();
      if (imageSize > 0 && imageSize < m.minInputSize()) {
        throw new IllegalArgumentException(
            "imageSize " + imageSize + " is below " + modelName + "'s minimum input size "
                + m.minInputSize());
      }
      r = new Resolved(modelName, model, m.inputTensor(), spec, m.outputTensor(), m.labels());
    } else {
      if (!hasSpec) {
        throw new IllegalArgumentException(
            "modelPath " + modelPath + " needs a preprocessing spec (SIZE:ORDER:SCALING:LAYOUT, "
                + "e.g. 224:rgb:tf:nhwc)");
      }
      OnnxModel model = MODELS.computeIfAbsent("path:" + modelPath, k -> loadPath(modelPath));
      if (model.inputNames().size() != 1) {
        throw new IllegalArgumentException(
            "modelPath " + modelPath + " must have exactly one graph input (the pixels), found "
                + model.inputNames());
      }
      List<String> outs = model.outputNames();
      r = new Resolved(
          modelPath, model, model.inputNames().get(0), PreprocessingSpec.parse(preprocessing),
          outs.size() == 1 ? outs.get(0) : null, List.of());
    }
    if (imageSize > 0) {
      r = new Resolved(r.name(), r.model(), r.inputTensor(), r.spec().withSize(imageSize, imageSize),
          r.outputTensor(), r.labels());
    }
    return r;
  }

  /**
   * @param path Hadoop-FS path of an ONNX file
   * @return the graph, loaded once per path (driver-side cache)
   * @throws IllegalArgumentException if the file cannot be read or is not valid ONNX
   */
  static OnnxModel loadModel(String path) {
    return MODELS.computeIfAbsent("path:" + path, k -> loadPath(path));
  }

  /**
   * Checks layer names against the graph.
   *
   * @throws IllegalArgumentException naming the first unknown or duplicate layer and the valid ones
   */
  static void checkLayers(Resolved r, List<String> layers) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("layers must name at least one layer of " + r.name());
    }
    if (new HashSet<>(layers).size() != layers.size()) {
      throw new IllegalArgumentException("layers must be distinct, found " + layers);
    }
    List<String> known = r.model().tensorNames();
    for (String l : layers) {
      if (!known.contains(l) || l.equals(r.inputTensor())) {
        String hint;
        try {
          hint = "feature layers: " + String.join(", ", Roster.get(r.name()).featureLayers());
        } catch (IllegalArgumentException notRoster) {
          hint = "the graph has " + known.size() + " tensors, e.g. "
              + String.join(", ", known.subList(Math.max(0, known.size() - 8), known.size()));
        }
        throw new IllegalArgumentException(
            "unknown layer '" + l + "' in " + r.name() + "; " + hint
                + " (any tensor name works: argus models inspect)");
      }
    }
  }

  /** @return the cut from the pixel input to {@code outputs}, built once per model and outputs */
  static Cut cut(Resolved r, List<String> outputs) {
    String key = r.model().sha256() + "|" + String.join(",", outputs);
    return CUTS.computeIfAbsent(
        key,
        k -> {
          OnnxModel c = r.model().cut(List.of(r.inputTensor()), outputs);
          return new Cut(c.toBytes(), c.sha256(), List.copyOf(outputs));
        });
  }

  /** @return a broadcast of the cut's bytes, created once per SparkContext and cut */
  static Broadcast<byte[]> broadcast(SparkContext sc, Cut cut) {
    synchronized (BROADCASTS) {
      Map<String, Broadcast<byte[]>> m = BROADCASTS.computeIfAbsent(sc, k -> new ConcurrentHashMap<>());
      return m.computeIfAbsent(
          cut.sha256(),
          k -> sc.broadcast(cut.bytes(), scala.reflect.ClassTag$.MODULE$.apply(byte[].class)));
    }
  }

  /**
   * @return the sha256 of the full model (what saved stages record)
   */
  static String sha256(Resolved r) {
    return r.model().sha256();
  }

  /**
   * Reads a file through the Hadoop FileSystem API.
   *
   * @throws IllegalArgumentException naming the path when it cannot be read
   */
  static byte[] readBytes(String path) {
    Path p = new Path(path);
    try {
      FileSystem fs = p.getFileSystem(hadoopConf());
      try (InputStream in = fs.open(p)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model file " + path + ": " + e, e);
    }
  }

  static org.apache.hadoop.conf.Configuration hadoopConf() {
    return org.apache.spark.sql.SparkSession.active().sparkContext().hadoopConfiguration();
  }

  private static OnnxModel loadRoster(String name) {
    try {
      return OnnxModel.load(PretrainedModels.onnxFile(name));
    } catch (ProvisioningException | ModelFormatException e) {
      throw new IllegalStateException("cannot provision roster model " + name + ": " + e.getMessage(), e);
    }
  }

  private static OnnxModel loadPath(String path) {
    try {
      return OnnxModel.fromBytes(readBytes(path), path);
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("modelPath " + path + " is not a valid ONNX model: "
          + e.getMessage(), e);
    }
  }

  static List<String> copy(String[] a) {
    return new ArrayList<>(List.of(Objects.requireNonNull(a, "layers")));
  }
}
