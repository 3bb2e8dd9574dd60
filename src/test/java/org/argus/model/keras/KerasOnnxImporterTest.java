package org.argus.model.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unit tests of the TF.js reader and the importer on small hand-written models. */
class KerasOnnxImporterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  // ---- dequantization (TF.js io.decodeWeights semantics) ----

  @Test
  void uint8AndUint16DequantizeAsMinPlusScaleTimesQ() throws Exception {
    JsonNode q8 = JSON.readTree("{\"dtype\":\"uint8\",\"min\":-0.5,\"scale\":0.25}");
    float[] a = TfjsLayersModel.decode(new byte[] {0, 1, 2, (byte) 255}, 0, 4, "w", "float32", q8);
    assertArrayEquals(new float[] {-0.5f, -0.25f, 0f, (float) (255 * 0.25 - 0.5)}, a);
    JsonNode q16 = JSON.readTree("{\"dtype\":\"uint16\",\"min\":1.5,\"scale\":0.001}");
    byte[] b = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
        .putShort((short) 0).putShort((short) 1000).putShort((short) 0xffff).array();
    assertArrayEquals(new float[] {1.5f, (float) (1000 * 0.001 + 1.5), (float) (65535 * 0.001 + 1.5)},
        TfjsLayersModel.decode(b, 0, 3, "w", "float32", q16));
  }

  @Test
  void float16AndPlainDtypesDecodeExactly() throws Exception {
    JsonNode h = JSON.readTree("{\"dtype\":\"float16\"}");
    short[] halves = {0x3c00, (short) 0xc000, 0x3555, 0x0001, 0x7bff, (short) 0xfc00, 0x0000, (short) 0x8000};
    ByteBuffer bb = ByteBuffer.allocate(halves.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (short s : halves) {
      bb.putShort(s);
    }
    float[] f = TfjsLayersModel.decode(bb.array(), 0, halves.length, "w", "float32", h);
    assertArrayEquals(new float[] {1f, -2f, 0.333251953125f, 0x1p-24f, 65504f, Float.NEGATIVE_INFINITY, 0f, -0f}, f);
    assertTrue(Float.isNaN(TfjsLayersModel.halfToFloat((short) 0x7e00)));
    byte[] f32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(3.25f).putFloat(-1e-30f).array();
    assertArrayEquals(new float[] {3.25f, -1e-30f}, TfjsLayersModel.decode(f32, 0, 2, "w", "float32", null));
    byte[] i32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-7).putInt(1 << 20).array();
    assertArrayEquals(new float[] {-7f, 1 << 20}, TfjsLayersModel.decode(i32, 0, 2, "w", "int32", null));
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> TfjsLayersModel.decode(new byte[4], 0, 1, "w", "float32", JSON.readTree("{\"dtype\":\"int4\"}")));
    assertTrue(e.getMessage().contains("int4") && e.getMessage().contains("uint8"), e.getMessage());
  }

  // ---- errors ----

  @Test
  void unsupportedLayerNamesLayerClassAndSupportedList() throws Exception {
    Path m = write("[" + input(4, 4, 1) + "," + layer("lstm_1", "LSTM", "{\"units\":3}", "input_1") + "]", "lstm_1", Map.of());
    TfjsLayersModel model = TfjsLayersModel.load(m);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> KerasOnnxImporter.toOnnx(model));
    assertTrue(e.getMessage().startsWith("unsupported layer 'lstm_1' (LSTM); supported: InputLayer, Conv2D"), e.getMessage());
  }

  @Test
  void unsupportedActivationAndDataFormatAndMissingWeight() throws Exception {
    Map<String, float[][]> w = Map.of("c/kernel", new float[][] {{1, 1, 1, 1}, {1}});
    Path m1 = write("[" + input(4, 4, 1) + "," + conv("c", 1, "valid", 1, "\"gelu\"", "channels_last") + "]", "c", w);
    ModelFormatException e1 = assertThrows(ModelFormatException.class, () -> KerasOnnxImporter.toOnnx(TfjsLayersModel.load(m1)));
    assertTrue(e1.getMessage().contains("'gelu'") && e1.getMessage().contains("'c' (Conv2D)"), e1.getMessage());
    Path m2 = write("[" + input(4, 4, 1) + "," + conv("c", 1, "valid", 1, "\"linear\"", "channels_first") + "]", "c", w);
    ModelFormatException e2 = assertThrows(ModelFormatException.class, () -> KerasOnnxImporter.toOnnx(TfjsLayersModel.load(m2)));
    assertTrue(e2.getMessage().contains("'c' (Conv2D)") && e2.getMessage().contains("channels_first"), e2.getMessage());
    Path m3 = write("[" + input(4, 4, 1) + "," + conv("c", 1, "valid", 1, "\"linear\"", "channels_last") + "]", "c", Map.of());
    ModelFormatException e3 = assertThrows(ModelFormatException.class, () -> KerasOnnxImporter.toOnnx(TfjsLayersModel.load(m3)));
    assertTrue(e3.getMessage().contains("missing weight 'c/kernel' for layer 'c' (Conv2D)"), e3.getMessage());
  }

  // ---- TF 'same' padding, hand-computed ----

  /**
   * 3×3 all-ones kernel, stride 2, 'same', on an all-ones image. TF: out = ceil(in/2), total pad =
   * max((out−1)·2 + 3 − in, 0) with the odd pixel at the end. in=4: pad (0, 1) → [[9, 6], [6, 4]];
   * in=5: pad (1, 1) → [[4, 6, 4], [6, 9, 6], [4, 6, 4]].
   */
  @Test
  void samePaddingStride2MatchesTensorFlowOnEvenAndOddSizes() throws Exception {
    float[] ones9 = new float[9];
    Arrays.fill(ones9, 1f);
    Path m = write("[" + input(null, null, 1) + "," + conv("c", 2, "same", 3, "\"linear\"", "channels_last") + "]", "c",
        Map.of("c/kernel", new float[][] {{3, 3, 1, 1}, ones9}));
    OnnxMl.ModelProto onnx = KerasOnnxImporter.toOnnx(TfjsLayersModel.load(m));
    float[] in4 = new float[16];
    Arrays.fill(in4, 1f);
    OrtHarness.Out o4 = OrtHarness.run(onnx, "input_1", in4, new long[] {1, 4, 4, 1}, List.of("c")).get("c");
    assertArrayEquals(new long[] {1, 1, 2, 2}, o4.shape());
    assertArrayEquals(new float[] {9, 6, 6, 4}, o4.data());
    float[] in5 = new float[25];
    Arrays.fill(in5, 1f);
    OrtHarness.Out o5 = OrtHarness.run(onnx, "input_1", in5, new long[] {1, 5, 5, 1}, List.of("c")).get("c");
    assertArrayEquals(new long[] {1, 1, 3, 3}, o5.shape());
    assertArrayEquals(new float[] {4, 6, 4, 6, 9, 6, 4, 6, 4}, o5.data());
    assertEquals("NHWC", meta(onnx, KerasOnnxImporter.INPUT_LAYOUT));
  }

  @Test
  void sequentialDenseModel() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("seq"));
    String topo = "{\"class_name\":\"Sequential\",\"config\":{\"name\":\"s\",\"layers\":[{\"class_name\":\"Dense\",\"config\":"
        + "{\"name\":\"d\",\"units\":2,\"activation\":\"linear\",\"use_bias\":true,\"batch_input_shape\":[null,3]}}]}}";
    writeModel(dir, topo, Map.of("d/kernel", new float[][] {{3, 2}, {1, 2, 3, 4, 5, 6}}, "d/bias", new float[][] {{2}, {10, 20}}));
    OnnxMl.ModelProto onnx = KerasOnnxImporter.toOnnx(TfjsLayersModel.load(dir.resolve("model.json")));
    assertEquals("d_input", onnx.getGraph().getInput(0).getName());
    OrtHarness.Out o = OrtHarness.run(onnx, "d_input", new float[] {1, 1, 1}, new long[] {1, 3}, List.of("d")).get("d");
    assertArrayEquals(new float[] {1 + 3 + 5 + 10, 2 + 4 + 6 + 20}, o.data());
  }

  // ---- helpers: write a tiny TF.js layers model with float32 weights ----

  private static String meta(OnnxMl.ModelProto m, String key) {
    return m.getMetadataPropsList().stream().filter(p -> p.getKey().equals(key)).findFirst().orElseThrow().getValue();
  }

  private static String input(Integer h, Integer w, int c) {
    return "{\"name\":\"input_1\",\"class_name\":\"InputLayer\",\"config\":{\"name\":\"input_1\",\"batch_input_shape\":[null,"
        + h + "," + w + "," + c + "]},\"inbound_nodes\":[]}";
  }

  private static String layer(String name, String cls, String config, String from) {
    return "{\"name\":\"" + name + "\",\"class_name\":\"" + cls + "\",\"config\":" + config
        + ",\"inbound_nodes\":[[[\"" + from + "\",0,0,{}]]]}";
  }

  private static String conv(String name, int stride, String padding, int k, String act, String df) {
    return layer(name, "Conv2D", "{\"name\":\"" + name + "\",\"filters\":1,\"kernel_size\":[" + k + "," + k + "],\"strides\":["
        + stride + "," + stride + "],\"padding\":\"" + padding + "\",\"data_format\":\"" + df
        + "\",\"dilation_rate\":[1,1],\"activation\":" + act + ",\"use_bias\":false}", "input_1");
  }

  /** weights: name → {shape, values}. */
  private Path write(String layers, String output, Map<String, float[][]> weights) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "m");
    String topo = "{\"class_name\":\"Model\",\"config\":{\"name\":\"t\",\"layers\":" + layers
        + ",\"input_layers\":[[\"input_1\",0,0]],\"output_layers\":[[\"" + output + "\",0,0]]}}";
    writeModel(dir, topo, weights);
    return dir.resolve("model.json");
  }

  private static void writeModel(Path dir, String topology, Map<String, float[][]> weights) throws Exception {
    StringBuilder specs = new StringBuilder();
    int n = weights.values().stream().mapToInt(v -> v[1].length).sum();
    ByteBuffer bb = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, float[][]> e : new java.util.TreeMap<>(weights).entrySet()) {
      int[] shape = new int[e.getValue()[0].length];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = (int) e.getValue()[0][i];
      }
      specs.append(specs.length() == 0 ? "" : ",").append("{\"name\":\"").append(e.getKey()).append("\",\"shape\":")
          .append(Arrays.toString(shape)).append(",\"dtype\":\"float32\"}");
      for (float v : e.getValue()[1]) {
        bb.putFloat(v);
      }
    }
    Files.write(dir.resolve("w.bin"), bb.array());
    Files.writeString(dir.resolve("model.json"), "{\"modelTopology\":{\"keras_version\":\"test\",\"model_config\":" + topology
        + "},\"weightsManifest\":[{\"paths\":[\"w.bin\"],\"weights\":[" + specs + "]}]}");
  }
}
