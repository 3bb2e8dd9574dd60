package org.argus.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark tests of the image-folder reader on a tree of real and deliberately broken files. */
class ImageFolderTest {
  @TempDir static Path root;
  private static ImageReadResult result;

  private static final Map<String, String> EXPECTED_REASONS = new HashMap<>();

  @BeforeAll
  static void writeTreeAndRead() throws IOException {
    put("shirts/quadrants.jpg", TestImages.jpeg(TestImages.quadrantsRgb()));
    put("shirts/deep/nested/rgba.png", TestImages.write(TestImages.gradientArgb(), "png"));
    put("shoes/gray.png", TestImages.write(TestImages.gradientGray(), "png"));
    put("shoes/palette.gif", TestImages.write(TestImages.palette(), "gif"));
    put("shoes/rgb.bmp", TestImages.write(TestImages.gradientRgb(), "bmp"));
    put("shoes/gray16.png", TestImages.write(TestImages.gray16(), "png"));
    put("shoes/cmyk.jpg", TestImages.cmykJpeg(0, 255, 255, 255));
    put("ankle boot/100% wool/boot.png", TestImages.write(TestImages.gradientRgb(), "png"));
    put("loose.png", TestImages.write(TestImages.gradientGray(), "png"));

    bad("bad/zero.jpg", new byte[0], "zero-byte file");
    bad(
        "bad/text.jpg",
        "just some text".getBytes(StandardCharsets.US_ASCII),
        "not an image: no decoder recognises the content (first bytes: 6a 75 73 74)");
    bad(
        "bad/doc.pdf",
        "%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII),
        "not an image: no decoder recognises the content (first bytes: 25 50 44 46)");
    bad(
        "bad/huge.png",
        TestImages.pngHeaderClaiming(50_000, 50_000),
        "image 50000x50000 = 2500000000 pixels exceeds maxPixels 67108864");
    bad(
        "bad/truncated.jpg",
        TestImages.truncated(TestImages.noisyJpeg(200, 150), 0.5),
        "truncated or corrupt JPEG: ");
    bad(
        "bad/corrupt.jpg",
        TestImages.corruptMiddle(TestImages.noisyJpeg(200, 150), 64),
        "truncated or corrupt JPEG: ");
    bad(
        "bad/truncated.png",
        TestImages.truncated(TestImages.noisyPng(200, 150), 0.5),
        "truncated or corrupt PNG: ");
    result = ImageFolder.read(spark(), root.toString());
  }

  @AfterAll
  static void release() {
    result.close();
  }

  private static SparkSession spark() {
    return SparkTestSession.get();
  }

  private static void put(String rel, byte[] bytes) throws IOException {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
  }

  private static void bad(String rel, byte[] bytes, String reasonPrefix) throws IOException {
    put(rel, bytes);
    EXPECTED_REASONS.put(rel.substring(rel.lastIndexOf('/') + 1), reasonPrefix);
  }

  private static String name(Row r) {
    String p = r.getString(0);
    return p.substring(p.lastIndexOf('/') + 1);
  }

  private static Row decodedRow(String fileName) {
    return result.decoded().collectAsList().stream()
        .filter(r -> name(r).equals(fileName))
        .findFirst()
        .orElseThrow(() -> new AssertionError(fileName + " not decoded"));
  }

  @Test
  void readEqualsDecodedPlusQuarantined() {
    ImageReadResult.Counts c = result.counts();
    assertEquals(16, c.read());
    assertEquals(9, c.decoded());
    assertEquals(7, c.quarantined());
    assertEquals(c.read(), c.decoded() + c.quarantined());
    assertEquals(c.decoded(), result.decoded().count());
    assertEquals(c.quarantined(), result.quarantine().count());
  }

  @Test
  void everyBadFileIsQuarantinedWithItsSpecificReason() {
    List<Row> q = result.quarantine().collectAsList();
    assertEquals(EXPECTED_REASONS.size(), q.size());
    for (Row r : q) {
      String expected = EXPECTED_REASONS.get(name(r));
      String reason = r.getString(2);
      assertTrue(reason.startsWith(expected), name(r) + ": '" + reason + "' vs '" + expected + "'");
      if (expected.endsWith(": ")) {
        assertTrue(reason.length() > expected.length(), "reason names the decoder's complaint");
      } else {
        assertEquals(expected, reason);
      }
      assertEquals("bad", r.getString(1));
    }
  }

  @Test
  void outputsHaveSparkImageSchema() {
    assertEquals(ImageSchema.columnSchema(), result.decoded().schema().apply("image").dataType());
    assertEquals(List.of("path", "label", "image"), List.of(result.decoded().columns()));
    assertEquals(List.of("path", "label", "reason"), List.of(result.quarantine().columns()));
  }

  @Test
  void labelIsTheFirstLevelFolderAtAnyDepth() {
    assertEquals("shirts", decodedRow("rgba.png").getString(1));
    assertEquals("shoes", decodedRow("gray.png").getString(1));
    assertNull(decodedRow("loose.png").getString(1), "file directly in root has no label");
    assertEquals("ankle boot", decodedRow("boot.png").getString(1), "spaces and % survive");
  }

  @Test
  void decodedBgraPixelsEqualWhatWasWritten() {
    Row img = decodedRow("rgba.png").getStruct(2);
    assertEquals(TestImages.H, img.getInt(1));
    assertEquals(TestImages.W, img.getInt(2));
    assertEquals(4, img.getInt(3));
    assertEquals(DecodedImage.CV_8UC4, img.getInt(4));
    assertArrayEquals(ImageDecoderTest.bgr(TestImages.gradientArgb(), true), (byte[]) img.get(5));
    assertTrue(img.getString(0).endsWith("shirts/deep/nested/rgba.png"), img.getString(0));
  }

  @Test
  void decodedBgrPixelsOfBmpEqualWhatWasWritten() {
    Row img = decodedRow("rgb.bmp").getStruct(2);
    assertEquals(3, img.getInt(3));
    assertEquals(DecodedImage.CV_8UC3, img.getInt(4));
    assertArrayEquals(ImageDecoderTest.bgr(TestImages.gradientRgb(), false), (byte[]) img.get(5));
  }

  @Test
  void grayAndSixteenBitAndCmykAndPaletteDecodeToTheirChannelCounts() {
    assertEquals(1, decodedRow("gray.png").getStruct(2).getInt(3));
    assertEquals(1, decodedRow("gray16.png").getStruct(2).getInt(3));
    assertEquals(3, decodedRow("cmyk.jpg").getStruct(2).getInt(3));
    assertEquals(3, decodedRow("palette.gif").getStruct(2).getInt(3));
    assertEquals(3, decodedRow("quadrants.jpg").getStruct(2).getInt(3));
  }

  @Test
  void decodeIsPersistedInMemoryAndOnDisk() {
    assertEquals(StorageLevel.MEMORY_AND_DISK(), result.all().storageLevel());
  }

  @Test
  void eachFileIsDecodedExactlyOnceAcrossActionsOnEveryOutput() {
    try (ImageReadResult r = ImageFolder.read(spark(), root.toString())) {
      assertEquals(0, r.decodes(), "reading is lazy");
      ImageReadResult.Counts c = r.counts();
      r.decoded().collectAsList();
      r.quarantine().collectAsList();
      r.decoded().count();
      r.all().select("path").collectAsList();
      assertEquals(16, c.read());
      assertEquals(c.read(), r.decodes(), "decoder calls after five actions");
    }
  }

  @Test
  void afterCloseTheNextActionDecodesEveryFileAgain() {
    ImageReadResult r = ImageFolder.read(spark(), root.resolve("shoes").toString());
    long read = r.counts().read();
    r.close();
    assertEquals(read, r.counts().read());
    assertEquals(2 * read, r.decodes(), "the counter sees a recomputation");
  }

  @Test
  void extensionFilterReadsOnlyMatchingFiles() {
    try (ImageReadResult pngs =
        ImageFolder.read(
            spark(),
            root.toString(),
            ImageReadOptions.builder().optExtensions(Set.of(".PNG")).build())) {
      ImageReadResult.Counts c = pngs.counts();
      assertEquals(new ImageReadResult.Counts(7, 5, 2), c); // 5 good PNGs; huge + truncated
    }
  }

  @Test
  void labelsCanBeSwitchedOff() {
    try (ImageReadResult r =
        ImageFolder.read(
            spark(),
            root.resolve("shoes").toString(),
            ImageReadOptions.builder().optLabelFromFolder(false).build())) {
      assertEquals(0, r.all().filter("label is not null").count());
      assertEquals(5, r.counts().decoded());
    }
  }

  @Test
  void smallerMaxPixelsQuarantinesLargerImages() {
    try (ImageReadResult r =
        ImageFolder.read(
            spark(),
            root.resolve("shirts").toString(),
            ImageReadOptions.builder().optMaxPixels(100).build())) {
      List<Row> q = r.quarantine().collectAsList();
      assertEquals(2, q.size());
      assertEquals("image 16x12 = 192 pixels exceeds maxPixels 100", q.get(0).getString(2));
    }
  }

  @Test
  void missingRootIsRejectedBeforeAnyJob() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ImageFolder.read(spark(), root.resolve("nope").toString()));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void invalidOptionsAreRejectedInBuild() {
    assertThrows(
        IllegalArgumentException.class, () -> ImageReadOptions.builder().optMaxPixels(0).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ImageReadOptions.builder().optExtensions(Set.of(" ")).build());
  }

  @Test
  void labelOfTakesTheFirstSegmentBelowTheRoot() {
    assertEquals("cat", ImageFolder.labelOf("file:/d/imgs", "file:/d/imgs/cat/x/y.jpg"));
    assertEquals("cat", ImageFolder.labelOf("file:/d/imgs/", "file:/d/imgs/cat/y.jpg"));
    assertNull(ImageFolder.labelOf("file:/d/imgs", "file:/d/imgs/y.jpg"));
    assertNull(ImageFolder.labelOf("file:/d/imgs", "file:/d/other/cat/y.jpg"));
  }

  @Test
  void realDarknetPhotosAllDecode() {
    Path darknet = Path.of("/usr/share/darknet/data");
    assertTrue(Files.isDirectory(darknet), "Debian package darknet must be installed");
    try (ImageReadResult r =
        ImageFolder.read(
            spark(),
            darknet.toString(),
            ImageReadOptions.builder().optPathGlobFilter("*.jpg").build())) {
      ImageReadResult.Counts c = r.counts();
      assertEquals(0, c.quarantined(), () -> r.quarantine().collectAsList().toString());
      assertTrue(c.decoded() >= 7, "decoded " + c.decoded());
      Row dog =
          r.decoded().filter("path like '%/dog.jpg'").select("image.*").collectAsList().get(0);
      assertEquals(576, dog.getInt(1));
      assertEquals(768, dog.getInt(2));
      assertEquals(3, dog.getInt(3));
      assertEquals(576 * 768 * 3, ((byte[]) dog.get(5)).length);
    }
  }
}
