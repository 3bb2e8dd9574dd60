package org.argus.surfaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.data.image.ImageDecoder;
import org.argus.execution.ProgressSink;
import org.argus.execution.inference.ImageCheck;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.TransferSpec;
import org.argus.surfaces.ml.Argus;
import org.argus.surfaces.ml.DeepImageFeaturizer;
import org.argus.surfaces.ml.DeepImagePredictor;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same invalid image gives the same reason string on every surface — the featurizer's and
 * the predictor's {@code invalid_reason}, a SQL function's error, feature transfer's quarantine —
 * because all of them go through the one inference kernel's checks ({@link ImageCheck}, {@link
 * ImageDecoder}). Encoded files (zero-byte, truncated, not an image) reach the stages and SQL as
 * {@code binaryFile} content and transfer through an image folder; an image struct with a wrong
 * channel count reaches every surface as a struct.
 */
class InvalidImageReasonsTest {
  enum Surface { FEATURIZER, PREDICTOR, SQL, TRANSFER }

  enum Bad { ZERO_BYTE, TRUNCATED, NOT_AN_IMAGE, WRONG_CHANNEL_COUNT }

  @TempDir static Path tmp;
  private static List<Row> good;
  private static byte[] png;

  @BeforeAll
  static void setUp() throws Exception {
    SparkSession spark = SparkTestSession.get();
    good = FashionMnist.sample(spark, FashionMnist.Split.TEST, 12, 5).select("image", "label").collectAsList();
    png = pngOf(good.get(0).getStruct(0));
    Argus.registerFunctions(spark);
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Surface s : Surface.values()) {
      for (Bad b : Bad.values()) {
        out.add(Arguments.of(s, b));
      }
    }
    return out.stream();
  }

  static byte[] pngOf(Row img) throws Exception {
    BufferedImage bi = new BufferedImage(img.getInt(2), img.getInt(1), BufferedImage.TYPE_BYTE_GRAY);
    bi.getRaster().setDataElements(0, 0, img.getInt(2), img.getInt(1), (byte[]) img.get(5));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(bi, "png", out);
    return out.toByteArray();
  }

  static byte[] bytes(Bad b) {
    return switch (b) {
      case ZERO_BYTE -> new byte[0];
      case TRUNCATED -> Arrays.copyOf(png, png.length / 2);
      case NOT_AN_IMAGE -> "%PDF-1.4 this is not an image".getBytes(StandardCharsets.US_ASCII);
      default -> throw new IllegalArgumentException(b.name());
    };
  }

  /** An image struct claiming 2 channels (gray+alpha is not a Spark image mode). */
  static Row twoChannels() {
    Row g = good.get(0).getStruct(0);
    byte[] data = new byte[g.getInt(1) * g.getInt(2) * 2];
    return RowFactory.create("two-channels.png", g.getInt(1), g.getInt(2), 2, 0, data);
  }

  /** The reason the kernel's checks give, computed straight from them. */
  static String expected(Bad b) {
    return b == Bad.WRONG_CHANNEL_COUNT ? ImageCheck.reason(twoChannels()) : ImageDecoder.decode(bytes(b)).reason();
  }

  /** One bad row plus good ones, as {@code binaryFile}'s (path, content) or an image struct column. */
  static Dataset<Row> input(Bad b) throws Exception {
    SparkSession spark = SparkTestSession.get();
    if (b == Bad.WRONG_CHANNEL_COUNT) {
      StructType schema = new StructType().add("id", DataTypes.LongType).add("image", ImageSchema.columnSchema())
          .add("label", DataTypes.IntegerType);
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < good.size(); i++) {
        rows.add(RowFactory.create((long) i, good.get(i).get(0), good.get(i).getInt(1) % 2));
      }
      rows.add(RowFactory.create(99L, twoChannels(), 0));
      return spark.createDataFrame(rows, schema);
    }
    StructType schema = new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType);
    return spark.createDataFrame(List.of(RowFactory.create("good.png", png), RowFactory.create("bad", bytes(b))),
        schema);
  }

  @ParameterizedTest(name = "{0} × {1}")
  @MethodSource("cases")
  void theSameInvalidImageGivesTheSameReasonOnEverySurface(Surface surface, Bad bad) throws Exception {
    String expected = expected(bad);
    assertNotNull(expected, "the case must be invalid");
    String col = bad == Bad.WRONG_CHANNEL_COUNT ? "image" : "content";
    switch (surface) {
      case FEATURIZER -> {
        Dataset<Row> out = new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(32).setInputCol(col)
            .setLayers("block_1_expand_relu").setHandleInvalid("keep").transform(input(bad));
        assertEquals(List.of(expected), reasons(out));
      }
      case PREDICTOR -> {
        Dataset<Row> out = new DeepImagePredictor().setModelName("mobilenet_v2").setInputCol(col)
            .setHandleInvalid("keep").transform(input(bad));
        assertEquals(List.of(expected), reasons(out));
      }
      case SQL -> {
        input(bad).createOrReplaceTempView("bad_images");
        Exception e = assertThrows(Exception.class, () -> SparkTestSession.get()
            .sql("SELECT argus_featurize('mobilenet_v2', 'block_1_expand_relu', " + col + ") FROM bad_images")
            .collectAsList());
        assertTrue(chain(e).contains(": " + expected), chain(e));
      }
      case TRANSFER -> {
        TransferSpec.Builder spec = TransferSpec.builder().setModel("mobilenet_v2").optInputSize(32)
            .setLayers(List.of("block_1_expand_relu"));
        if (bad == Bad.WRONG_CHANNEL_COUNT) {
          spec.setImages(input(bad));
        } else {
          spec.setImageFolder(folder(bad).toString());
        }
        FeatureTransfer ft = FeatureTransfer.prepare(SparkTestSession.get(), spec.build(), ProgressSink.SILENT);
        assertEquals(java.util.Map.of(expected, 1L), ft.counts().quarantineReasons());
        assertEquals(1, ft.counts().quarantinedUndecodable());
        assertEquals(List.of(expected), ft.quarantine().select("reason").as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList());
      }
      default -> throw new IllegalStateException();
    }
  }

  private static List<String> reasons(Dataset<Row> out) {
    return out.filter("invalid_reason is not null").select("invalid_reason")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

  /** A two-class image folder of good PNGs plus the bad file. */
  private static Path folder(Bad bad) throws Exception {
    Path root = Files.createTempDirectory(tmp, bad.name());
    for (int i = 0; i < good.size(); i++) {
      Path d = Files.createDirectories(root.resolve(i % 2 == 0 ? "even" : "odd"));
      Files.write(d.resolve(i + ".png"), pngOf(good.get(i).getStruct(0)));
    }
    Files.write(root.resolve("even").resolve("bad.png"), bytes(bad));
    return root;
  }

  private static String chain(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append(" | ");
    }
    return sb.toString();
  }
}
