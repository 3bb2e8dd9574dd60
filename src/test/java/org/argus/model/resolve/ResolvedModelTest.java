package org.argus.model.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Model resolution on the real MobileNetV2: layers ordered bottom to top, one message listing the
 * valid names, separation answered without exceptions, each cut made once.
 */
class ResolvedModelTest {
  private static ResolvedModel mobilenet;

  @BeforeAll
  static void resolve() throws Exception {
    mobilenet = ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(64), ResolvedModel.LOCAL_FILES);
  }

  @Test
  void layersAreOrderedBottomToTopWhateverOrderTheyAreGivenIn() {
    assertEquals(List.of("block_3_expand_relu", "block_6_expand_relu", "out_relu"),
        mobilenet.orderLayers(List.of("out_relu", "block_3_expand_relu", "block_6_expand_relu")));
  }

  @Test
  void anUnknownLayerIsRefusedInOneMessageNamingItTheModelAndTheValidLayers() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> mobilenet.orderLayers(List.of("block_3_expand_relu", "block_99_expand_relu")));
    assertTrue(e.getMessage().startsWith("unknown layer 'block_99_expand_relu' in mobilenet_v2; feature layers: "
        + "block_3_expand_relu, block_6_expand_relu"), e.getMessage());
    assertTrue(e.getMessage().contains("argus models inspect mobilenet_v2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> mobilenet.orderLayers(List.of("input_1")),
        "the pixel input is not a layer");
    assertThrows(IllegalArgumentException.class, () -> mobilenet.orderLayers(List.of("out_relu", "out_relu")));
  }

  @Test
  void separationIsAnsweredWithoutExceptions() {
    assertEquals(Optional.empty(), mobilenet.separationProblem("block_3_expand_relu", "block_6_expand_relu"));
    // block_2_add also reads block_1_project_BN around block_2_expand_relu (a residual connection)
    Optional<String> residual = mobilenet.separationProblem("block_2_expand_relu", "block_2_add");
    assertTrue(residual.isPresent());
    assertTrue(residual.get().contains("block_2_add") && residual.get().contains("input_1"), residual.get());
  }

  @Test
  void eachCutIsMadeOnceAndRecordsItsInputsAndOutputs() {
    GraphCut a = mobilenet.cut(List.of("block_3_expand_relu"), List.of("block_6_expand_relu"));
    assertSame(a, mobilenet.cut(List.of("block_3_expand_relu"), List.of("block_6_expand_relu")));
    assertEquals(List.of("block_3_expand_relu"), a.model().inputNames());
    assertEquals(List.of("block_6_expand_relu"), a.model().outputNames());
    assertEquals(a.model().sha256(), a.sha256());
  }

  @Test
  void anInputSizeBelowTheModelsMinimumIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(16), ResolvedModel.LOCAL_FILES));
    assertTrue(e.getMessage().contains("16") && e.getMessage().contains("minimum input size 32"), e.getMessage());
  }

  @Test
  void anOnnxFileNeedsAPreprocessingSpec() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResolvedModel.resolve(new ModelRef(null, "/tmp/x.onnx", null, 0), ResolvedModel.LOCAL_FILES));
    assertTrue(e.getMessage().contains("needs a preprocessing spec"), e.getMessage());
  }
}
