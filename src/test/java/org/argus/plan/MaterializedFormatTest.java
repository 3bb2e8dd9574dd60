package org.argus.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The materialized format shared by the cost model and the executor: binary activations are
 * little-endian float32 that round-trip bit for bit, and the sizes and read-back heap the cost
 * model charges per format.
 */
class MaterializedFormatTest {

  @Test
  void anActivationRoundTripsBitForBitThroughItsBinaryCell() {
    float[] values = {0f, -0f, 1.5f, -3.25e-7f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 42f};
    byte[] cell = MaterializedFormat.encodeBinary(values, 2, 7);
    assertEquals(28, cell.length);
    float[] back = new float[9];
    assertEquals(7, MaterializedFormat.decodeBinary(cell, back, 1, 7));
    for (int i = 0; i < 7; i++) {
      assertEquals(Float.floatToRawIntBits(values[2 + i]), Float.floatToRawIntBits(back[1 + i]), "value " + i);
    }
    assertEquals(0f, back[0]);
    assertEquals(0f, back[8]);
  }

  @Test
  void theBytesAreLittleEndianFloat32() {
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f}, MaterializedFormat.encodeBinary(new float[] {1f}, 0, 1));
  }

  @Test
  void aCellOfTheWrongSizeIsReportedAndNothingIsCopied() {
    float[] dst = new float[4];
    assertEquals(3, MaterializedFormat.decodeBinary(MaterializedFormat.encodeBinary(new float[] {1f, 2f, 3f}, 0, 3),
        dst, 0, 4));
    assertArrayEquals(new float[4], dst);
    assertEquals(-1, MaterializedFormat.decodeBinary(new byte[] {1, 2, 3, 4, 5}, dst, 0, 1), "not whole floats");
  }

  @Test
  void binaryActivationsCostFourBytesAValueStoredAndReadBackWhileArraysAreBoxedOnRead() {
    MaterializedFormat b = MaterializedFormat.BINARY_FLOAT32;
    MaterializedFormat a = MaterializedFormat.ARRAY_FLOAT;
    long n = 17 * 17 * 768;
    assertEquals(4 + 4 * n, b.activationCellBytes(n));
    assertEquals(4 + 8 + 8 * ((n + 63) / 64) + 4 * n, a.activationCellBytes(n));
    assertEquals(16 + 4 * n, b.activationReadHeapBytes(n));
    assertEquals(16 + 20 * n, a.activationReadHeapBytes(n));
    assertEquals(b.featureCellBytes(3072), a.featureCellBytes(3072), "features are array<float> in both");
    assertEquals(4 + 8 + 8 * 48 + 4 * 3072, b.featureCellBytes(3072));
  }

  @Test
  void formatsParseFromTheirCliNamesAndUnknownOnesAreRefusedListingTheValidOnes() {
    assertEquals(MaterializedFormat.BINARY_FLOAT32, MaterializedFormat.parse("binary-float32"));
    assertEquals(MaterializedFormat.ARRAY_FLOAT, MaterializedFormat.parse("ARRAY_FLOAT"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaterializedFormat.parse("fp16"));
    assertTrue(e.getMessage().contains("'fp16'") && e.getMessage().contains("binary-float32, array-float"),
        e.getMessage());
  }
}
