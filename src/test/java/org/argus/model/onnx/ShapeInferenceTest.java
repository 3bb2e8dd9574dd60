package org.argus.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** {@link OnnxModel#inferShapes}: shapes and types of every activation. */
class ShapeInferenceTest {

  static Stream<Arguments> modelsAndSizes() {
    List<Arguments> args = new ArrayList<>();
    Map<String, BiFunction<Long, Long, ModelProto>> models = Map.of(
        "residual", TestGraph::residual, "inception", TestGraph::inception, "zoo", TestGraph::zoo,
        "plumbing", TestGraph::plumbing);
    for (var e : models.entrySet()) {
      for (long[] hw : new long[][] {{17, 19}, {9, 8}, {32, 32}}) {
        args.add(Arguments.of(e.getKey(), e.getValue(), hw[0], hw[1]));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {2}x{3}")
  @MethodSource("modelsAndSizes")
  void concreteInputShapesGiveExactlyTheShapesOrtProduces(String name,
      BiFunction<Long, Long, ModelProto> build, long h, long w) throws Exception {
    OnnxModel m = OnnxModel.of(build.apply(-1L, -1L), name);
    long[] x = {2, 3, h, w};
    Map<String, TensorInfo> inferred = m.inferShapes(Map.of("x", x));
    List<String> all = m.tensorNames().subList(1, m.tensorNames().size());
    var actual = Ort.runExposing(m.proto(), "x", x, Ort.random(1, x), all);
    for (String t : all) {
      assertArrayEquals(actual.get(t).shape(), inferred.get(t).shape(), t);
      assertEquals(actual.get(t).elemType(), inferred.get(t).elemType(), t);
    }
  }

  @Test
  void shapePlumbingKeepsKnownDimsWhenSpatialDimsAreSymbolic() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.plumbing(-1, -1), "plumbing");
    Map<String, TensorInfo> s = m.inferShapes(Map.of());
    assertArrayEquals(new long[] {-1, 3}, s.get("sq").shape());
    assertArrayEquals(new long[] {-1, 1, 3}, s.get("us").shape());
    assertArrayEquals(new long[] {-1, 3}, s.get("rsc").shape());
    assertArrayEquals(new long[] {4}, s.get("sh").shape());
    assertEquals(TensorProto.DataType.INT64_VALUE, s.get("sh").elemType());
    assertEquals(TensorProto.DataType.DOUBLE_VALUE, s.get("cast").elemType());
    assertArrayEquals(new long[] {-1}, s.get("mv").shape());
    assertArrayEquals(new long[] {-1, -1}, s.get("fl2").shape());
  }

  @Test
  void symbolicSpatialDimsKeepChannelsKnown() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.inception(-1, -1), "inception");
    Map<String, TensorInfo> s = m.inferShapes(Map.of());
    assertArrayEquals(new long[] {-1, 12, -1, -1}, s.get("mixed").shape());
    assertArrayEquals(new long[] {-1, 16, -1, -1}, s.get("down").shape());
    assertArrayEquals(new long[] {-1, 4, -1, -1}, s.get("out").shape());
  }

  @Test
  void symbolicSpatialDimsStillGiveKnownShapesAfterGlobalPooling() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(-1, -1), "residual");
    Map<String, TensorInfo> s = m.inferShapes(Map.of());
    assertArrayEquals(new long[] {-1, 8, 1, 1}, s.get("gap").shape());
    assertArrayEquals(new long[] {-1, 8}, s.get("flat").shape());
    assertArrayEquals(new long[] {-1, 4}, s.get("fc").shape());
  }

  @Test
  void aMissingMapEntryUsesTheDeclaredShape() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(16, 12), "residual");
    assertArrayEquals(new long[] {-1, 8, 8, 6}, m.inferShapes(Map.of()).get("pool").shape());
  }

  @Test
  void reshapeWithZeroCopiesTheSymbolicBatchAndInfersTheRest() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.zoo(17, 19), "zoo");
    Map<String, TensorInfo> s = m.inferShapes(Map.of());
    long[] tr = s.get("tr").shape();
    assertArrayEquals(new long[] {-1, tr[1] * tr[2] * tr[3]}, s.get("rs").shape());
  }

  @Test
  void unknownOpGivesUnknownShapeNotAnError() throws Exception {
    TestGraph t = new TestGraph(4);
    t.input("x", -1, 3, 8, 8);
    t.graph().addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Frobnicate")
        .setDomain("com.example").setName("fr").addInput("x").addOutput("fr"));
    t.relu("r", "fr");
    OnnxModel m = OnnxModel.of(t.output("r").build(), "custom");
    Map<String, TensorInfo> s = m.inferShapes(Map.of());
    assertNull(s.get("fr").shape());
    assertNull(s.get("r").shape());
    assertEquals(-1, s.get("r").elementsPerExample());
  }

  @Test
  void tensorInfoPrintsNameShapeTypeOpAndBytesPerImage() {
    TensorInfo i = new TensorInfo("block_6_expand_relu", 1, new long[] {-1, 192, 28, 28}, "Relu");
    assertEquals("block_6_expand_relu [N,192,28,28] float32 (Relu) 602112 B/image", i.toString());
    assertEquals(150528, i.elementsPerExample());
  }

  @Test
  void bytesPerExampleIsUnknownWhenASpatialDimIsSymbolic() {
    TensorInfo i = new TensorInfo("t", 1, new long[] {-1, 192, -1, -1}, "Conv");
    assertEquals(-1, i.bytesPerExample());
    assertTrue(i.toString().contains("[N,192,?,?]"), i.toString());
  }

  @Test
  void shapeOfAnUnknownInputNameIsRejected() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(-1, -1), "residual");
    var e = assertThrows(IllegalArgumentException.class,
        () -> m.inferShapes(Map.of("input_1", new long[] {1, 3, 8, 8})));
    assertTrue(e.getMessage().contains("unknown graph input 'input_1'"), e.getMessage());
    assertTrue(e.getMessage().contains("[x]"), e.getMessage());
  }

  @Test
  void shapeWithTheWrongRankIsRejected() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(-1, -1), "residual");
    var e = assertThrows(IllegalArgumentException.class,
        () -> m.inferShapes(Map.of("x", new long[] {3, 8, 8})));
    assertTrue(e.getMessage().contains("rank 3 but the model declares rank 4"), e.getMessage());
  }

  @Test
  void incompatibleChannelsAreReportedWithTheNode() throws Exception {
    TestGraph t = new TestGraph(4);
    t.input("x", -1, 3, 8, 8);
    t.conv("c", "x", 3, 4, 1, 1, 0);
    t.add("bad", "c", "x");
    OnnxModel m = OnnxModel.of(t.output("bad").build(), "bad");
    var e = assertThrows(IllegalArgumentException.class, () -> m.inferShapes(Map.of()));
    assertTrue(e.getMessage().contains("'bad' (Add): cannot broadcast [N,4,8,8] with [N,3,8,8]"),
        e.getMessage());
  }
}
