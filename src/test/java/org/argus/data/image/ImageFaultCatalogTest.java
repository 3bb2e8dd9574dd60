package org.argus.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-image classes of the fault catalogue (issue "Conformance and reliability"), all in one
 * folder read by {@link ImageFolder}: each file must be either decoded (with the layout it should
 * have) or quarantined with the expected reason, and every file accounted for (read = decoded +
 * quarantined = files written). Each class is a row of the fault catalogue
 * ({@link FaultRecorder}, {@code bench/faults}).
 */
@Tag(FaultRecorder.TAG)
class ImageFaultCatalogTest {
  /** One fault class: its file and what Argus must do with it. */
  private record Fault(String name, String file, byte[] bytes, String expect) {}

  private static byte[] png(BufferedImage img) {
    return TestImages.write(img, "png");
  }

  /** A PNG whose first chunk CRC (IHDR's) is wrong. */
  private static byte[] badCrc(byte[] png) {
    byte[] b = png.clone();
    b[29] ^= 0x5a; // signature 8 + length 4 + "IHDR" 4 + 13 data bytes = CRC at 29..32
    return b;
  }

  /** A JPEG with an EXIF APP1 segment saying orientation 6 (rotate 90° clockwise to display). */
  private static byte[] exifRotated(byte[] jpeg) {
    ByteBuffer tiff = ByteBuffer.allocate(26);
    tiff.put("MM".getBytes(StandardCharsets.US_ASCII)).putShort((short) 42).putInt(8) // header, IFD at 8
        .putShort((short) 1) // one entry
        .putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 6).putShort((short) 0) // Orientation
        .putInt(0); // no next IFD
    byte[] exif = ("Exif\0\0").getBytes(StandardCharsets.US_ASCII);
    int len = 2 + exif.length + tiff.capacity();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2); // SOI
    out.write(0xff);
    out.write(0xe1);
    out.write(len >> 8);
    out.write(len & 0xff);
    out.write(exif, 0, exif.length);
    out.write(tiff.array(), 0, tiff.capacity());
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  private static List<Fault> faults() {
    BufferedImage rgb = TestImages.gradientRgb();
    String size = rgb.getHeight() + "x" + rgb.getWidth();
    BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    one.setRGB(0, 0, 0x336699);
    List<Fault> f = new ArrayList<>();
    f.add(new Fault("zero-byte file", "f01.jpg", new byte[0], "quarantined: zero-byte file"));
    f.add(new Fault("truncated JPEG (50 %)", "f02.jpg", TestImages.truncated(TestImages.noisyJpeg(200, 150), 0.5),
        "quarantined: truncated or corrupt JPEG"));
    f.add(new Fault("truncated PNG (50 %)", "f03.png", TestImages.truncated(TestImages.noisyPng(200, 150), 0.5),
        "quarantined: truncated or corrupt PNG"));
    f.add(new Fault("PNG with a bad CRC", "f04.png", badCrc(png(rgb)), "quarantined: truncated or corrupt PNG"));
    f.add(new Fault("text named .jpg", "f05.jpg", "just some text".getBytes(StandardCharsets.US_ASCII),
        "quarantined: not an image"));
    f.add(new Fault("PDF", "f06.jpg", "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".getBytes(StandardCharsets.ISO_8859_1),
        "quarantined: not an image"));
    f.add(new Fault("CMYK JPEG", "f07.jpg", TestImages.cmykJpeg(0, 255, 255, 255), "decoded 3 channels"));
    f.add(new Fault("16-bit PNG (gray)", "f08.png", png(TestImages.gray16()), "decoded 1 channels"));
    f.add(new Fault("16-bit PNG (RGB)", "f09.png", png(TestImages.rgb16()), "decoded 3 channels"));
    f.add(new Fault("RGBA PNG", "f10.png", png(TestImages.gradientArgb()), "decoded 4 channels"));
    f.add(new Fault("grey PNG", "f11.png", png(TestImages.gradientGray()), "decoded 1 channels"));
    f.add(new Fault("1x1 PNG", "f12.png", png(one), "decoded 1x1, 3 channels"));
    f.add(new Fault("50 000 x 50 000 header (decompression bomb)", "f13.png", TestImages.pngHeaderClaiming(50_000, 50_000),
        "quarantined: image 50000x50000 = 2500000000 pixels exceeds maxPixels"));
    f.add(new Fault("EXIF orientation 6 (rotated) JPEG", "f14.jpg", exifRotated(TestImages.jpeg(rgb)),
        "decoded " + size + ", 3 channels (stored orientation; EXIF rotation not applied)"));
    return f;
  }

  @Test
  void everyBadImageIsDecodedOrQuarantinedWithItsReasonAndNoneIsLost(@TempDir Path dir) throws Exception {
    List<Fault> faults = faults();
    for (Fault f : faults) {
      Files.write(dir.resolve(f.file()), f.bytes());
    }
    ImageReadResult r = ImageFolder.read(SparkTestSession.get(), dir.toString(),
        ImageReadOptions.builder().optLabelFromFolder(false).build());
    Map<String, String> outcome = new TreeMap<>();
    for (Row q : r.quarantine().collectAsList()) {
      outcome.put(name(q.getString(q.fieldIndex("path"))), "quarantined: " + q.getString(q.fieldIndex("reason")));
    }
    for (Row d : r.decoded().collectAsList()) {
      Row img = d.getStruct(d.fieldIndex("image"));
      outcome.put(name(img.getString(0)), "decoded " + img.getInt(1) + "x" + img.getInt(2) + ", " + img.getInt(3)
          + " channels");
    }
    ImageReadResult.Counts counts = r.counts();
    r.close();
    assertEquals(faults.size(), counts.read(), "every file read");
    assertEquals(counts.read(), counts.decoded() + counts.quarantined(), "every file accounted for");
    Map<String, String> table = new LinkedHashMap<>();
    for (Fault f : faults) {
      String got = outcome.get(f.file());
      String want = f.expect().replace(" (stored orientation; EXIF rotation not applied)", "");
      boolean ok = got != null && (want.startsWith("decoded ") && !want.contains("x")
          ? got.startsWith("decoded ") && got.endsWith(want.substring("decoded ".length()))
          : got.startsWith(want));
      assertTrue(ok, f.name() + ": expected " + f.expect() + ", got " + got);
      table.put(f.name(), got + (f.expect().contains("EXIF") ? " (stored orientation; EXIF rotation not applied)" : ""));
    }
    for (Map.Entry<String, String> e : table.entrySet()) {
      FaultRecorder.record(FaultRecorder.Group.IMAGES, e.getKey(), "ImageFolder.read: " + e.getValue(),
          "no: read " + counts.read() + " = decoded " + counts.decoded() + " + quarantined " + counts.quarantined());
    }
  }

  private static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
