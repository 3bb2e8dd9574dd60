package org.argus.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Pure unit tests of the per-file decoder (no Spark). */
class ImageDecoderTest {

  private static DecodedImage decoded(byte[] file) {
    DecodeResult r = ImageDecoder.decode(file);
    assertNull(r.reason(), "expected a decoded image");
    return r.image();
  }

  private static String reason(byte[] file) {
    DecodeResult r = ImageDecoder.decode(file);
    assertNull(r.image(), "expected a rejection");
    return r.reason();
  }

  /** Expected BGR(A) bytes of an ARGB image, straight from getRGB. */
  static byte[] bgr(BufferedImage img, boolean alpha) {
    int c = alpha ? 4 : 3;
    byte[] out = new byte[img.getWidth() * img.getHeight() * c];
    int i = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int p = img.getRGB(x, y);
        out[i++] = (byte) p;
        out[i++] = (byte) (p >> 8);
        out[i++] = (byte) (p >> 16);
        if (alpha) {
          out[i++] = (byte) (p >>> 24);
        }
      }
    }
    return out;
  }

  @Test
  void pngRgbaDecodesToBgraExactly() {
    BufferedImage src = TestImages.gradientArgb();
    DecodedImage img = decoded(TestImages.write(src, "png"));
    assertEquals(4, img.nChannels());
    assertEquals(DecodedImage.CV_8UC4, img.mode());
    assertEquals(TestImages.H, img.height());
    assertEquals(TestImages.W, img.width());
    assertArrayEquals(bgr(src, true), img.data());
  }

  @Test
  void pngGrayDecodesToOneChannelRowMajor() {
    BufferedImage src = TestImages.gradientGray();
    DecodedImage img = decoded(TestImages.write(src, "png"));
    assertEquals(1, img.nChannels());
    assertEquals(DecodedImage.CV_8UC1, img.mode());
    assertEquals(13 * 5 + 3 * 7, img.sample(5, 7, 0));
    assertEquals(13 * 15 + 3 * 11, img.sample(15, 11, 0));
  }

  @Test
  void bmpDecodesToBgrExactly() {
    BufferedImage src = TestImages.gradientRgb();
    DecodedImage img = decoded(TestImages.write(src, "bmp"));
    assertEquals(3, img.nChannels());
    assertEquals(DecodedImage.CV_8UC3, img.mode());
    assertArrayEquals(bgr(src, false), img.data());
  }

  @Test
  void gifPaletteDecodesToPaletteColoursInBgr() {
    DecodedImage img = decoded(TestImages.write(TestImages.palette(), "gif"));
    assertEquals(3, img.nChannels());
    for (int y = 0; y < TestImages.H; y++) {
      for (int x = 0; x < TestImages.W; x++) {
        int p = TestImages.PALETTE[(x + y) % 4];
        assertEquals(p & 0xff, img.sample(x, y, 0), "B at " + x + "," + y);
        assertEquals((p >> 8) & 0xff, img.sample(x, y, 1), "G at " + x + "," + y);
        assertEquals((p >> 16) & 0xff, img.sample(x, y, 2), "R at " + x + "," + y);
      }
    }
  }

  @Test
  void gifWithTransparentPaletteEntryDecodesToBgra() {
    byte[] r = {0, (byte) 255, 0, 0};
    byte[] g = {0, 0, (byte) 255, 0};
    byte[] b = {0, 0, 0, (byte) 255};
    java.awt.image.IndexColorModel cm = new java.awt.image.IndexColorModel(2, 4, r, g, b, 0);
    BufferedImage src =
        new BufferedImage(TestImages.W, TestImages.H, BufferedImage.TYPE_BYTE_INDEXED, cm);
    for (int y = 0; y < TestImages.H; y++) {
      for (int x = 0; x < TestImages.W; x++) {
        src.getRaster().setSample(x, y, 0, (x + y) % 4);
      }
    }
    DecodedImage img = decoded(TestImages.write(src, "gif"));
    assertEquals(4, img.nChannels());
    assertEquals(DecodedImage.CV_8UC4, img.mode());
    assertEquals(0, img.sample(0, 0, 3), "index 0 is transparent");
    assertEquals(255, img.sample(1, 0, 3));
    assertEquals(255, img.sample(1, 0, 2), "index 1 is red: R in channel 2");
    assertEquals(255, img.sample(3, 0, 0), "index 3 is blue: B in channel 0");
  }

  @Test
  void decodedImageRejectsInconsistentLayouts() {
    assertThrows(IllegalArgumentException.class, () -> new DecodedImage(2, 2, 3, 0, new byte[12]));
    assertThrows(IllegalArgumentException.class, () -> new DecodedImage(2, 2, 2, 0, new byte[8]));
    assertThrows(IllegalArgumentException.class, () -> new DecodedImage(2, 2, 1, 0, new byte[5]));
    assertThrows(IllegalArgumentException.class, () -> DecodeResult.rejected(null));
  }

  @Test
  void jpegRgbDecodesToBgrWithinJpegLoss() {
    DecodedImage img = decoded(TestImages.jpeg(TestImages.quadrantsRgb()));
    assertEquals(3, img.nChannels());
    // centre of each flat quadrant: red, green, blue, white in B,G,R order
    assertBgrNear(img, 2, 2, 0, 0, 255);
    assertBgrNear(img, 13, 2, 0, 255, 0);
    assertBgrNear(img, 2, 9, 255, 0, 0);
    assertBgrNear(img, 13, 9, 255, 255, 255);
  }

  @Test
  void cmykJpegIsConvertedToBgr() {
    // Adobe CMYK stores inverted ink: (0,255,255,255) = full cyan, no magenta/yellow/black
    DecodedImage cyan = decoded(TestImages.cmykJpeg(0, 255, 255, 255));
    assertEquals(3, cyan.nChannels());
    assertTrue(cyan.sample(3, 3, 0) > 200 && cyan.sample(3, 3, 1) > 120, "cyan: high B and G");
    assertTrue(cyan.sample(3, 3, 2) < 60, "cyan: low R, got " + cyan.sample(3, 3, 2));
    DecodedImage white = decoded(TestImages.cmykJpeg(255, 255, 255, 255));
    assertBgrNear(white, 3, 3, 255, 255, 255);
  }

  @Test
  void sixteenBitGrayPngKeepsTheHighByte() {
    DecodedImage img = decoded(TestImages.write(TestImages.gray16(), "png"));
    assertEquals(1, img.nChannels());
    assertEquals((4000 * 9 + 100 * 4 + 77) >> 8, img.sample(9, 4, 0));
    assertEquals((4000 * 15 + 100 * 11 + 77) >> 8, img.sample(15, 11, 0));
  }

  @Test
  void sixteenBitRgbPngKeepsTheHighByteInBgrOrder() {
    DecodedImage img = decoded(TestImages.write(TestImages.rgb16(), "png"));
    assertEquals(3, img.nChannels());
    assertEquals((65535 - 3000 * 7) >> 8, img.sample(7, 5, 0));
    assertEquals((5000 * 5) >> 8, img.sample(7, 5, 1));
    assertEquals((4000 * 7) >> 8, img.sample(7, 5, 2));
  }

  @Test
  void zeroByteFileIsRejected() {
    assertEquals("zero-byte file", reason(new byte[0]));
  }

  @Test
  void textFileIsNotAnImage() {
    assertEquals(
        "not an image: no decoder recognises the content (first bytes: 68 65 6c 6c)",
        reason("hello, I am not a JPEG".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void pdfIsNotAnImage() {
    assertEquals(
        "not an image: no decoder recognises the content (first bytes: 25 50 44 46)",
        reason("%PDF-1.4\n%\u00e2\u00e3\n1 0 obj\n".getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void truncatedJpegIsRejectedEvenThoughImageioOnlyWarns() {
    String r = reason(TestImages.truncated(TestImages.noisyJpeg(200, 150), 0.5));
    assertTrue(r.startsWith("truncated or corrupt JPEG: "), r);
  }

  @Test
  void jpegCorruptedInTheMiddleIsRejected() {
    String r = reason(TestImages.corruptMiddle(TestImages.noisyJpeg(200, 150), 64));
    assertTrue(r.startsWith("truncated or corrupt JPEG: "), r);
  }

  @Test
  void truncatedPngIsRejected() {
    String r = reason(TestImages.truncated(TestImages.noisyPng(200, 150), 0.5));
    assertTrue(r.startsWith("truncated or corrupt PNG: "), r);
  }

  @Test
  void pngWithABadChunkCrcIsRejectedThoughImageioWouldDecodeIt() {
    byte[] png = TestImages.write(TestImages.gradientRgb(), "png");
    assertNull(ImageDecoder.pngCrcProblem(png), "a PNG as written has correct CRCs");
    byte[] bad = png.clone();
    bad[29] ^= 0x5a; // the IHDR chunk's CRC (signature 8 + length 4 + type 4 + data 13)
    String r = reason(bad);
    assertTrue(r.startsWith("truncated or corrupt PNG: chunk IHDR at byte 8 has CRC "), r);
    byte[] pixels = png.clone();
    pixels[png.length - 20] ^= 0x01; // a byte of the last IDAT's data (IEND is the last 12 bytes)
    assertTrue(reason(pixels).startsWith("truncated or corrupt PNG: chunk IDAT at byte "), reason(pixels));
  }

  @Test
  void hugeDeclaredDimensionsAreRejectedFromTheHeader() {
    assertEquals(
        "image 50000x50000 = 2500000000 pixels exceeds maxPixels 67108864",
        reason(TestImages.pngHeaderClaiming(50_000, 50_000)));
  }

  @Test
  void maxPixelsIsInclusive() {
    byte[] png = TestImages.write(TestImages.gradientGray(), "png");
    assertTrue(ImageDecoder.decode(png, TestImages.W * TestImages.H).isDecoded());
    assertEquals(
        "image 16x12 = 192 pixels exceeds maxPixels 191",
        ImageDecoder.decode(png, TestImages.W * TestImages.H - 1).reason());
  }

  @Test
  void invalidMaxPixelsIsAProgrammingError() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageDecoder.decode(new byte[1], 0));
    assertTrue(e.getMessage().contains("maxPixels = 0"), e.getMessage());
  }

  @Test
  void colourProfileWarningsAreBenignButDataWarningsAreNot() {
    assertTrue(ImageDecoder.isBenign("No embedded ICC color profile, will convert using ..."));
    assertTrue(!ImageDecoder.isBenign("Corrupt JPEG data: premature end of data segment"));
    assertTrue(!ImageDecoder.isBenign("Truncated File - Missing EOI marker"));
  }

  private static void assertBgrNear(DecodedImage img, int x, int y, int b, int g, int r) {
    int[] got = {img.sample(x, y, 0), img.sample(x, y, 1), img.sample(x, y, 2)};
    int[] want = {b, g, r};
    for (int c = 0; c < 3; c++) {
      assertTrue(
          Math.abs(got[c] - want[c]) <= 12,
          "pixel " + x + "," + y + " channel " + c + ": got " + got[c] + ", want ~" + want[c]);
    }
  }
}
