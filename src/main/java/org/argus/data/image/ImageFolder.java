package org.argus.data.image;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lower;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobFilter;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;

/**
 * Reads a folder tree of images through Spark's {@code binaryFile} source (recursive) and decodes
 * every file with {@link ImageDecoder} on the executors, exactly once.
 *
 * <p>Layout: {@code root/<label>/.../file}; the label is the first-level subfolder name (images may
 * sit at any depth below it); files directly in {@code root} get a null label. Hadoop skips files
 * whose names start with {@code _} or {@code .}. Spark's file index silently drops zero-byte files;
 * this reader lists them separately on the driver (one metadata listing of the tree) and
 * quarantines them as {@code "zero-byte file"}. Each file is loaded whole into memory by {@code
 * binaryFile} (Spark refuses files over 2 GiB, failing the job).
 */
public final class ImageFolder {
  /**
   * Name of the accumulator that counts {@link ImageDecoder#decode} calls of one read (shown per
   * stage in the Spark UI).
   */
  static final String DECODES_ACCUMULATOR = "argus image decodes";

  private ImageFolder() {}

  /**
   * @return the per-file schema {@code (path string not null, label string, image ImageSchema
   *     struct, reason string)}
   */
  public static StructType schema() {
    return new StructType()
        .add("path", DataTypes.StringType, false)
        .add("label", DataTypes.StringType, true)
        .add("image", ImageSchema.columnSchema(), true)
        .add("reason", DataTypes.StringType, true);
  }

  /**
   * Reads with {@link ImageReadOptions#defaults()}.
   *
   * @param spark the session
   * @param root a local path or Hadoop FileSystem URI of the root folder
   * @return decoded and quarantined files
   */
  public static ImageReadResult read(SparkSession spark, String root) {
    return read(spark, root, ImageReadOptions.defaults());
  }

  /**
   * Reads and decodes every (filtered) file below {@code root}. The per-file decode is persisted
   * ({@code MEMORY_AND_DISK}) lazily: the first action on any output computes it, later ones reuse
   * it. Decodes are counted in a named accumulator ({@code "argus image decodes"}), visible per
   * stage in the Spark UI.
   *
   * @param spark the session
   * @param root a local path or Hadoop FileSystem URI of the root folder
   * @param options decoding and filtering options
   * @return decoded and quarantined files
   * @throws IllegalArgumentException when {@code root} does not exist or is not a directory
   */
  public static ImageReadResult read(SparkSession spark, String root, ImageReadOptions options) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(options, "options");
    String qualifiedRoot;
    List<Row> emptyFiles;
    try {
      Path p = new Path(root);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p) || !fs.getFileStatus(p).isDirectory()) {
        throw new IllegalArgumentException(
            "image folder root " + root + " does not exist or is not a directory");
      }
      qualifiedRoot = fs.makeQualified(p).toString();
      emptyFiles = listEmptyFiles(fs, fs.makeQualified(p), options.pathGlobFilter());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot access image folder root " + root + ": " + e, e);
    }
    DataFrameReader reader =
        spark.read().format("binaryFile").option("recursiveFileLookup", "true");
    if (options.pathGlobFilter() != null) {
      reader = reader.option("pathGlobFilter", options.pathGlobFilter());
    }
    Dataset<Row> files = reader.load(root).select("path", "content");
    if (!emptyFiles.isEmpty()) {
      // Spark's file index drops zero-byte files (SPARK-26161/SPARK-27291); add them back so
      // they are counted and quarantined instead of vanishing.
      StructType pathContent =
          new StructType()
              .add("path", DataTypes.StringType, false)
              .add("content", DataTypes.BinaryType, true);
      files = files.union(spark.createDataFrame(emptyFiles, pathContent));
    }
    if (!options.extensions().isEmpty()) {
      String regex =
          ".*\\.("
              + options.extensions().stream().map(Pattern::quote).collect(Collectors.joining("|"))
              + ")$";
      files = files.filter(lower(col("path")).rlike(regex));
    }
    LongAccumulator decodes = spark.sparkContext().longAccumulator(DECODES_ACCUMULATOR);
    Dataset<Row> all =
        files
            .map(
                new DecodeRow(
                    qualifiedRoot, options.maxPixels(), options.labelFromFolder(), decodes),
                Encoders.row(schema()))
            .persist(StorageLevel.MEMORY_AND_DISK());
    return new ImageReadResult(all, decodes);
  }

  /**
   * Lists zero-byte files below {@code root} on the driver (metadata only), skipping what Spark's
   * file index skips (names starting with {@code _} or {@code .}, at any level below the root) and
   * applying the same {@code pathGlobFilter}.
   *
   * @return rows {@code (path, empty content)}
   */
  static List<Row> listEmptyFiles(FileSystem fs, Path root, String glob) throws IOException {
    GlobFilter filter = glob == null ? null : new GlobFilter(glob);
    String prefix = root.toString().endsWith("/") ? root.toString() : root + "/";
    List<Row> out = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      LocatedFileStatus st = it.next();
      if (st.getLen() != 0 || !st.isFile()) {
        continue;
      }
      String path = st.getPath().toString();
      String rel = path.startsWith(prefix) ? path.substring(prefix.length()) : st.getPath().getName();
      boolean hidden = false;
      for (String part : rel.split("/")) {
        hidden |= part.startsWith("_") || part.startsWith(".");
      }
      if (hidden || (filter != null && !filter.accept(st.getPath()))) {
        continue;
      }
      out.add(RowFactory.create(path, new byte[0]));
    }
    return out;
  }

  /**
   * @param qualifiedRoot the root as a qualified Hadoop path string (e.g. {@code file:/data/imgs})
   * @param path a file path below it as {@code binaryFile} reports it
   * @return the first path segment below the root, or null when the file sits directly in the root
   *     or outside it
   */
  static String labelOf(String qualifiedRoot, String path) {
    String prefix = qualifiedRoot.endsWith("/") ? qualifiedRoot : qualifiedRoot + "/";
    if (!path.startsWith(prefix)) {
      return null;
    }
    String rest = path.substring(prefix.length());
    int slash = rest.indexOf('/');
    return slash > 0 ? rest.substring(0, slash) : null;
  }

  /**
   * Executor-side: (path, content) → (path, label, image, reason); adds 1 to {@code decodes} per
   * decoded file (Spark adds a task's updates once the task succeeds, and again for each
   * recomputation).
   */
  static final class DecodeRow implements MapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String root;
    private final long maxPixels;
    private final boolean labelFromFolder;
    private final LongAccumulator decodes;

    DecodeRow(String root, long maxPixels, boolean labelFromFolder, LongAccumulator decodes) {
      this.root = root;
      this.maxPixels = maxPixels;
      this.labelFromFolder = labelFromFolder;
      this.decodes = decodes;
    }

    @Override
    public Row call(Row in) {
      String path = in.getString(0);
      byte[] content = in.isNullAt(1) ? new byte[0] : (byte[]) in.get(1);
      String label = labelFromFolder ? labelOf(root, path) : null;
      DecodeResult r = ImageDecoder.decode(content, maxPixels);
      decodes.add(1);
      return RowFactory.create(
          path, label, r.isDecoded() ? r.image().toRow(path) : null, r.reason());
    }
  }
}
