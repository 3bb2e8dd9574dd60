package org.argus.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * The {@code activation} column of staged plans: little-endian float32 bytes that round-trip
 * exactly, including the values a ReLU network produces and the ones it should not (NaN, ∞, −0).
 */
class ActivationCodecTest {

  @Test
  void anActivationRoundTripsBitForBitThroughItsBinaryCell() {
    float[] values = {0f, -0f, 1.5f, -3.25e-7f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 42f};
    byte[] cell = StagedFeatureExtraction.encodeActivation(values, 2, 7);
    assertEquals(28, cell.length);
    float[] back = new float[9];
    assertEquals(7, StagedFeatureExtraction.decodeActivation(cell, back, 1, 7));
    for (int i = 0; i < 7; i++) {
      assertEquals(Float.floatToRawIntBits(values[2 + i]), Float.floatToRawIntBits(back[1 + i]), "value " + i);
    }
    assertEquals(0f, back[0]);
    assertEquals(0f, back[8]);
  }

  @Test
  void theBytesAreLittleEndianFloat32() {
    byte[] cell = StagedFeatureExtraction.encodeActivation(new float[] {1f}, 0, 1);
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f}, cell);
    assertEquals(DataTypes.BinaryType, StagedFeatureExtraction.ACTIVATION_TYPE);
  }

  @Test
  void aCellOfTheWrongSizeIsReportedAndNothingIsCopied() {
    byte[] cell = StagedFeatureExtraction.encodeActivation(new float[] {1f, 2f, 3f}, 0, 3);
    float[] dst = new float[4];
    assertEquals(3, StagedFeatureExtraction.decodeActivation(cell, dst, 0, 4));
    assertArrayEquals(new float[4], dst);
  }
}
