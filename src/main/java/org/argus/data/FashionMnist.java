package org.argus.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.provision.ArgusHome;
import org.argus.provision.ProvisioningException;

/**
 * Fashion-MNIST (Zalando Research; 70 000 grayscale 28×28 product images in 10 classes): provisioning
 * of the four IDX files into {@code ArgusHome.dataset("fashion-mnist")} and a partitioned reader into
 * Spark image DataFrames.
 *
 * <p>Rows have the schema {@link #schema()}: {@code (id long, label int, image struct)} where
 * {@code image} is Spark's {@link ImageSchema#columnSchema()} struct with {@code origin =
 * "fashion-mnist/<split>/<index in split>"}, {@code height = width = 28}, {@code nChannels = 1},
 * {@code mode = 0} (OpenCV {@code CV_8UC1}) and {@code data} = 784 bytes, row-major, 0 = white
 * background … 255 = full ink (the raw IDX bytes, unscaled). Ids are {@code 0..59999} for {@link
 * Split#TRAIN} and {@code 60000..69999} for {@link Split#TEST}, so a union of both stays unique.
 *
 * <p>This class is the facade; the work is split along its concepts into package-private classes:
 * {@code FashionMnistFiles} (provisioning: recorded sha256 digests, Debian package, canonical
 * download), {@code IdxHeader} (the IDX file format, pure Java), {@code FashionMnistSource} and
 * {@code FashionMnistSlices} (Spark reading: driver-side validation, executor-side positioned
 * reads) and {@code SeededPermutation} (seeded sampling without replacement).
 */
public final class FashionMnist {
  /** The catalog name and the cache directory name. */
  public static final String NAME = "fashion-mnist";

  /** The Debian package holding the gzipped IDX files. */
  public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";

  /** Where {@link #DEBIAN_PACKAGE} installs the {@code *.gz} files. */
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** Class names indexed by label 0..9. */
  public static final List<String> CLASS_NAMES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  /** Image height and width in pixels. */
  public static final int SIDE = 28;

  /** The two splits, their sizes and id ranges. */
  public enum Split {
    /** 60 000 training images, ids 0..59999. */
    TRAIN("train", "train", 60_000, 0L),
    /** 10 000 test images, ids 60000..69999. */
    TEST("test", "t10k", 10_000, 60_000L);

    private final String label;
    private final String filePrefix;
    private final int size;
    private final long firstId;

    Split(String label, String filePrefix, int size, long firstId) {
      this.label = label;
      this.filePrefix = filePrefix;
      this.size = size;
      this.firstId = firstId;
    }

    /** @return number of images in this split */
    public int size() {
      return size;
    }

    /** @return the id of the split's first image; ids run {@code firstId() .. firstId()+size()-1} */
    public long firstId() {
      return firstId;
    }

    /** @return the uncompressed IDX images file name, e.g. {@code train-images-idx3-ubyte} */
    public String imagesFile() {
      return filePrefix + "-images-idx3-ubyte";
    }

    /** @return the uncompressed IDX labels file name, e.g. {@code train-labels-idx1-ubyte} */
    public String labelsFile() {
      return filePrefix + "-labels-idx1-ubyte";
    }

    /** @return {@code "train"} or {@code "test"} as used in {@code origin} */
    @Override
    public String toString() {
      return label;
    }
  }

  private FashionMnist() {}

  /**
   * @return the row schema {@code (id long not null, label int not null, image ImageSchema struct)}
   */
  public static StructType schema() {
    return new StructType()
        .add("id", DataTypes.LongType, false)
        .add("label", DataTypes.IntegerType, false)
        .add("image", ImageSchema.columnSchema(), false);
  }

  /** @return the default location {@code ArgusHome.dataset("fashion-mnist")} */
  public static Path defaultLocation() {
    return ArgusHome.dataset(NAME);
  }

  /**
   * Cheap check (existence and size, no hashing) whether {@code dir} holds the four IDX files.
   *
   * @param dir a local directory
   * @return true when all four uncompressed files are present with their recorded sizes
   */
  public static boolean isProvisioned(Path dir) {
    return FashionMnistFiles.isProvisioned(dir);
  }

  /**
   * Provisions into {@link #defaultLocation()}; see {@link #provision(Path)}.
   *
   * @return the directory holding the four uncompressed IDX files
   * @throws ProvisioningException when no source works; the message says how to provide the files
   */
  public static Path provision() throws ProvisioningException {
    return provision(defaultLocation());
  }

  /**
   * Makes {@code dir} hold the four uncompressed IDX files ({@code train-images-idx3-ubyte},
   * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}),
   * each verified against its recorded sha256. Idempotent: files already present with the right
   * digest are kept untouched; a file with a wrong digest is replaced. Sources, in order: (a) the
   * Debian package's {@code /usr/share/datasets/fashion-mnist/*.gz}; (b) {@code apt-get install -y
   * dataset-fashion-mnist} (after {@code apt-get update} if needed) when running as root with
   * apt-get on the PATH; (c) the canonical download (Zalando's GitHub repository, then the
   * project's S3 mirror). Every {@code .gz} is checked against its recorded sha256 and decompressed
   * atomically (temp file + rename). Progress lines go to stderr.
   *
   * @param dir the target directory (created if missing)
   * @return {@code dir}
   * @throws ProvisioningException when no source works; the message lists what was tried and how to
   *     provide the files by hand
   */
  public static Path provision(Path dir) throws ProvisioningException {
    return FashionMnistFiles.provision(dir, DEBIAN_DIR, true, true);
  }

  /**
   * Provisions (see {@link #provision()}) and reads a split with {@code
   * spark.sparkContext().defaultParallelism()} partitions.
   *
   * @param spark the session
   * @param split which split
   * @return rows with schema {@link #schema()}, in id order
   * @throws ProvisioningException when the files cannot be provisioned
   */
  public static Dataset<Row> read(SparkSession spark, Split split) throws ProvisioningException {
    return read(spark, split, provision().toUri().toString());
  }

  /**
   * Reads a split from a directory holding the uncompressed IDX files, with {@code
   * spark.sparkContext().defaultParallelism()} partitions.
   *
   * @param spark the session
   * @param split which split
   * @param dir a Hadoop FileSystem URI or local path of the directory (e.g. {@code
   *     hdfs://nn/data/fashion-mnist} or {@code /home/u/.cache/argus/datasets/fashion-mnist})
   * @return rows with schema {@link #schema()}, in id order
   * @throws IllegalArgumentException when a file is missing or its IDX header is invalid
   */
  public static Dataset<Row> read(SparkSession spark, Split split, String dir) {
    return read(spark, split, dir, spark.sparkContext().defaultParallelism());
  }

  /**
   * Reads a split lazily: {@code spark.range} creates {@code numPartitions} id ranges and each
   * partition opens the IDX files through the Hadoop FileSystem API and reads only its own slice
   * (positioned reads); nothing is read on the driver except the two 16/8-byte headers, which are
   * validated here.
   *
   * @param spark the session
   * @param split which split
   * @param dir a Hadoop FileSystem URI or local path of the directory holding the IDX files
   * @param numPartitions number of partitions, {@code >= 1}
   * @return rows with schema {@link #schema()}, in id order
   * @throws IllegalArgumentException when {@code numPartitions < 1}, a file is missing, or an IDX
   *     header (magic number, dimensions, length) is invalid
   */
  public static Dataset<Row> read(SparkSession spark, Split split, String dir, int numPartitions) {
    return FashionMnistSource.read(spark, split, dir, numPartitions);
  }

  /**
   * Provisions and draws a seeded sample; see {@link #sample(SparkSession, Split, String, int,
   * long)}.
   *
   * @param spark the session
   * @param split which split
   * @param n sample size, {@code 0 <= n <= split.size()}
   * @param seed the seed of the permutation
   * @return rows with schema {@link #schema()}, in id order
   * @throws ProvisioningException when the files cannot be provisioned
   */
  public static Dataset<Row> sample(SparkSession spark, Split split, int n, long seed)
      throws ProvisioningException {
    return sample(spark, split, provision().toUri().toString(), n, seed);
  }

  /**
   * Exactly {@code n} distinct rows of a split chosen by a seeded permutation: the driver computes
   * only the ids ({@link #sampleIds}), the partitions read those rows by seeking. Same seed ⇒ same
   * rows on every run and machine.
   *
   * @param spark the session
   * @param split which split
   * @param dir a Hadoop FileSystem URI or local path of the directory holding the IDX files
   * @param seed the seed of the permutation
   * @param n sample size, {@code 0 <= n <= split.size()}
   * @return rows with schema {@link #schema()}, in id order
   * @throws IllegalArgumentException when {@code n} is out of range or the files are invalid
   */
  public static Dataset<Row> sample(SparkSession spark, Split split, String dir, int n, long seed) {
    return FashionMnistSource.rows(spark, split, dir, sampleIds(split, n, seed));
  }

  /**
   * The ids {@link #sample} returns: the first {@code n} entries of a Fisher–Yates permutation of
   * the split's indices driven by {@code new SplittableRandom(seed)}, offset by {@link
   * Split#firstId()}, sorted ascending.
   *
   * @param split which split
   * @param n sample size, {@code 0 <= n <= split.size()}
   * @param seed the seed of the permutation
   * @return {@code n} distinct ids, ascending
   * @throws IllegalArgumentException when {@code n < 0} or {@code n > split.size()}
   */
  public static long[] sampleIds(Split split, int n, long seed) {
    if (n < 0 || n > split.size()) {
      throw new IllegalArgumentException(
          "sample size n = "
              + n
              + " but split "
              + split
              + " holds "
              + split.size()
              + " images; valid: 0.."
              + split.size());
    }
    int[] indices = SeededPermutation.prefix(split.size(), n, seed);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = split.firstId() + indices[i];
    }
    Arrays.sort(out);
    return out;
  }
}
