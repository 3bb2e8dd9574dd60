package org.argus.model.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.argus.model.ModelFormatException;
import org.junit.jupiter.api.Test;

/** The importer's registry of layer converters, the activation table and the kernel layouts. */
class LayerRegistryTest {
  private static final KerasLayer ACT = new KerasLayer("act", "Activation",
      new ObjectMapper().createObjectNode(), List.of("x"));

  private static Set<String> split(String list) {
    return new TreeSet<>(Arrays.asList(list.split(",\\s*")));
  }

  @Test
  void registryConvertsExactlyTheDocumentedLayerClasses() {
    assertEquals(split(KerasOnnxImporter.SUPPORTED_LAYERS), new TreeSet<>(LayerRegistry.classNames()));
  }

  @Test
  void eachDocumentedActivationMapsToItsOnnxOp() throws Exception {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("linear", "Identity");
    expected.put("relu", "Relu");
    expected.put("relu6", "Clip");
    expected.put("softmax", "Softmax");
    expected.put("sigmoid", "Sigmoid");
    expected.put("tanh", "Tanh");
    expected.put("elu", "Elu");
    expected.put("selu", "Selu");
    expected.put("softplus", "Softplus");
    expected.put("softsign", "Softsign");
    expected.put("hard_sigmoid", "HardSigmoid");
    assertEquals(split(KerasOnnxImporter.SUPPORTED_ACTIVATIONS), new TreeSet<>(expected.keySet()));
    for (Map.Entry<String, String> e : expected.entrySet()) {
      ImportGraph g = new ImportGraph(null);
      Activations.apply(g, ACT, e.getKey(), "x", "act", 4);
      OnnxMl.NodeProto n = g.graph().getNode(0);
      assertEquals(e.getValue(), n.getOpType(), e.getKey());
      assertEquals(List.of("act"), n.getOutputList(), e.getKey());
    }
  }

  @Test
  void softmaxRunsOverChannelsForImagesAndTheLastAxisForVectors() throws Exception {
    ImportGraph image = new ImportGraph(null);
    Activations.apply(image, ACT, "softmax", "x", "act", 4);
    assertEquals(1, image.graph().getNode(0).getAttribute(0).getI());
    ImportGraph vector = new ImportGraph(null);
    Activations.apply(vector, ACT, "softmax", "x", "act", 2);
    assertEquals(1, vector.graph().getNode(0).getAttribute(0).getI());
    ImportGraph rank3 = new ImportGraph(null);
    Activations.apply(rank3, ACT, "softmax", "x", "act", 3);
    assertEquals(2, rank3.graph().getNode(0).getAttribute(0).getI());
  }

  @Test
  void unknownActivationIsRejectedNamingItTheLayerAndTheSupportedOnes() {
    var e = assertThrows(ModelFormatException.class,
        () -> Activations.apply(new ImportGraph(null), ACT, "swish", "x", "act", 4));
    assertEquals("unsupported activation 'swish' in layer 'act' (Activation); supported: "
        + KerasOnnxImporter.SUPPORTED_ACTIVATIONS, e.getMessage());
  }

  /** Conv2D [kh=1, kw=1, in=2, out=3] → ONNX [out, in, 1, 1]: a transpose of the last two axes. */
  @Test
  void convKernelBecomesOutInKhKw() {
    float[] keras = {0, 1, 2, 10, 11, 12}; // [i][o] = 10·i + o
    float[] onnx = Convolutions.onnxKernel(
        new TfjsLayersModel.Weight("c/kernel", new int[] {1, 1, 2, 3}, keras), false);
    assertArrayEquals(new float[] {0, 10, 1, 11, 2, 12}, onnx); // [o][i]
  }

  /** DepthwiseConv2D [kh=1, kw=2, in=2, mult=1] → ONNX [in·mult, 1, kh, kw]: per channel, x fastest. */
  @Test
  void depthwiseKernelBecomesChannelsTimesMultiplierFirst() {
    float[] keras = {0, 100, 1, 101}; // [x][i] = 100·i + x
    float[] onnx = Convolutions.onnxKernel(
        new TfjsLayersModel.Weight("d/depthwise_kernel", new int[] {1, 2, 2, 1}, keras), true);
    assertArrayEquals(new float[] {0, 1, 100, 101}, onnx); // [i][x]
  }
}
