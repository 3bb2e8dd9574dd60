package org.argus.model.provision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.argus.model.keras.KerasOnnxImporter;
import org.argus.model.keras.OrtHarness;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.provision.Sha256;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Provisions the real nsfwjs models (npm pack + decode + import, into the Argus cache) and checks
 * the imported ONNX against TF.js activations (fixtures/tfjs/&lt;model&gt;, written by
 * tools/tfjs-reference/reference.js): per layer {@code max|onnx − tfjs| / max|tfjs| ≤ 1e-4}.
 */
class PretrainedModelsTest {
  @ParameterizedTest
  @ValueSource(strings = {PretrainedModels.MOBILENET_V2, PretrainedModels.INCEPTION_V3})
  void importedModelMatchesTfjs(String name) throws Exception {
    Path onnxFile = PretrainedModels.onnxFile(name);
    Path dir = PretrainedModels.tfjsDir(name);
    assertEquals(dir.resolve("model.onnx"), onnxFile);
    // sidecar records the file's sha256; importing again gives the same bytes (determinism)
    String recorded = PretrainedModels.readSidecar(dir.resolve(PretrainedModels.ONNX_SIDECAR));
    assertEquals(Sha256.of(onnxFile), recorded);
    assertEquals(onnxFile, PretrainedModels.onnxFile(name), "idempotent");

    TfjsLayersModel m = TfjsLayersModel.load(dir.resolve("model.json"));
    byte[] again = KerasOnnxImporter.toOnnx(m).toByteArray();
    byte[] again2 = KerasOnnxImporter.toOnnx(m).toByteArray();
    assertArrayEquals(again, again2, "importer is deterministic");

    Path fx = OrtHarness.fixture(name);
    JsonNode ref = OrtHarness.json(fx.resolve("reference.json"));
    JsonNode is = ref.get("input").get("shape");
    int h = is.get(1).asInt(), w = is.get(2).asInt(), c = is.get(3).asInt();
    float[] x = OrtHarness.input(h, w, c);
    List<String> layers = new ArrayList<>();
    ref.get("outputs").forEach(o -> layers.add(o.get("layer").asText()));
    OnnxMl.ModelProto probe = KerasOnnxImporter.toOnnx(m, layers);
    Map<String, OrtHarness.Out> got = OrtHarness.run(probe, "input_1", x, new long[] {1, h, w, c}, layers);
    for (JsonNode o : ref.get("outputs")) {
      String layer = o.get("layer").asText();
      float[] want = OrtHarness.readF32Gz(fx.resolve(o.get("file").asText()));
      double err = OrtHarness.relErr(OrtHarness.toNhwc(got.get(layer)), want);
      System.err.printf("%s %-20s %s max|a-b|/max|b| = %.3g%n", name, layer, o.get("shape"), err);
      assertTrue(err <= 1e-4, name + " " + layer + ": rel err " + err);
    }
    // the provisioned file itself: graph output dense_3 [1, 5]
    OnnxMl.ModelProto file = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnxFile));
    Map<String, OrtHarness.Out> fin = OrtHarness.run(file, "input_1", x, new long[] {1, h, w, c}, List.of("dense_3"));
    double err = OrtHarness.relErr(fin.get("dense_3").data(), OrtHarness.readF32Gz(fx.resolve("dense_3.f32.gz")));
    System.err.printf("%s %-20s (model.onnx) max|a-b|/max|b| = %.3g%n", name, "dense_3", err);
    assertTrue(err <= 1e-4);
    assertTrue(file.getMetadataPropsList().stream().anyMatch(p -> p.getKey().equals(KerasOnnxImporter.NATIVE_INPUT_HW)
        && p.getValue().equals(h + "," + w)));
  }

  @Test
  void mobilenetBodyAcceptsSmallerInput() throws Exception {
    Path dir = PretrainedModels.tfjsDir(PretrainedModels.MOBILENET_V2);
    OnnxMl.ModelProto body = KerasOnnxImporter.toOnnx(TfjsLayersModel.load(dir.resolve("model.json")), List.of("out_relu"));
    Map<String, OrtHarness.Out> got = OrtHarness.run(body, "input_1", OrtHarness.input(96, 96, 3),
        new long[] {1, 96, 96, 3}, List.of("out_relu"));
    assertArrayEquals(new long[] {1, 1280, 3, 3}, got.get("out_relu").shape());
  }

  @Test
  void unknownNameIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PretrainedModels.tfjsDir("resnet50"));
    assertTrue(e.getMessage().contains("mobilenet_v2"), e.getMessage());
  }
}
