package org.argus.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist.Split;

/**
 * Driver side of the Fashion-MNIST reader: validates the two IDX headers of a split through the
 * Hadoop FileSystem API and builds the lazy Datasets whose partitions {@link FashionMnistSlices}
 * reads. The public entry points are {@link FashionMnist#read} and {@link FashionMnist#sample}.
 */
final class FashionMnistSource {
  private FashionMnistSource() {}

  /**
   * All rows of a split: {@code spark.range} creates {@code numPartitions} id ranges, each read by
   * its own task. See {@link FashionMnist#read(SparkSession, Split, String, int)}.
   *
   * @throws IllegalArgumentException when {@code numPartitions < 1}, a file is missing or a header
   *     is invalid
   */
  static Dataset<Row> read(SparkSession spark, Split split, String dir, int numPartitions) {
    if (numPartitions < 1) {
      throw new IllegalArgumentException("numPartitions = " + numPartitions + "; valid: >= 1");
    }
    FashionMnistSlices reader = open(spark, split, dir);
    Dataset<Long> ids =
        spark.range(split.firstId(), split.firstId() + reader.count(), 1, numPartitions);
    return ids.mapPartitions(reader, Encoders.row(FashionMnist.schema()));
  }

  /**
   * The rows of the given ids: the driver parallelizes the ids into {@code min(defaultParallelism,
   * n / 1000 + 1)} slices (at least one) and each slice's task reads its rows by seeking. See
   * {@link FashionMnist#sample(SparkSession, Split, String, int, long)}.
   *
   * @param ids ids of {@code split}, ascending
   * @throws IllegalArgumentException when a file is missing or a header is invalid
   */
  static Dataset<Row> rows(SparkSession spark, Split split, String dir, long[] ids) {
    FashionMnistSlices reader = open(spark, split, dir);
    List<Long> boxed = new ArrayList<>(ids.length);
    for (long id : ids) {
      boxed.add(id);
    }
    int slices =
        Math.max(1, Math.min(spark.sparkContext().defaultParallelism(), ids.length / 1000 + 1));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Long> idRows =
        spark.createDataset(jsc.parallelize(boxed, slices).rdd(), Encoders.LONG());
    return idRows.mapPartitions(reader, Encoders.row(FashionMnist.schema()));
  }

  /**
   * Validates both headers of {@code split} in {@code dir} on the driver (magic numbers, 28×28
   * images, as many labels as images, file lengths) and captures the Hadoop configuration for the
   * executors.
   *
   * @throws IllegalArgumentException when a file is missing, cannot be read, or is invalid; the
   *     message names the file, what was found and what is valid
   */
  static FashionMnistSlices open(SparkSession spark, Split split, String dir) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    HashMap<String, String> conf = new HashMap<>();
    for (Map.Entry<String, String> e : hadoop) {
      conf.put(e.getKey(), e.getValue());
    }
    Path base = new Path(dir);
    Path images = new Path(base, split.imagesFile());
    Path labels = new Path(base, split.labelsFile());
    IdxHeader imageHeader;
    IdxHeader labelHeader;
    try {
      FileSystem fs = images.getFileSystem(hadoop);
      images = fs.makeQualified(images);
      labels = fs.makeQualified(labels);
      imageHeader = header(fs, images, IdxHeader.UBYTE_3D);
      labelHeader = header(fs, labels, IdxHeader.UBYTE_1D);
      checkAgree(images, imageHeader, labels, labelHeader);
      imageHeader.checkLength(images.toString(), fs.getFileStatus(images).getLen());
      labelHeader.checkLength(labels.toString(), fs.getFileStatus(labels).getLen());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read Fashion-MNIST " + split + " from " + dir + ": " + e, e);
    }
    return new FashionMnistSlices(
        images.toString(),
        labels.toString(),
        conf,
        split.toString(),
        split.firstId(),
        imageHeader.count(),
        imageHeader.headerBytes(),
        labelHeader.headerBytes());
  }

  private static IdxHeader header(FileSystem fs, Path p, int expectedMagic) throws IOException {
    if (!fs.exists(p)) {
      throw new IllegalArgumentException(
          "IDX file "
              + p
              + " does not exist (provision with FashionMnist.provision() or `argus datasets"
              + " fetch fashion-mnist`)");
    }
    try (FSDataInputStream in = fs.open(p)) {
      return IdxHeader.read(in, p.toString(), expectedMagic);
    }
  }

  /** Images must be 28×28 and the labels file must hold one label per image. */
  private static void checkAgree(Path images, IdxHeader imageHeader, Path labels, IdxHeader labelHeader) {
    int rows = imageHeader.dims().get(1);
    int cols = imageHeader.dims().get(2);
    if (rows != FashionMnist.SIDE || cols != FashionMnist.SIDE) {
      throw new IllegalArgumentException(
          "IDX file "
              + images
              + ": images are "
              + rows
              + "x"
              + cols
              + " but Fashion-MNIST images are "
              + FashionMnist.SIDE
              + "x"
              + FashionMnist.SIDE);
    }
    if (labelHeader.count() != imageHeader.count()) {
      throw new IllegalArgumentException(
          "IDX files disagree: "
              + images
              + " holds "
              + imageHeader.count()
              + " images but "
              + labels
              + " holds "
              + labelHeader.count()
              + " labels");
    }
  }
}
