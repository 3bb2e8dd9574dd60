package org.argus.surfaces.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.data.image.ImageFolder;
import org.argus.data.image.ImageReadResult;
import org.argus.provision.ProvisioningException;

/**
 * The image rows {@code argus features} reads, from one of three sources named by {@code --data}:
 * {@code fashion-mnist} (a seeded sample of the official train and test splits, with a {@code
 * split} column), an image folder ({@code root/<label>/…/file}, id = the file's path, label = the
 * first-level folder name) or a Parquet image table (an id column, a Spark image struct or binary
 * image column, optionally a label column).
 *
 * @param rows {@code id, [label], [split], image}: the image column is a Spark image struct or
 *     encoded image bytes; {@code id} keeps the source's type (long for Fashion-MNIST, the path
 *     string for a folder)
 * @param quarantine files the source itself could not use, {@code (id string, reason string)}
 *     (undecodable or zero-byte files of an image folder), or null when the source has none
 * @param hasLabel whether {@code rows} has a {@code label} column
 * @param hasSplit whether {@code rows} has a {@code split} column ({@code train} | {@code test})
 * @param source what was read, for messages and the report (e.g. {@code fashion-mnist train 4000 +
 *     test 1000, seed 42})
 * @param folder the image folder's read (to release its cached decode), or null
 */
record FeatureInputs(Dataset<Row> rows, Dataset<Row> quarantine, boolean hasLabel, boolean hasSplit, String source,
    ImageReadResult folder) implements AutoCloseable {

  /** The {@code --data} value that selects Fashion-MNIST. */
  static final String FASHION_MNIST = FashionMnist.NAME;

  /** Output column names the sources use (and the features Parquet keeps). */
  static final List<String> KEY_COLUMNS = List.of("id", "label", "split");

  /**
   * What to read.
   *
   * @param data {@code fashion-mnist}, an image folder, or a Parquet table (a {@code .parquet}
   *     path, a folder Spark wrote (with {@code _SUCCESS}) or a folder holding {@code *.parquet} files)
   * @param train Fashion-MNIST training images (≥ 0)
   * @param test Fashion-MNIST test images (≥ 0)
   * @param seed the Fashion-MNIST sample's seed
   * @param idCol a table's id column
   * @param imageCol a table's image column
   * @param labelCol a table's label column (optional in the table)
   */
  record Source(String data, int train, int test, long seed, String idCol, String imageCol, String labelCol) {}

  /**
   * @param spark the session
   * @param s what to read
   * @return the rows (lazy, except a folder's one decode pass, persisted)
   * @throws IllegalArgumentException when the table lacks the id or image column (the message lists
   *     its columns), the data path does not exist, or the Fashion-MNIST counts are out of range
   * @throws ProvisioningException when Fashion-MNIST cannot be provisioned
   */
  static FeatureInputs read(SparkSession spark, Source s) throws ProvisioningException {
    if (s.data().equals(FASHION_MNIST)) {
      if (s.train() + s.test() == 0) {
        throw new IllegalArgumentException("--train " + s.train() + " and --test " + s.test()
            + " select no Fashion-MNIST image; give at least one");
      }
      Dataset<Row> tr = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, s.train(), s.seed())
          .withColumn("split", lit("train"));
      Dataset<Row> te = FashionMnist.sample(spark, FashionMnist.Split.TEST, s.test(), s.seed())
          .withColumn("split", lit("test"));
      return new FeatureInputs(tr.unionByName(te).select("id", "label", "split", "image"), null, true, true,
          FASHION_MNIST + " train " + s.train() + " + test " + s.test() + ", seed " + s.seed(), null);
    }
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(s.data());
    boolean table;
    try {
      org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw new IllegalArgumentException("--data " + s.data() + " does not exist; give " + FASHION_MNIST
            + ", an image folder (sub-folder name = label) or a Parquet image table");
      }
      table = s.data().endsWith(".parquet") || fs.exists(new org.apache.hadoop.fs.Path(p, "_SUCCESS"))
          || (fs.getFileStatus(p).isDirectory() && java.util.Arrays.stream(fs.listStatus(p))
              .anyMatch(f -> f.isFile() && f.getPath().getName().endsWith(".parquet")));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("--data " + s.data() + " cannot be listed: " + e.getMessage(), e);
    }
    return table ? table(spark, s) : folder(spark, s.data());
  }

  private static FeatureInputs folder(SparkSession spark, String root) {
    ImageReadResult r = ImageFolder.read(spark, root);
    Dataset<Row> rows = r.decoded().select(col("path").as("id"), col("label"), col("image"));
    Dataset<Row> q = r.quarantine().select(col("path").as("id"), col("reason"));
    return new FeatureInputs(rows, q, true, false, "image folder " + root, r);
  }

  private static FeatureInputs table(SparkSession spark, Source s) {
    Dataset<Row> raw = spark.read().parquet(s.data());
    List<String> have = Arrays.asList(raw.columns());
    for (String c : List.of(s.idCol(), s.imageCol())) {
      if (!have.contains(c)) {
        throw new IllegalArgumentException("image table " + s.data() + " has no column '" + c + "' (--id-col "
            + s.idCol() + ", --image-col " + s.imageCol() + "); its columns: " + have);
      }
    }
    boolean label = have.contains(s.labelCol());
    List<Column> sel = new ArrayList<>(List.of(col(s.idCol()).as("id")));
    if (label) {
      sel.add(col(s.labelCol()).as("label"));
    }
    sel.add(col(s.imageCol()).as("image"));
    return new FeatureInputs(raw.select(sel.toArray(new Column[0])), null, label, false, "image table " + s.data(),
        null);
  }

  /** The key columns {@code rows} has, in output order: {@code id}, then {@code label} and {@code split} if present. */
  List<String> keyColumns() {
    List<String> k = new ArrayList<>(List.of("id"));
    if (hasLabel) {
      k.add("label");
    }
    if (hasSplit) {
      k.add("split");
    }
    return k;
  }

  /** Releases a folder's cached decode. */
  @Override
  public void close() {
    if (folder != null) {
      folder.close();
    }
  }
}
