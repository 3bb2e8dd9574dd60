package org.argus.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The IDX header parser on hand-built byte strings (no files, no Spark). */
class IdxHeaderTest {
  private static DataInputStream bytes(int... ints) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DataOutputStream d = new DataOutputStream(out)) {
      for (int i : ints) {
        d.writeInt(i);
      }
    }
    return new DataInputStream(new ByteArrayInputStream(out.toByteArray()));
  }

  @Test
  void imagesHeaderGivesCountAndRecordLayout() throws IOException {
    IdxHeader h = IdxHeader.read(bytes(0x00000803, 10_000, 28, 28), "imgs", IdxHeader.UBYTE_3D);
    assertEquals(List.of(10_000, 28, 28), h.dims());
    assertEquals(10_000, h.count());
    assertEquals(16, h.headerBytes());
    assertEquals(784, h.recordBytes());
    assertEquals(7_840_016L, h.fileBytes());
    assertEquals(16 + 777L * 784, h.offsetOf(777));
  }

  @Test
  void labelsHeaderHasOneByteRecordsAfterEightHeaderBytes() throws IOException {
    IdxHeader h = IdxHeader.read(bytes(0x00000801, 60_000), "labels", IdxHeader.UBYTE_1D);
    assertEquals(8, h.headerBytes());
    assertEquals(1, h.recordBytes());
    assertEquals(60_008L, h.fileBytes());
    assertEquals(8 + 12_345L, h.offsetOf(12_345));
  }

  @Test
  void gzipMagicGetsTheGunzipHint() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IdxHeader.read(bytes(0x1f8b0800, 0), "t10k", IdxHeader.UBYTE_3D));
    assertTrue(e.getMessage().contains("magic number 0x1f8b0800 is gzip's"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 0x00000803"), e.getMessage());
    assertTrue(e.getMessage().contains("gunzip"), e.getMessage());
  }

  @Test
  void labelsMagicWhereImagesAreExpectedNamesBoth() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IdxHeader.read(bytes(0x00000801, 5), "imgs", IdxHeader.UBYTE_3D));
    assertTrue(
        e.getMessage().contains("IDX file imgs: magic number 0x00000801, expected 0x00000803"),
        e.getMessage());
    assertTrue(e.getMessage().contains("3 dimensions"), e.getMessage());
  }

  @Test
  void negativeDimensionIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IdxHeader.read(bytes(0x00000803, 3, -28, 28), "imgs", IdxHeader.UBYTE_3D));
    assertTrue(e.getMessage().contains("dimension 1 is -28; valid: >= 0"), e.getMessage());
  }

  @Test
  void headerCutShortIsAnIoError() {
    assertThrows(
        EOFException.class, () -> IdxHeader.read(bytes(0x00000803, 3), "imgs", IdxHeader.UBYTE_3D));
  }

  @Test
  void lengthOtherThanTheHeaderImpliesIsRejected() throws IOException {
    IdxHeader h = IdxHeader.read(bytes(0x00000801, 100), "labels", IdxHeader.UBYTE_1D);
    h.checkLength("labels", 108);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> h.checkLength("labels", 109));
    assertTrue(
        e.getMessage().contains("labels is 109 bytes but its header implies 108"), e.getMessage());
  }
}
