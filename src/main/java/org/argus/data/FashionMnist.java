package org.argus.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.provision.ArgusHome;
import org.argus.provision.ProvisioningException;
import org.argus.provision.Sha256;

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

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;
  private static final int IMAGES_HEADER = 16;
  private static final int LABELS_HEADER = 8;

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

  /** One of the four files: name, sha256 of the .gz and of the uncompressed content. */
  record IdxFile(String name, String gzSha256, String sha256, long size) {}

  static final List<IdxFile> FILES =
      List.of(
          new IdxFile(
              "train-images-idx3-ubyte",
              "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
              "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
              47_040_016L),
          new IdxFile(
              "train-labels-idx1-ubyte",
              "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
              "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
              60_008L),
          new IdxFile(
              "t10k-images-idx3-ubyte",
              "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
              "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
              7_840_016L),
          new IdxFile(
              "t10k-labels-idx1-ubyte",
              "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
              "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
              10_008L));

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
    for (IdxFile f : FILES) {
      Path p = dir.resolve(f.name());
      try {
        if (!Files.isRegularFile(p) || Files.size(p) != f.size()) {
          return false;
        }
      } catch (IOException e) {
        return false;
      }
    }
    return true;
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
    return provision(dir, DEBIAN_DIR, true, true);
  }

  /** Provisioning with the sources made explicit (for tests of the fallback chain). */
  static Path provision(Path dir, Path debianDir, boolean allowApt, boolean allowDownload)
      throws ProvisioningException {
    List<IdxFile> missing = new ArrayList<>();
    for (IdxFile f : FILES) {
      Path p = dir.resolve(f.name());
      if (Files.exists(p)) {
        try {
          Sha256.verify(p, f.sha256());
          continue;
        } catch (ProvisioningException e) {
          Fetch.progress(NAME + ": " + e.getMessage() + "; provisioning it again");
          try {
            Files.delete(p);
          } catch (IOException io) {
            throw new ProvisioningException("cannot delete corrupt " + p + ": " + io, io);
          }
        }
      }
      missing.add(f);
    }
    if (missing.isEmpty()) {
      return dir;
    }
    List<String> attempts = new ArrayList<>();
    // (a) Debian package files already installed
    if (!fromDir(debianDir, dir, missing, attempts) && allowApt) {
      // (b) install the package
      if (Fetch.aptUsable()) {
        String failure = Fetch.aptInstall(DEBIAN_PACKAGE);
        if (failure == null) {
          fromDir(debianDir, dir, missing, attempts);
        } else {
          attempts.add("apt-get install -y " + DEBIAN_PACKAGE + ": " + failure);
        }
      } else {
        attempts.add("apt-get: not usable (needs root and apt-get on the PATH)");
      }
    }
    // (c) canonical download
    if (!missing.isEmpty() && allowDownload) {
      for (IdxFile f : List.copyOf(missing)) {
        for (URI url : downloadUrls(f.name() + ".gz")) {
          Path gz = dir.resolve(f.name() + ".gz");
          try {
            Fetch.download(url, gz, f.gzSha256());
            try {
              Fetch.gunzip(gz, dir.resolve(f.name()), f.sha256());
            } finally {
              Files.deleteIfExists(gz);
            }
            missing.remove(f);
            break;
          } catch (ProvisioningException | IOException e) {
            attempts.add(url + ": " + e.getMessage());
          }
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new ProvisioningException(howToProvide(dir, missing, attempts));
    }
    Fetch.progress(NAME + ": ready in " + dir);
    return dir;
  }

  /** Decompresses what {@code srcDir} offers; removes provisioned files from {@code missing}. */
  private static boolean fromDir(Path srcDir, Path dir, List<IdxFile> missing, List<String> attempts)
      throws ProvisioningException {
    for (IdxFile f : List.copyOf(missing)) {
      Path gz = srcDir.resolve(f.name() + ".gz");
      if (!Files.isRegularFile(gz)) {
        attempts.add(gz + ": not found (Debian package " + DEBIAN_PACKAGE + ")");
        continue;
      }
      try {
        Sha256.verify(gz, f.gzSha256());
      } catch (ProvisioningException e) {
        attempts.add(e.getMessage());
        continue;
      }
      Fetch.gunzip(gz, dir.resolve(f.name()), f.sha256());
      missing.remove(f);
    }
    return missing.isEmpty();
  }

  /** Canonical download locations, built from parts: Zalando's GitHub repository, then the mirror. */
  static List<URI> downloadUrls(String gzName) {
    String github =
        String.join(
            "/",
            "https://raw.githubusercontent.com",
            "zalandoresearch",
            "fashion-mnist",
            "master",
            "data",
            "fashion",
            gzName);
    String mirror =
        String.join(
            "/", "http://fashion-mnist.s3-website." + "eu-central-1" + ".amazonaws.com", gzName);
    return List.of(URI.create(github), URI.create(mirror));
  }

  private static String howToProvide(Path dir, List<IdxFile> missing, List<String> attempts) {
    StringBuilder sb = new StringBuilder();
    sb.append("Fashion-MNIST could not be provisioned into ").append(dir).append("; missing:");
    for (IdxFile f : missing) {
      sb.append(' ').append(f.name());
    }
    sb.append(".\nTried:");
    for (String a : attempts) {
      sb.append("\n  - ").append(a);
    }
    sb.append("\nTo provide the files: either install the Debian package (apt-get install ")
        .append(DEBIAN_PACKAGE)
        .append(", which puts the .gz files in ")
        .append(DEBIAN_DIR)
        .append("), or download");
    for (IdxFile f : missing) {
      sb.append("\n  ").append(downloadUrls(f.name() + ".gz").get(0));
    }
    sb.append("\nand decompress them (gunzip) into ")
        .append(dir)
        .append(" (set ARGUS_HOME or -Dargus.home to move the cache root; the data set lives in")
        .append(" <root>/datasets/")
        .append(NAME)
        .append(").");
    return sb.toString();
  }

  // ------------------------------------------------------------------------------------------
  // Reading

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
    if (numPartitions < 1) {
      throw new IllegalArgumentException("numPartitions = " + numPartitions + "; valid: >= 1");
    }
    SliceReader reader = SliceReader.open(spark, split, dir);
    Dataset<Long> ids =
        spark.range(split.firstId(), split.firstId() + reader.count, 1, numPartitions);
    return ids.mapPartitions(reader, Encoders.row(schema()));
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
    SliceReader reader = SliceReader.open(spark, split, dir);
    long[] chosen = sampleIds(split, n, seed);
    List<Long> boxed = new ArrayList<>(chosen.length);
    for (long id : chosen) {
      boxed.add(id);
    }
    int slices = Math.max(1, Math.min(spark.sparkContext().defaultParallelism(), n / 1000 + 1));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Long> ids = spark.createDataset(jsc.parallelize(boxed, slices).rdd(), Encoders.LONG());
    return ids.mapPartitions(reader, Encoders.row(schema()));
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
    int[] perm = new int[split.size()];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      int j = i + rnd.nextInt(perm.length - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      out[i] = split.firstId() + perm[i];
    }
    Arrays.sort(out);
    return out;
  }

  /**
   * Per-partition reader: opens both IDX files through the Hadoop FileSystem API and reads the
   * requested ids by positioned reads, contiguous runs in one read each.
   */
  static final class SliceReader
      implements org.apache.spark.api.java.function.MapPartitionsFunction<Long, Row> {
    private static final long serialVersionUID = 1L;
    private static final int CHUNK = 512;

    private final String imagesUri;
    private final String labelsUri;
    private final HashMap<String, String> conf;
    private final String split;
    private final long firstId;
    final int count;

    private SliceReader(
        String imagesUri,
        String labelsUri,
        HashMap<String, String> conf,
        String split,
        long firstId,
        int count) {
      this.imagesUri = imagesUri;
      this.labelsUri = labelsUri;
      this.conf = conf;
      this.split = split;
      this.firstId = firstId;
      this.count = count;
    }

    /** Validates both headers on the driver and captures the Hadoop configuration. */
    static SliceReader open(SparkSession spark, Split split, String dir) {
      Configuration hadoop = spark.sparkContext().hadoopConfiguration();
      HashMap<String, String> conf = new HashMap<>();
      for (Map.Entry<String, String> e : hadoop) {
        conf.put(e.getKey(), e.getValue());
      }
      org.apache.hadoop.fs.Path base = new org.apache.hadoop.fs.Path(dir);
      org.apache.hadoop.fs.Path images = new org.apache.hadoop.fs.Path(base, split.imagesFile());
      org.apache.hadoop.fs.Path labels = new org.apache.hadoop.fs.Path(base, split.labelsFile());
      int n;
      try {
        FileSystem fs = images.getFileSystem(hadoop);
        images = fs.makeQualified(images);
        labels = fs.makeQualified(labels);
        int[] imgDims = header(fs, images, IMAGES_MAGIC, 3);
        int[] labDims = header(fs, labels, LABELS_MAGIC, 1);
        n = imgDims[0];
        if (imgDims[1] != SIDE || imgDims[2] != SIDE) {
          throw new IllegalArgumentException(
              "IDX file "
                  + images
                  + ": images are "
                  + imgDims[1]
                  + "x"
                  + imgDims[2]
                  + " but Fashion-MNIST images are "
                  + SIDE
                  + "x"
                  + SIDE);
        }
        if (labDims[0] != n) {
          throw new IllegalArgumentException(
              "IDX files disagree: "
                  + images
                  + " holds "
                  + n
                  + " images but "
                  + labels
                  + " holds "
                  + labDims[0]
                  + " labels");
        }
        checkLength(fs, images, IMAGES_HEADER + (long) n * SIDE * SIDE);
        checkLength(fs, labels, LABELS_HEADER + (long) n);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read Fashion-MNIST " + split + " from " + dir + ": " + e, e);
      }
      return new SliceReader(
          images.toString(), labels.toString(), conf, split.toString(), split.firstId(), n);
    }

    private static int[] header(
        FileSystem fs, org.apache.hadoop.fs.Path p, int expectedMagic, int dims)
        throws IOException {
      if (!fs.exists(p)) {
        throw new IllegalArgumentException(
            "IDX file "
                + p
                + " does not exist (provision with FashionMnist.provision() or `argus datasets"
                + " fetch fashion-mnist`)");
      }
      try (FSDataInputStream in = fs.open(p)) {
        int magic = in.readInt();
        if ((magic >>> 16) == 0x1f8b) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "IDX file %s: magic number 0x%08x is gzip's, expected 0x%08x; the file is still"
                      + " gzip-compressed (decompress it with gunzip, or use"
                      + " FashionMnist.provision())",
                  p,
                  magic,
                  expectedMagic));
        }
        if (magic != expectedMagic) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "IDX file %s: magic number 0x%08x, expected 0x%08x (unsigned bytes, %d"
                      + " dimension%s); is it still gzip-compressed or the wrong file?",
                  p,
                  magic,
                  expectedMagic,
                  dims,
                  dims == 1 ? "" : "s"));
        }
        int[] out = new int[dims];
        for (int i = 0; i < dims; i++) {
          out[i] = in.readInt();
          if (out[i] < 0) {
            throw new IllegalArgumentException(
                "IDX file " + p + ": dimension " + i + " is " + out[i] + "; valid: >= 0");
          }
        }
        return out;
      }
    }

    private static void checkLength(FileSystem fs, org.apache.hadoop.fs.Path p, long expected)
        throws IOException {
      long len = fs.getFileStatus(p).getLen();
      if (len != expected) {
        throw new IllegalArgumentException(
            "IDX file "
                + p
                + " is "
                + len
                + " bytes but its header implies "
                + expected
                + " (truncated or padded file)");
      }
    }

    @Override
    public java.util.Iterator<Row> call(java.util.Iterator<Long> ids) throws IOException {
      if (!ids.hasNext()) {
        return java.util.Collections.emptyIterator();
      }
      Configuration hadoop = new Configuration(false);
      conf.forEach(hadoop::set);
      org.apache.hadoop.fs.Path images = new org.apache.hadoop.fs.Path(imagesUri);
      FileSystem fs = images.getFileSystem(hadoop);
      FSDataInputStream img = fs.open(images);
      FSDataInputStream lab = fs.open(new org.apache.hadoop.fs.Path(labelsUri));
      org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
      if (tc != null) {
        tc.addTaskCompletionListener(
            new org.apache.spark.util.TaskCompletionListener() {
              @Override
              public void onTaskCompletion(org.apache.spark.TaskContext context) {
                closeQuietly(img, lab);
              }
            });
      }
      return new java.util.Iterator<Row>() {
        private final long[] chunk = new long[CHUNK];
        private final byte[] pixels = new byte[CHUNK * SIDE * SIDE];
        private final byte[] labels = new byte[CHUNK];
        private int size;
        private int pos;

        @Override
        public boolean hasNext() {
          if (pos < size) {
            return true;
          }
          if (!ids.hasNext()) {
            closeQuietly(img, lab);
            return false;
          }
          try {
            fill();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading " + imagesUri, e);
          }
          return pos < size;
        }

        private void fill() throws IOException {
          size = 0;
          pos = 0;
          while (size < CHUNK && ids.hasNext()) {
            long id = ids.next();
            long index = id - firstId;
            if (index < 0 || index >= count) {
              throw new IllegalArgumentException(
                  "id " + id + " outside split " + split + " (valid " + firstId + ".."
                      + (firstId + count - 1) + ")");
            }
            chunk[size++] = index;
          }
          boolean contiguous = true;
          for (int i = 1; i < size && contiguous; i++) {
            contiguous = chunk[i] == chunk[i - 1] + 1;
          }
          int px = SIDE * SIDE;
          if (contiguous) {
            img.readFully(IMAGES_HEADER + chunk[0] * px, pixels, 0, size * px);
            lab.readFully(LABELS_HEADER + chunk[0], labels, 0, size);
          } else {
            for (int i = 0; i < size; i++) {
              img.readFully(IMAGES_HEADER + chunk[i] * px, pixels, i * px, px);
              lab.readFully(LABELS_HEADER + chunk[i], labels, i, 1);
            }
          }
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          int i = pos++;
          int px = SIDE * SIDE;
          byte[] data = Arrays.copyOfRange(pixels, i * px, (i + 1) * px);
          long index = chunk[i];
          Row image =
              org.apache.spark.sql.RowFactory.create(
                  NAME + "/" + split + "/" + index, SIDE, SIDE, 1, 0, data);
          return org.apache.spark.sql.RowFactory.create(
              firstId + index, labels[i] & 0xff, image);
        }
      };
    }

    private static void closeQuietly(FSDataInputStream a, FSDataInputStream b) {
      try {
        a.close();
      } catch (IOException ignored) {
        // read-only stream; nothing to flush
      }
      try {
        b.close();
      } catch (IOException ignored) {
        // read-only stream; nothing to flush
      }
    }
  }
}
