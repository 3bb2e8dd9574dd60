package org.argus.runtime.train.imported;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.OrtHarness;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.model.provision.PretrainedModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DJL rebuild of Keras models: TF 'same' padding with stride 2 on odd and even sizes against
 * TF.js's own outputs (the tiny fixture the ONNX importer is held to), cutting above a layer, and
 * the refusals (a cut a residual join spans, an unknown layer, a layer class without a DJL
 * equivalent).
 */
class KerasDjlGraphTest {
  @BeforeAll
  static void singleThreaded() {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
  }

  /** Runs {@code g} in inference mode on {@code x} of {@code shape}; returns outputs NCHW/[N,F]. */
  static List<OrtHarness.Out> run(LayerGraphBlock g, float[] x, long[] shape) {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      g.initialize(m, DataType.FLOAT32, new Shape(shape));
      JniUtils.setGradMode(false);
      NDList out = g.forward(new ParameterStore(m, false), new NDList(m.create(x, new Shape(shape))),
          false);
      List<OrtHarness.Out> res = new ArrayList<>();
      for (NDArray a : out) {
        res.add(new OrtHarness.Out(a.toFloatArray(), a.getShape().getShape()));
      }
      return res;
    }
  }

  @Test
  void tinyModelMatchesTfjsAtOddAndEvenSizes() throws Exception {
    Path dir = OrtHarness.fixture("tiny_same");
    TfjsLayersModel m = TfjsLayersModel.load(dir.resolve("model.json"));
    JsonNode ref = OrtHarness.json(dir.resolve("reference.json"));
    for (JsonNode run : ref.get("runs")) {
      List<String> layers = new ArrayList<>();
      run.get("outputs").forEach(o -> layers.add(o.get("layer").asText()));
      JsonNode is = run.get("input").get("shape");
      int h = is.get(1).asInt(), w = is.get(2).asInt(), c = is.get(3).asInt();
      List<OrtHarness.Out> got =
          run(KerasDjlGraph.build(m, layers), OrtHarness.input(h, w, c), new long[] {1, h, w, c});
      for (int i = 0; i < layers.size(); i++) {
        JsonNode o = run.get("outputs").get(i);
        OrtHarness.Out out = got.get(i);
        long[] nhwcShape = out.shape().length == 4
            ? new long[] {out.shape()[0], out.shape()[2], out.shape()[3], out.shape()[1]} : out.shape();
        long[] want = new long[o.get("shape").size()];
        for (int k = 0; k < want.length; k++) {
          want[k] = o.get("shape").get(k).asLong();
        }
        assertArrayEquals(want, nhwcShape, run.get("dir") + " " + layers.get(i) + " shape");
        double err = OrtHarness.relErr(OrtHarness.toNhwc(out), OrtHarness.readF32Gz(
            dir.resolve(run.get("dir").asText()).resolve(o.get("file").asText())));
        assertTrue(err <= 1e-5, run.get("dir") + " " + layers.get(i) + ": rel err " + err);
      }
    }
  }

  @Test
  void graphAboveALayerContinuesFromItsActivations() throws Exception {
    Path dir = OrtHarness.fixture("tiny_same");
    TfjsLayersModel m = TfjsLayersModel.load(dir.resolve("model.json"));
    String top = m.outputLayers().get(0);
    float[] x = OrtHarness.input(8, 8, 2);
    long[] shape = {1, 8, 8, 2};
    List<OrtHarness.Out> full = run(KerasDjlGraph.build(m, List.of("conv_s2", top)), x, shape);
    OrtHarness.Out cut = full.get(0);
    OrtHarness.Out above = run(KerasDjlGraph.above(m, "conv_s2", List.of(top)), cut.data(),
        cut.shape()).get(0);
    assertArrayEquals(full.get(1).data(), above.data(), 1e-6f);
  }

  /** Output of {@code bn} above {@code conv_s2} on a batch of 4, in training or inference mode. */
  static float[] bnOutput(LayerGraphBlock g, boolean training) {
    float[] x = new float[4 * 3 * 5 * 5];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(0.37 * i) + 1;
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      g.initialize(m, DataType.FLOAT32, new Shape(4, 3, 5, 5));
      JniUtils.setGradMode(false);
      return g.forward(new ParameterStore(m, false),
          new NDList(m.create(x, new Shape(4, 3, 5, 5))), training).singletonOrThrow()
          .toFloatArray();
    }
  }

  @Test
  void batchNormKeptInInferenceModeTrainsWithTheMovingStatistics() throws Exception {
    TfjsLayersModel m = TfjsLayersModel.load(OrtHarness.fixture("tiny_same").resolve("model.json"));
    float[] inference = bnOutput(KerasDjlGraph.above(m, "conv_s2", List.of("bn")), false);
    float[] moving = bnOutput(
        KerasDjlGraph.above(m, "conv_s2", List.of("bn")).setBatchNormStatistics(false), true);
    float[] batch = bnOutput(KerasDjlGraph.above(m, "conv_s2", List.of("bn")), true);
    assertArrayEquals(inference, moving, 0f);
    assertTrue(OrtHarness.relErr(batch, inference) > 1e-2, "batch statistics should differ");
  }

  @Test
  void refusesACutThatAResidualJoinSpans() throws Exception {
    TfjsLayersModel m = mobileNet();
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> KerasDjlGraph.above(m, "block_5_expand_relu", List.of("out_relu")));
    assertTrue(e.getMessage().contains("'block_5_add' (Add)")
        && e.getMessage().contains("'block_4_add'"), e.getMessage());
  }

  @Test
  void acceptsACutEveryPathPassesThrough() throws Exception {
    LayerGraphBlock g = KerasDjlGraph.above(mobileNet(), "block_13_expand_relu", List.of("out_relu"));
    assertEquals("block_13_expand_relu", g.inputName());
    assertEquals("block_13_pad", g.layerNames().get(0));
  }

  @Test
  void refusesAnUnknownLayer() throws Exception {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> KerasDjlGraph.above(mobileNet(), "block_99_expand_relu", List.of("out_relu")));
    assertTrue(e.getMessage().contains("no layer 'block_99_expand_relu'"), e.getMessage());
  }

  @Test
  void refusesALayerClassWithoutDjlEquivalentNamingTheSupportedOnes(@TempDir Path tmp)
      throws IOException, ModelFormatException {
    Path json = tmp.resolve("model.json");
    Files.writeString(json, """
        {"modelTopology": {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 4, 4, 1]}},
          {"class_name": "UpSampling2D", "config": {"name": "up", "size": [2, 2]}}]}},
         "weightsManifest": []}
        """);
    TfjsLayersModel m = TfjsLayersModel.load(json);
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> KerasDjlGraph.build(m, List.of("up")));
    assertTrue(e.getMessage().startsWith("unsupported layer 'up' (UpSampling2D)")
        && e.getMessage().contains(KerasDjlGraph.SUPPORTED_LAYERS), e.getMessage());
  }

  static TfjsLayersModel mobileNet() throws Exception {
    return TfjsLayersModel.load(
        PretrainedModels.tfjsDir(PretrainedModels.MOBILENET_V2).resolve("model.json"));
  }
}
