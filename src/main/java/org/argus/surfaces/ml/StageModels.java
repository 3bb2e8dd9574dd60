package org.argus.surfaces.ml;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.argus.ArgusException;
import org.argus.execution.inference.GraphSource;
import org.argus.model.ModelFormatException;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;

/**
 * Driver-side model resolution for the Spark ML stages and SQL functions: turns a stage's
 * {@code modelName}/{@code modelPath}/{@code preprocessing}/{@code imageSize} params into a {@link
 * ResolvedModel} (a roster model provisioned and sha256-checked, or an ONNX file read through the
 * Hadoop FileSystem API), and broadcasts each graph cut once per SparkContext.
 *
 * <p>Two documented per-JVM caches, both on the driver: resolved models by reference (so a cut is
 * made once however often a stage is transformed), and broadcasts by (SparkContext, cut sha256).
 * Executors receive cut bytes through the broadcast and build their ONNX Runtime session once per
 * JVM through the inference kernel.
 */
final class StageModels {
  private static final Map<ModelRef, ResolvedModel> MODELS = new ConcurrentHashMap<>();
  /** The model file's {@link #versionKey} each cached path model was read at ("" for roster models). */
  private static final Map<ModelRef, String> VERSIONS = new ConcurrentHashMap<>();
  private static final Map<SparkContext, Map<String, Broadcast<byte[]>>> BROADCASTS = new WeakHashMap<>();

  private StageModels() {}

  /** Reads model files through the Hadoop FileSystem API of the active session. */
  static final ResolvedModel.FileReader HADOOP_FILES = StageModels::readPath;

  /**
   * Resolves a stage's model params (cached per JVM by reference; a path model is read again when
   * its file's length or modification time changed).
   *
   * @param modelName roster name, or null/empty when {@code modelPath} is used
   * @param modelPath Hadoop-FS path of an ONNX file, or null/empty
   * @param preprocessing spec text {@code SIZE:ORDER:SCALING:LAYOUT}, required with a {@code
   *     modelPath} whose file does not record one ({@link ResolvedModel#PREPROCESSING_METADATA}, as
   *     a spliced model does), optional (overriding the roster's or the file's) otherwise
   * @param imageSize input side in pixels overriding the spec's size, 0 to keep it
   * @return the resolved model
   * @throws IllegalArgumentException for an unknown roster name, neither or both of name and path,
   *     a path without a preprocessing spec (given or recorded in the file), an unreadable or invalid ONNX file (naming the path)
   * @throws IllegalStateException when a roster model cannot be provisioned
   */
  static ResolvedModel resolve(String modelName, String modelPath, String preprocessing, int imageSize) {
    boolean byName = modelName != null && !modelName.isEmpty();
    boolean byPath = modelPath != null && !modelPath.isEmpty();
    if (byName == byPath) {
      throw new IllegalArgumentException(
          "set exactly one of modelName (roster: " + String.join(", ", Roster.names())
              + ") and modelPath (an ONNX file), found modelName='" + modelName
              + "', modelPath='" + modelPath + "'");
    }
    boolean hasSpec = preprocessing != null && !preprocessing.isEmpty();
    if (byName) {
      Roster.get(modelName); // unknown names fail here, listing the roster
    }
    PreprocessingSpec spec = hasSpec ? PreprocessingSpec.parse(preprocessing) : null;
    ModelRef ref = new ModelRef(byName ? modelName : null, byPath ? modelPath : null, spec, imageSize);
    ResolvedModel cached = MODELS.get(ref);
    String version;
    try {
      version = byPath ? versionKey(modelPath) : "";
    } catch (IllegalArgumentException gone) {
      if (cached != null) {
        return cached; // the file is gone: the model this JVM resolved from it last
      }
      throw gone;
    }
    if (cached != null && version.equals(VERSIONS.get(ref))) {
      return cached;
    }
    try {
      ResolvedModel m = ResolvedModel.resolve(ref, HADOOP_FILES);
      MODELS.put(ref, m);
      VERSIONS.put(ref, version);
      return m;
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("modelPath " + modelPath + " is not a valid ONNX model: "
          + e.getMessage(), e);
    } catch (ArgusException e) {
      throw new IllegalStateException("cannot provision roster model " + modelName + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param sc the context
   * @param cut a cut of a resolved model
   * @return the cut as a graph source, its bytes broadcast once per SparkContext and cut
   */
  static GraphSource graph(SparkContext sc, GraphCut cut) {
    return GraphSource.broadcast(cut.sha256(), broadcast(sc, cut.sha256(), cut.bytes()));
  }

  /**
   * @return a broadcast of {@code bytes}, created once per SparkContext and sha256
   */
  static Broadcast<byte[]> broadcast(SparkContext sc, String sha256, byte[] bytes) {
    synchronized (BROADCASTS) {
      Map<String, Broadcast<byte[]>> m = BROADCASTS.computeIfAbsent(sc, k -> new ConcurrentHashMap<>());
      return m.computeIfAbsent(sha256, k -> sc.broadcast(bytes, scala.reflect.ClassTag$.MODULE$.apply(byte[].class)));
    }
  }

  /**
   * Reads a file through the Hadoop FileSystem API.
   *
   * @throws IllegalArgumentException naming the path when it cannot be read
   */
  static byte[] readBytes(String path) {
    try {
      return readPath(path);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model file " + path + ": " + e, e);
    }
  }

  /**
   * @param path a model file (Hadoop FS path)
   * @return a key that changes when the file does: the path with its length and modification time
   *     (so a per-JVM cache keyed by it never serves a replaced file's old graph)
   * @throws IllegalArgumentException when the file's status cannot be read (names the path)
   */
  static String versionKey(String path) {
    try {
      Path p = new Path(path);
      org.apache.hadoop.fs.FileStatus st = p.getFileSystem(hadoopConf()).getFileStatus(p);
      return path + "@" + st.getLen() + "@" + st.getModificationTime();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model file " + path + ": " + e, e);
    }
  }

  private static byte[] readPath(String path) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(hadoopConf());
    try (InputStream in = fs.open(p)) {
      return in.readAllBytes();
    }
  }

  static org.apache.hadoop.conf.Configuration hadoopConf() {
    return org.apache.spark.sql.SparkSession.active().sparkContext().hadoopConfiguration();
  }

  static List<String> copy(String[] a) {
    return List.of(java.util.Objects.requireNonNull(a, "layers"));
  }
}
