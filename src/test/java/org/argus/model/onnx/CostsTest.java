package org.argus.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** FLOP estimates: {@link OnnxModel#nodeCosts}, {@link OnnxModel#flopsPerExample}, describe. */
class CostsTest {

  private static NodeCost cost(OnnxModel m, Map<String, long[]> shapes, String node) {
    return m.nodeCosts(shapes).stream().filter(c -> c.nodeName().equals(node)).findFirst()
        .orElseThrow();
  }

  @Test
  void convFlopsFollowTheFormulaWithBias() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(-1, -1), "residual");
    // c1: Cin 3 → Cout 8, 3×3, pad 1, on 10×12: 2·Cout·H·W·Cin·k·k + Cout·H·W
    long expected = 2L * 8 * 10 * 12 * 3 * 3 * 3 + 8L * 10 * 12;
    assertEquals(expected, cost(m, Map.of("x", new long[] {1, 3, 10, 12}), "c1")
        .flopsPerExample());
  }

  @Test
  void groupedConvFlopsUseInputChannelsPerGroup() throws Exception {
    TestGraph t = new TestGraph(1).input("x", -1, 4, 6, 6);
    t.node("Conv", "dw", new String[] {"x", t.weights("w", 4, 1, 3, 3)}, TestGraph.i("group", 4),
        TestGraph.intsAttr("pads", 1, 1, 1, 1));
    OnnxModel m = OnnxModel.of(t.output("dw").build(), "depthwise");
    assertEquals(2L * 4 * 6 * 6 * 1 * 3 * 3, cost(m, Map.of(), "dw").flopsPerExample());
  }

  @Test
  void gemmFlopsAre2KNPlusBias() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(-1, -1), "residual");
    assertEquals(2L * 8 * 4 + 4, cost(m, Map.of(), "fc").flopsPerExample());
  }

  @Test
  void poolsElementwiseAndBatchNormCostPerOutputElement() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(8, 8), "residual");
    Map<String, long[]> s = Map.of();
    assertEquals(8L * 8 * 8, cost(m, s, "r1").flopsPerExample());
    assertEquals(8L * 8 * 8, cost(m, s, "add_1").flopsPerExample());
    assertEquals(8L * 4 * 4 * 2 * 2, cost(m, s, "pool").flopsPerExample());
    assertEquals(8L * 4 * 4, cost(m, s, "gap").flopsPerExample());
    assertEquals(0, cost(m, s, "flat").flopsPerExample());
    OnnxModel zoo = OnnxModel.of(TestGraph.zoo(17, 19), "zoo");
    long bnOut = zoo.inferShapes(Map.of()).get("bn").elementsPerExample();
    assertEquals(2 * bnOut, cost(zoo, Map.of(), "bn").flopsPerExample());
  }

  @Test
  void flopsAreUnknownWhileSpatialDimsAreSymbolic() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(-1, -1), "residual");
    assertEquals(-1, cost(m, Map.of(), "c1").flopsPerExample());
    assertEquals(-1, m.flopsPerExample(Map.of()));
  }

  @Test
  void totalIsTheSumOfTheNodeCosts() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.inception(-1, -1), "inception");
    Map<String, long[]> s = Map.of("x", new long[] {1, 3, 16, 16});
    long sum = m.nodeCosts(s).stream().mapToLong(NodeCost::flopsPerExample).sum();
    assertTrue(sum > 0);
    assertEquals(sum, m.flopsPerExample(s));
  }

  @Test
  void describeShowsOneRowPerTensorWithCumulativeFlopsOfItsAncestors() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(8, 8), "residual");
    String table = m.describe(Map.of());
    List<String> lines = table.lines().toList();
    assertEquals(1 + m.tensorNames().size(), lines.size(), table);
    long upToAdd = m.nodeCosts(Map.of()).stream()
        .filter(c -> List.of("c1", "r1", "c2", "r2", "add_1").contains(c.nodeName()))
        .mapToLong(NodeCost::flopsPerExample).sum();
    String addRow = lines.stream().filter(l -> l.startsWith("add_1 ")).findFirst().orElseThrow();
    assertTrue(addRow.matches("add_1\\s+Add\\s+\\[N,8,8,8]\\s+float32\\s+2048\\s+" + upToAdd),
        addRow);
  }
}
