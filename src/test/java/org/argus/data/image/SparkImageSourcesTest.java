package org.argus.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.inference.ImageCheck;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Spark's own image sources do with bad files, next to Argus's reader — the evidence behind
 * README's advice to read images with {@link ImageFolder}. Four files: a good JPEG, a zero-byte
 * file, the same JPEG cut at 60 %, and text named {@code .jpg}. If a Spark upgrade changes these
 * behaviours, these tests say so.
 */
class SparkImageSourcesTest {
  @TempDir
  static Path dir;

  @BeforeAll
  static void writeFiles() throws Exception {
    BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    for (int y = 0; y < 480; y++) {
      for (int x = 0; x < 640; x++) {
        img.setRGB(x, y, (x * 255 / 640) << 16 | (y * 255 / 480) << 8 | rnd.nextInt(256));
      }
    }
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(img, "jpg", jpeg);
    byte[] bytes = jpeg.toByteArray();
    Files.write(dir.resolve("good.jpg"), bytes);
    Files.write(dir.resolve("empty.jpg"), new byte[0]);
    Files.write(dir.resolve("truncated.jpg"), Arrays.copyOf(bytes, bytes.length * 6 / 10));
    Files.writeString(dir.resolve("text.jpg"), "not an image at all");
  }

  private static String file(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  @Test
  void sparksBinaryFileSourceSilentlyDropsZeroByteFiles() {
    List<String> files = SparkTestSession.get().read().format("binaryFile").load(dir.toString())
        .select("path").collectAsList().stream().map(r -> file(r.getString(0))).sorted().toList();
    assertEquals(List.of("good.jpg", "text.jpg", "truncated.jpg"), files);
  }

  @Test
  void sparksImageSourceDropsTheZeroByteFileAndDecodesTheTruncatedJpegAtFullSize() {
    SparkSession spark = SparkTestSession.get();
    Map<String, Row> byFile = new TreeMap<>();
    for (Row r : spark.read().format("image").option("dropInvalid", false).load(dir.toString())
        .select("image").collectAsList()) {
      Row img = r.getStruct(0);
      byFile.put(file(img.getString(0)), img);
    }
    assertEquals(List.of("good.jpg", "text.jpg", "truncated.jpg"), List.copyOf(byFile.keySet()),
        "the zero-byte file is not even an invalid row");
    // text: an invalid row (height −1), which Argus's stages detect and count
    assertTrue(ImageCheck.reason(byFile.get("text.jpg")).startsWith("undecodable image (height -1"),
        ImageCheck.reason(byFile.get("text.jpg")));
    // the truncated JPEG: a full-size image (the missing half filled in), indistinguishable from a good one
    Row truncated = byFile.get("truncated.jpg");
    assertEquals(List.of(480, 640), List.of(truncated.getInt(1), truncated.getInt(2)));
    assertEquals(null, ImageCheck.reason(truncated));
  }

  @Test
  void argussImageFolderAccountsForEveryFileWithAReason() {
    ImageReadResult r = ImageFolder.read(SparkTestSession.get(), dir.toString(),
        ImageReadOptions.builder().optLabelFromFolder(false).build());
    assertEquals(new ImageReadResult.Counts(4, 1, 3), r.counts());
    Map<String, String> reasons = new TreeMap<>();
    for (Row q : r.quarantine().collectAsList()) {
      reasons.put(file(q.getString(q.fieldIndex("path"))), q.getString(q.fieldIndex("reason")));
    }
    assertEquals(List.of("empty.jpg", "text.jpg", "truncated.jpg"), List.copyOf(reasons.keySet()));
    assertEquals("zero-byte file", reasons.get("empty.jpg"));
    assertTrue(reasons.get("truncated.jpg").startsWith("truncated or corrupt"), reasons.get("truncated.jpg"));
    assertTrue(reasons.get("text.jpg").startsWith("not an image"), reasons.get("text.jpg"));
    r.close();
  }
}
