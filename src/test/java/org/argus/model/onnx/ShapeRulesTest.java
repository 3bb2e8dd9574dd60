package org.argus.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table of per-op shape rules and the dimension arithmetic they share. */
class ShapeRulesTest {
  /** The ops {@link OnnxModel#inferShapes} documents as supported. */
  private static final List<String> DOCUMENTED = List.of(
      "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Softmax",
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Concat", "MaxPool", "AveragePool",
      "GlobalAveragePool", "GlobalMaxPool", "Pad", "Transpose", "Flatten", "Reshape", "Gemm",
      "MatMul", "Identity", "Dropout", "Cast", "Shape", "Squeeze", "Unsqueeze", "Constant");

  private static final NodeProto ADD = NodeProto.newBuilder().setOpType("Add").setName("a").build();

  @Test
  void everyOpTheJavadocDocumentsHasARule() {
    for (String op : DOCUMENTED) {
      assertTrue(ShapeRules.ops().contains(op), op + " has no shape rule; rules: " + ShapeRules.ops());
    }
  }

  @Test
  void aStandardOpWithoutARuleTakesTheShapeDeclaredInValueInfo() throws Exception {
    TestGraph t = new TestGraph(2).input("x", -1, 3, 8, 8);
    t.node("Resize", "rs", new String[] {"x"});
    t.graph().addValueInfo(OnnxModel.valueInfo("rs", TensorProto.DataType.FLOAT_VALUE,
        new long[] {-1, 3, 16, 16}));
    t.relu("r", "rs");
    OnnxModel m = OnnxModel.of(t.output("r").build(), "resize.onnx");
    assertNull(ShapeRules.forOp("Resize"));
    assertArrayEquals(new long[] {-1, 3, 16, 16}, m.inferShapes(Map.of()).get("rs").shape());
    assertArrayEquals(new long[] {-1, 3, 16, 16}, m.inferShapes(Map.of()).get("r").shape());
  }

  @Test
  void broadcastAlignsOnTheRightAndStretchesOnes() {
    assertArrayEquals(new long[] {2, 3, 4, 5},
        Dims.broadcast(new long[] {2, 3, 1, 5}, new long[] {4, 1}, ADD, 0));
  }

  @Test
  void broadcastTakesTheKnownDimWhereTheOtherIsUnknown() {
    assertArrayEquals(new long[] {-1, 7}, Dims.broadcast(new long[] {-1, -1},
        new long[] {1, 7}, ADD, 0));
    assertArrayEquals(new long[] {6}, Dims.broadcast(new long[] {-1}, new long[] {6}, ADD, 0));
  }

  @Test
  void broadcastOfUnknownRankIsUnknown() {
    assertNull(Dims.broadcast(null, new long[] {3}, ADD, 0));
  }

  @Test
  void broadcastRejectsTwoDifferentKnownDimsNamingTheNode() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dims.broadcast(new long[] {2, 3}, new long[] {4}, ADD, 5));
    assertEquals("node 'a' (Add): cannot broadcast [2,3] with [4] (dims 3 and 4; valid: equal or 1)",
        e.getMessage());
  }

  @Test
  void productIsUnknownWhenOneDimIsUnknown() {
    assertEquals(24, Dims.product(new long[] {2, 3, 4}, 0, 3));
    assertEquals(12, Dims.product(new long[] {-1, 3, 4}, 1, 3));
    assertEquals(-1, Dims.product(new long[] {-1, 3, 4}, 0, 3));
  }
}
