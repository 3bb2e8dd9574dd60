package org.argus.data.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Real image files written with javax.imageio, and crafted bad files, for decoder tests. */
final class TestImages {
  static final int W = 16;
  static final int H = 12;

  private TestImages() {}

  /** Four flat quadrants: red, green, blue, white — JPEG-friendly. */
  static BufferedImage quadrantsRgb() {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, W / 2, H / 2);
    g.setColor(Color.GREEN);
    g.fillRect(W / 2, 0, W / 2, H / 2);
    g.setColor(Color.BLUE);
    g.fillRect(0, H / 2, W / 2, H / 2);
    g.setColor(Color.WHITE);
    g.fillRect(W / 2, H / 2, W / 2, H / 2);
    g.dispose();
    return img;
  }

  /** Every pixel distinct: r = 10x, g = 20y, b = x+y, a = 255 - 7x. */
  static BufferedImage gradientArgb() {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        img.setRGB(x, y, argb(255 - 7 * x, 10 * x, 20 * y, x + y));
      }
    }
    return img;
  }

  static BufferedImage gradientRgb() {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        img.setRGB(x, y, argb(255, 10 * x, 20 * y, x + y));
      }
    }
    return img;
  }

  static BufferedImage gradientGray() {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        r.setSample(x, y, 0, 13 * x + 3 * y);
      }
    }
    return img;
  }

  /** 16-bit gray: sample = 4000 x + 100 y + 77 (expected 8-bit = sample >> 8). */
  static BufferedImage gray16() {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_USHORT_GRAY);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        r.setSample(x, y, 0, 4000 * x + 100 * y + 77);
      }
    }
    return img;
  }

  /** 16-bit RGB: r = 4000x, g = 5000y, b = 65535 - 3000x. */
  static BufferedImage rgb16() {
    ComponentColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster r = cm.createCompatibleWritableRaster(W, H);
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        r.setSample(x, y, 0, 4000 * x);
        r.setSample(x, y, 1, 5000 * y);
        r.setSample(x, y, 2, 65535 - 3000 * x);
      }
    }
    return new BufferedImage(cm, r, false, null);
  }

  /** 4-colour palette: black, red, green, blue by (x + y) % 4. */
  static final int[] PALETTE = {argb(255, 0, 0, 0), argb(255, 255, 0, 0), argb(255, 0, 255, 0),
      argb(255, 0, 0, 255)};

  static BufferedImage palette() {
    byte[] r = {0, (byte) 255, 0, 0};
    byte[] g = {0, 0, (byte) 255, 0};
    byte[] b = {0, 0, 0, (byte) 255};
    IndexColorModel cm = new IndexColorModel(2, 4, r, g, b);
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_INDEXED, cm);
    WritableRaster wr = img.getRaster();
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        wr.setSample(x, y, 0, (x + y) % 4);
      }
    }
    return img;
  }

  static int argb(int a, int r, int g, int b) {
    return (a << 24) | (r << 16) | (g << 8) | b;
  }

  static byte[] write(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format + " / " + img);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Best-quality JPEG of an RGB image. */
  static byte[] jpeg(BufferedImage img) {
    try {
      ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(1.0f);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
        w.setOutput(ios);
        w.write(null, new IIOImage(img, null, null), p);
      }
      w.dispose();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A CMYK JPEG: a raw 4-band raster written by the JDK writer (no colour model), plus an Adobe APP14
   * marker with transform 0 so readers take the 4 components as CMYK. Adobe CMYK JPEGs store
   * inverted values (0 = full ink), so pass {@code 255 - ink}.
   */
  static byte[] cmykJpeg(int c, int m, int y, int k) {
    try {
      WritableRaster r =
          Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, W, H, 4, new Point(0, 0));
      for (int yy = 0; yy < H; yy++) {
        for (int xx = 0; xx < W; xx++) {
          r.setPixel(xx, yy, new int[] {c, m, y, k});
        }
      }
      ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
        w.setOutput(ios);
        w.write(null, new IIOImage(r, null, null), null);
      }
      w.dispose();
      return withAdobeCmykMarker(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Inserts an Adobe APP14 segment (transform 0 = CMYK, no YCC conversion) right after SOI. */
  private static byte[] withAdobeCmykMarker(byte[] jpeg) {
    byte[] app14 = {
      (byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0
    };
    byte[] out = new byte[jpeg.length + app14.length];
    System.arraycopy(jpeg, 0, out, 0, 2);
    System.arraycopy(app14, 0, out, 2, app14.length);
    System.arraycopy(jpeg, 2, out, 2 + app14.length, jpeg.length - 2);
    return out;
  }

  /** A PNG with a valid IHDR claiming {@code w x h} RGB pixels, an empty IDAT and IEND. */
  static byte[] pngHeaderClaiming(int w, int h) {
    ByteBuffer bb = ByteBuffer.allocate(8 + 25 + 12 + 12);
    bb.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(bb, "IHDR", ihdr.array());
    chunk(bb, "IDAT", new byte[0]);
    chunk(bb, "IEND", new byte[0]);
    return bb.array();
  }

  private static void chunk(ByteBuffer bb, String type, byte[] data) {
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    bb.putInt(data.length).put(t).put(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    bb.putInt((int) crc.getValue());
  }

  static byte[] truncated(byte[] file, double keepFraction) {
    return Arrays.copyOf(file, (int) (file.length * keepFraction));
  }

  /**
   * Overwrites {@code n} bytes in the middle of the entropy-coded data with a pattern that includes
   * stray markers (0xFF 0xD3…), as a flaky disk or bad transfer would.
   */
  static byte[] corruptMiddle(byte[] file, int n) {
    byte[] out = file.clone();
    int start = file.length / 2;
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    for (int i = 0; i < n; i++) {
      out[start + i] = (byte) (i % 16 == 0 ? 0xFF : i % 16 == 1 ? 0xD3 : rnd.nextInt(256));
    }
    return out;
  }

  /** A big, noisy JPEG so truncation and corruption hit real entropy-coded data. */
  static byte[] noisyJpeg(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    return jpeg(img);
  }

  static byte[] noisyPng(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(2);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(1 << 24));
      }
    }
    return write(img, "png");
  }
}
