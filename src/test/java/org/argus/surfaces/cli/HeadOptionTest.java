package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.argus.execution.fusion.HeadTransfer;
import org.junit.jupiter.api.Test;

/** {@code --head NAME=V,…}: overrides of the default transfer head's hyperparameters. */
class HeadOptionTest {
  @Test
  void theOptionsDefaultTextIsTheDefaultHead() {
    assertEquals(HeadTransfer.HeadSpec.DEFAULT.config(),
        TransferCommand.headSpec("head", TransferCommand.DEFAULT_HEAD, 0).config());
  }

  @Test
  void aGivenValueOverridesItsDefaultAndKeepsTheOthers() {
    Map<String, Object> want = new LinkedHashMap<>(HeadTransfer.HeadSpec.DEFAULT.config());
    want.put("width", 256L);
    want.put("optimizer", "sgd");
    assertEquals(want, TransferCommand.headSpec("head", "width=256, optimizer=sgd", 0).config());
  }

  @Test
  void sparkLrHasNoHeadAndAMalformedPairIsNamed() {
    assertNull(TransferCommand.headSpec("spark-lr", TransferCommand.DEFAULT_HEAD, 0));
    var e = assertThrows(IllegalArgumentException.class, () -> TransferCommand.headSpec("head", "lr=0.01,width", 0));
    assertTrue(e.getMessage().contains("'width' is not NAME=VALUE"), e.getMessage());
  }
}
