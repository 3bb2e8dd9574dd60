package org.argus.model.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tiny seeded TF.js model (float32 weights) exercising TF 'same' padding with stride 2 on odd and
 * even sizes (Conv2D, DepthwiseConv2D with depth_multiplier 2, Max/AveragePooling2D), ZeroPadding2D,
 * BatchNormalization(scale=false), Concatenate, ReLU(max_value), GlobalAveragePooling2D, Dense
 * softmax — compared with TF.js outputs at 7×7 and 8×8 from fixtures/tfjs/tiny_same.
 */
class TinySamePaddingTest {
  @Test
  void matchesTfjsAtOddAndEvenSizes() throws Exception {
    Path dir = OrtHarness.fixture("tiny_same");
    TfjsLayersModel m = TfjsLayersModel.load(dir.resolve("model.json"));
    JsonNode ref = OrtHarness.json(dir.resolve("reference.json"));
    for (JsonNode run : ref.get("runs")) {
      List<String> layers = new ArrayList<>();
      run.get("outputs").forEach(o -> layers.add(o.get("layer").asText()));
      OnnxMl.ModelProto onnx = KerasOnnxImporter.toOnnx(m, layers);
      JsonNode is = run.get("input").get("shape");
      int h = is.get(1).asInt(), w = is.get(2).asInt(), c = is.get(3).asInt();
      Map<String, OrtHarness.Out> got =
          OrtHarness.run(onnx, "input_1", OrtHarness.input(h, w, c), new long[] {1, h, w, c}, layers);
      for (JsonNode o : run.get("outputs")) {
        String layer = o.get("layer").asText();
        OrtHarness.Out out = got.get(layer);
        long[] nhwcShape = out.shape().length == 4
            ? new long[] {out.shape()[0], out.shape()[2], out.shape()[3], out.shape()[1]} : out.shape();
        long[] want = new long[o.get("shape").size()];
        for (int i = 0; i < want.length; i++) {
          want[i] = o.get("shape").get(i).asLong();
        }
        assertArrayEquals(want, nhwcShape, run.get("dir") + " " + layer + " shape");
        double err = OrtHarness.relErr(OrtHarness.toNhwc(out),
            OrtHarness.readF32Gz(dir.resolve(run.get("dir").asText()).resolve(o.get("file").asText())));
        System.err.printf("tiny_same %s %-8s rel err %.3g%n", run.get("dir").asText(), layer, err);
        assertTrue(err <= 1e-5, run.get("dir") + " " + layer + ": rel err " + err);
      }
    }
  }
}
