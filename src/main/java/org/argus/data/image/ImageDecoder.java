package org.argus.data.image;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes one file's bytes into Spark's image layout ({@link DecodedImage}) or a specific reason
 * for rejecting it. Plain Java, no Spark: usable from any stage (e.g. a featurizer over {@code
 * binaryFile} content). Thread-safe; every call uses its own {@link ImageReader}.
 *
 * <p>Decoding uses javax.imageio with the TwelveMonkeys JPEG plugin (CMYK/YCCK JPEGs): JPEG, PNG,
 * GIF (first frame) and BMP. Conversion follows Spark's ImageSchema: gray without alpha → 1 channel
 * ({@code CV_8UC1}); colour or palette without alpha → 3 channels B, G, R ({@code CV_8UC3}); any
 * image with alpha (including gray+alpha and palettes with transparency) → 4 channels B, G, R, A
 * ({@code CV_8UC4}). CMYK/YCCK JPEGs are converted to sRGB by the plugin. Samples deeper than 8 bits
 * (16-bit PNG) are converted to 8 bits by keeping the high byte ({@code v >> 8}); samples shallower
 * than 8 bits are scaled to 0..255.
 *
 * <p>Rejections (never exceptions) and their reasons:
 *
 * <ul>
 *   <li>{@code "zero-byte file"}
 *   <li>{@code "not an image: no decoder recognises the content (first bytes: 25 50 44 46)"}
 *   <li>{@code "image 50000x50000 = 2500000000 pixels exceeds maxPixels 67108864"} — checked from
 *       the header before any pixel is decoded (decompression bombs)
 *   <li>{@code "truncated or corrupt JPEG: Truncated File - Missing EOI marker"}, {@code "truncated
 *       or corrupt JPEG: Corrupt JPEG data: premature end of data segment"}, {@code "truncated or
 *       corrupt PNG: Error reading PNG image data (Unexpected end of ZLIB input stream)"} — any
 *       exception <em>or warning</em> of the reader (javax.imageio often only warns on truncated
 *       data and returns a gray-filled image, so warnings count as corruption), except warnings
 *       about metadata or colour management only ({@link #isBenign}: ICC profile, JFIF, EXIF,
 *       APPn, thumbnail), which do not affect the pixels
 *   <li>{@code "truncated or corrupt PNG: chunk IHDR at byte 8 has CRC …, its bytes give …"} — a
 *       PNG chunk whose CRC-32 does not match its bytes (ImageIO itself ignores PNG CRCs)
 *   <li>{@code "truncated or corrupt PNG header: ..."} when even the dimensions cannot be read
 * </ul>
 */
public final class ImageDecoder {
  /** Default pixel cap: 64 Mi pixels (67 108 864), e.g. 8192×8192. */
  public static final long DEFAULT_MAX_PIXELS = 64L * 1024 * 1024;

  /** Largest accepted {@code maxPixels}: 4 bytes per pixel must fit a Java array. */
  public static final long MAX_MAX_PIXELS = (Integer.MAX_VALUE - 8) / 4;

  static {
    // Register plugins visible to this class loader too (Spark executors may load our jar and
    // TwelveMonkeys through a child class loader that the JVM-wide registry did not scan).
    ImageIO.scanForPlugins();
  }

  private ImageDecoder() {}

  /**
   * Decodes with {@link #DEFAULT_MAX_PIXELS}.
   *
   * @param bytes the whole file
   * @return the image or a rejection with its reason
   * @see #decode(byte[], long)
   */
  public static DecodeResult decode(byte[] bytes) {
    return decode(bytes, DEFAULT_MAX_PIXELS);
  }

  /**
   * Decodes one file's content.
   *
   * @param bytes the whole file
   * @param maxPixels largest accepted {@code width * height}, {@code 1..MAX_MAX_PIXELS}; larger
   *     images are rejected from their header, before decoding
   * @return the image, or a rejection with a specific reason; never throws for bad content
   * @throws NullPointerException when {@code bytes} is null
   * @throws IllegalArgumentException when {@code maxPixels} is out of range
   */
  public static DecodeResult decode(byte[] bytes, long maxPixels) {
    Objects.requireNonNull(bytes, "bytes");
    checkMaxPixels(maxPixels);
    if (bytes.length == 0) {
      return DecodeResult.rejected("zero-byte file");
    }
    String format = "image";
    ImageReader reader = null;
    try (ImageInputStream iis = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
      if (!readers.hasNext()) {
        return DecodeResult.rejected(
            "not an image: no decoder recognises the content (first bytes: "
                + firstBytes(bytes, 4)
                + ")");
      }
      reader = readers.next();
      format = formatName(reader);
      reader.setInput(iis, true, true);
      List<String> warnings = new ArrayList<>();
      reader.addIIOReadWarningListener(
          (source, warning) -> {
            if (!isBenign(warning)) {
              warnings.add(warning);
            }
          });
      int width;
      int height;
      try {
        width = reader.getWidth(0);
        height = reader.getHeight(0);
      } catch (IOException | RuntimeException e) {
        return DecodeResult.rejected("truncated or corrupt " + format + " header: " + message(e));
      }
      if (width <= 0 || height <= 0) {
        return DecodeResult.rejected(
            format + " header declares " + width + "x" + height + "; valid: positive sizes");
      }
      long pixels = (long) width * height;
      if (pixels > maxPixels) {
        return DecodeResult.rejected(
            "image "
                + width
                + "x"
                + height
                + " = "
                + pixels
                + " pixels exceeds maxPixels "
                + maxPixels);
      }
      String crc = format.equals("PNG") ? pngCrcProblem(bytes) : null;
      if (crc != null) {
        return DecodeResult.rejected("truncated or corrupt PNG: " + crc);
      }
      BufferedImage img = reader.read(0);
      if (!warnings.isEmpty()) {
        return DecodeResult.rejected("truncated or corrupt " + format + ": " + warnings.get(0));
      }
      if (img == null) {
        return DecodeResult.rejected("truncated or corrupt " + format + ": no image returned");
      }
      return DecodeResult.decoded(convert(img));
    } catch (IOException | RuntimeException e) {
      return DecodeResult.rejected("truncated or corrupt " + format + ": " + message(e));
    } finally {
      if (reader != null) {
        reader.dispose();
      }
    }
  }

  /**
   * Checks every complete chunk's CRC-32 (over the chunk type and data; PNG spec, ISO/IEC 15948
   * §5.3), which ImageIO's PNG reader ignores: a PNG whose bytes changed after it was written would
   * otherwise decode to wrong pixels without a warning. An incomplete last chunk is left to the
   * reader (it reports the truncation).
   *
   * @param png the file, starting with the 8-byte signature
   * @return null when every complete chunk's CRC matches, else which chunk and where
   */
  static String pngCrcProblem(byte[] png) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(png);
    int at = 8;
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    while (at + 12 <= png.length) {
      long len = b.getInt(at) & 0xffffffffL;
      if (at + 12 + len > png.length) {
        return null;
      }
      crc.reset();
      crc.update(png, at + 4, (int) (4 + len));
      long stored = b.getInt(at + 8 + (int) len) & 0xffffffffL;
      String type = new String(png, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
      if (crc.getValue() != stored) {
        return String.format(Locale.ROOT, "chunk %s at byte %d has CRC %08x, its bytes give %08x", type, at,
            stored, crc.getValue());
      }
      if (type.equals("IEND")) {
        return null;
      }
      at += 12 + (int) len;
    }
    return null;
  }

  /**
   * Warnings about metadata and colour management only (missing/odd ICC profile, JFIF/EXIF/APPn
   * segments, thumbnails) do not touch the pixel data; every other warning means corrupt or missing
   * pixel data.
   */
  static boolean isBenign(String warning) {
    if (warning == null) {
      return false;
    }
    String w = warning.toLowerCase(Locale.ROOT);
    return w.contains("icc")
        || w.contains("color profile")
        || w.contains("colour profile")
        || w.contains("jfif")
        || w.contains("exif")
        || w.contains("thumbnail")
        || w.contains("app segment")
        || w.matches(".*\\bapp(1[0-5]|[0-9])\\b.*");
  }

  /** @throws IllegalArgumentException when {@code maxPixels} is outside 1..MAX_MAX_PIXELS */
  static void checkMaxPixels(long maxPixels) {
    if (maxPixels < 1 || maxPixels > MAX_MAX_PIXELS) {
      throw new IllegalArgumentException(
          "maxPixels = " + maxPixels + "; valid: 1.." + MAX_MAX_PIXELS);
    }
  }

  /**
   * Converts any {@link BufferedImage} to Spark's layout (see the class comment).
   *
   * @param img a decoded image of any type
   * @return a new image; the input is not modified
   */
  public static DecodedImage convert(BufferedImage img) {
    Objects.requireNonNull(img, "img");
    ColorModel cm = img.getColorModel();
    ColorSpace cs = cm.getColorSpace();
    boolean gray = cs.getType() == ColorSpace.TYPE_GRAY;
    if (cm instanceof ComponentColorModel
        && !cm.isAlphaPremultiplied()
        && (gray || cs.isCS_sRGB())) {
      return fromComponents(img.getRaster(), gray, cm.hasAlpha());
    }
    // palette, CMYK, packed (TYPE_INT_*), other colour spaces: let Java2D convert to sRGB
    int w = img.getWidth();
    int h = img.getHeight();
    boolean alpha = cm.hasAlpha();
    BufferedImage dst =
        new BufferedImage(w, h, alpha ? BufferedImage.TYPE_4BYTE_ABGR : BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = dst.createGraphics();
    try {
      g.setComposite(AlphaComposite.Src);
      g.drawImage(img, 0, 0, null);
    } finally {
      g.dispose();
    }
    byte[] src = ((DataBufferByte) dst.getRaster().getDataBuffer()).getData();
    if (!alpha) {
      return new DecodedImage(h, w, 3, DecodedImage.CV_8UC3, src);
    }
    byte[] bgra = new byte[src.length];
    for (int i = 0; i < src.length; i += 4) { // A B G R -> B G R A
      bgra[i] = src[i + 1];
      bgra[i + 1] = src[i + 2];
      bgra[i + 2] = src[i + 3];
      bgra[i + 3] = src[i];
    }
    return new DecodedImage(h, w, 4, DecodedImage.CV_8UC4, bgra);
  }

  /** Gray / gray+alpha / RGB / RGBA rasters of any bit depth, read band by band. */
  private static DecodedImage fromComponents(Raster r, boolean gray, boolean alpha) {
    int w = r.getWidth();
    int h = r.getHeight();
    int outChannels = gray && !alpha ? 1 : alpha ? 4 : 3;
    // output channel -> source band
    int[] bandOf;
    if (gray) {
      bandOf = alpha ? new int[] {0, 0, 0, 1} : new int[] {0};
    } else {
      bandOf = alpha ? new int[] {2, 1, 0, 3} : new int[] {2, 1, 0};
    }
    int[] bits = r.getSampleModel().getSampleSize();
    byte[] data = new byte[w * h * outChannels];
    int[] row = new int[w];
    for (int c = 0; c < outChannels; c++) {
      int band = bandOf[c];
      int b = bits[band];
      for (int y = 0; y < h; y++) {
        r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, band, row);
        int base = y * w * outChannels + c;
        for (int x = 0; x < w; x++) {
          data[base + x * outChannels] = (byte) to8(row[x], b);
        }
      }
    }
    int mode =
        outChannels == 1
            ? DecodedImage.CV_8UC1
            : outChannels == 3 ? DecodedImage.CV_8UC3 : DecodedImage.CV_8UC4;
    return new DecodedImage(h, w, outChannels, mode, data);
  }

  private static int to8(int v, int bits) {
    if (bits == 8) {
      return v;
    }
    if (bits > 8) {
      return v >>> (bits - 8);
    }
    return v * 255 / ((1 << bits) - 1);
  }

  private static String formatName(ImageReader reader) {
    try {
      String name = reader.getFormatName().toUpperCase(Locale.ROOT);
      return name.equals("JPG") ? "JPEG" : name;
    } catch (IOException e) {
      return "image";
    }
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      m = e.getClass().getSimpleName();
    }
    Throwable cause = e.getCause();
    if (cause != null && cause != e && cause.getMessage() != null && !m.contains(cause.getMessage())) {
      m = m + " (" + cause.getMessage() + ")";
    }
    return m;
  }

  /** @return the first {@code n} bytes as lowercase hex pairs separated by spaces */
  static String firstBytes(byte[] bytes, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, bytes.length); i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xff));
    }
    return sb.toString();
  }
}
