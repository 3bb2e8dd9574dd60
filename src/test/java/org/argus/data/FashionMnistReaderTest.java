package org.argus.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist.Split;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Partitioned Fashion-MNIST reading on the real data (provisioned into the ArgusHome cache). */
class FashionMnistReaderTest {
  private static Path dir;
  private static String uri;

  @BeforeAll
  static void provision() throws Exception {
    dir = FashionMnist.provision();
    uri = dir.toUri().toString();
  }

  private static SparkSession spark() {
    return SparkTestSession.get();
  }

  /** Bytes of image {@code index} and its label, read straight from the IDX files. */
  private static byte[] rawImage(Split split, long index) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(split.imagesFile()).toFile(), "r")) {
      byte[] b = new byte[784];
      f.seek(16 + index * 784);
      f.readFully(b);
      return b;
    }
  }

  private static int rawLabel(Split split, long index) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(split.labelsFile()).toFile(), "r")) {
      f.seek(8 + index);
      return f.readUnsignedByte();
    }
  }

  @Test
  void schemaIsIdLabelAndSparkImageStruct() {
    Dataset<Row> df = FashionMnist.read(spark(), Split.TEST, uri);
    assertEquals(FashionMnist.schema(), df.schema());
    assertEquals(ImageSchema.columnSchema(), df.schema().apply("image").dataType());
  }

  @Test
  void trainHolds60000AndTest10000WithDisjointIds() {
    Row train =
        FashionMnist.read(spark(), Split.TRAIN, uri)
            .agg(functionsCount(), min("id"), max("id"), min("label"), max("label"))
            .first();
    assertEquals(60_000L, train.getLong(0));
    assertEquals(0L, train.getLong(1));
    assertEquals(59_999L, train.getLong(2));
    assertEquals(0, train.getInt(3));
    assertEquals(9, train.getInt(4));
    Row test =
        FashionMnist.read(spark(), Split.TEST, uri)
            .agg(functionsCount(), min("id"), max("id"), min("label"), max("label"))
            .first();
    assertEquals(10_000L, test.getLong(0));
    assertEquals(60_000L, test.getLong(1));
    assertEquals(69_999L, test.getLong(2));
    assertEquals(0, test.getInt(3));
    assertEquals(9, test.getInt(4));
  }

  private static org.apache.spark.sql.Column functionsCount() {
    return org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.lit(1));
  }

  @Test
  void everyLabelOccursInTheTestSplit() {
    long distinct =
        FashionMnist.read(spark(), Split.TEST, uri).agg(countDistinct(col("label"))).first()
            .getLong(0);
    assertEquals(FashionMnist.CLASS_NAMES.size(), distinct);
  }

  @Test
  void spotCheckMatchesBytesReadDirectlyFromTheIdxFiles() throws IOException {
    for (Split split : Split.values()) {
      long index = split == Split.TRAIN ? 12_345 : 777;
      Row r =
          FashionMnist.read(spark(), split, uri, 3)
              .filter(col("id").equalTo(split.firstId() + index))
              .first();
      assertEquals(rawLabel(split, index), r.getInt(1));
      Row img = r.getStruct(2);
      assertEquals("fashion-mnist/" + split + "/" + index, img.getString(0));
      assertEquals(28, img.getInt(1));
      assertEquals(28, img.getInt(2));
      assertEquals(1, img.getInt(3));
      assertEquals(0, img.getInt(4));
      assertArrayEquals(rawImage(split, index), (byte[]) img.get(5));
    }
  }

  @Test
  void firstTrainingImageIsAnAnkleBoot() {
    Row r = FashionMnist.read(spark(), Split.TRAIN, uri).first();
    assertEquals(0L, r.getLong(0));
    assertEquals("Ankle boot", FashionMnist.CLASS_NAMES.get(r.getInt(1)));
  }

  @Test
  void manyPartitionsGiveTheSameRowsAsOne() {
    Dataset<Row> one = FashionMnist.read(spark(), Split.TEST, uri, 1);
    Dataset<Row> seven = FashionMnist.read(spark(), Split.TEST, uri, 7);
    assertEquals(1, one.rdd().getNumPartitions());
    assertEquals(7, seven.rdd().getNumPartitions());
    assertEquals(10_000L, seven.count());
    assertEquals(0L, one.except(seven).count());
    assertEquals(0L, seven.except(one).count());
  }

  @Test
  void sameSeedGivesSameSampleAndOtherSeedAnother() {
    long[] a = ids(FashionMnist.sample(spark(), Split.TRAIN, uri, 50, 42L));
    long[] b = ids(FashionMnist.sample(spark(), Split.TRAIN, uri, 50, 42L));
    long[] c = ids(FashionMnist.sample(spark(), Split.TRAIN, uri, 50, 43L));
    assertEquals(50, a.length);
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
    assertArrayEquals(FashionMnist.sampleIds(Split.TRAIN, 50, 42L), a);
    assertEquals(50, Arrays.stream(a).distinct().count());
  }

  @Test
  void sampleRowsAreTheRowsOfThoseIds() throws IOException {
    List<Row> rows = FashionMnist.sample(spark(), Split.TEST, uri, 2_500, 7L).collectAsList();
    assertEquals(2_500, rows.size());
    for (Row r : rows.subList(0, 20)) {
      long index = r.getLong(0) - Split.TEST.firstId();
      assertTrue(index >= 0 && index < 10_000);
      assertEquals(rawLabel(Split.TEST, index), r.getInt(1));
      assertArrayEquals(rawImage(Split.TEST, index), (byte[]) r.getStruct(2).get(5));
    }
  }

  @Test
  void sampleSizeOutOfRangeIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.sampleIds(Split.TEST, 10_001, 1));
    assertTrue(e.getMessage().contains("10001") && e.getMessage().contains("0..10000"));
  }

  @Test
  void gzipCompressedFileFailsTheMagicCheckWithAGunzipHint(@TempDir Path tmp) throws IOException {
    Files.copy(
        FashionMnist.DEBIAN_DIR.resolve("t10k-images-idx3-ubyte.gz"),
        tmp.resolve("t10k-images-idx3-ubyte"));
    Files.copy(dir.resolve("t10k-labels-idx1-ubyte"), tmp.resolve("t10k-labels-idx1-ubyte"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FashionMnist.read(spark(), Split.TEST, tmp.toString()));
    assertTrue(e.getMessage().contains("magic number 0x1f8b0800 is gzip's"), e.getMessage());
    assertTrue(e.getMessage().contains("gunzip"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 0x00000803"), e.getMessage());
  }

  @Test
  void missingFileIsNamedInTheError(@TempDir Path tmp) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FashionMnist.read(spark(), Split.TRAIN, tmp.toString()));
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
  }

  @Test
  void truncatedFileIsRejectedFromItsLength(@TempDir Path tmp) throws IOException {
    Files.write(
        tmp.resolve("t10k-images-idx3-ubyte"),
        Arrays.copyOf(Files.readAllBytes(dir.resolve("t10k-images-idx3-ubyte")), 10_000));
    Files.copy(dir.resolve("t10k-labels-idx1-ubyte"), tmp.resolve("t10k-labels-idx1-ubyte"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FashionMnist.read(spark(), Split.TEST, tmp.toString()));
    assertTrue(e.getMessage().contains("is 10000 bytes but its header implies 7840016"),
        e.getMessage());
  }

  @Test
  void tenClassNames() {
    assertEquals(10, FashionMnist.CLASS_NAMES.size());
    assertEquals("T-shirt/top", FashionMnist.CLASS_NAMES.get(0));
    assertNotEquals(FashionMnist.CLASS_NAMES.get(8), FashionMnist.CLASS_NAMES.get(9));
  }

  private static long[] ids(Dataset<Row> df) {
    return df.select("id").collectAsList().stream().mapToLong(r -> r.getLong(0)).toArray();
  }
}
