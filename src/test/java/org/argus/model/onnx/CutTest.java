package org.argus.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link OnnxModel#cut}: minimal subgraphs between tensor sets, checked with ONNX Runtime. */
class CutTest {
  private static final long[] X_SHAPE = {2, 3, 12, 10};

  private static OnnxModel residual() throws Exception {
    return OnnxModel.of(TestGraph.residual(-1, -1), "residual.onnx");
  }

  private static OnnxModel inception() throws Exception {
    return OnnxModel.of(TestGraph.inception(-1, -1), "inception.onnx");
  }

  private static List<String> nodeNames(OnnxModel m) {
    return m.proto().getGraph().getNodeList().stream().map(NodeProto::getName).toList();
  }

  @Test
  void keepsOnlyTheNeededNodesInTopologicalOrder() throws Exception {
    OnnxModel cut = residual().cut(List.of("r1"), List.of("add_1"));
    assertEquals(List.of("c2", "r2", "add_1"), nodeNames(cut));
  }

  @Test
  void keepsOnlyTheInitializersTheNeededNodesUse() throws Exception {
    OnnxModel cut = residual().cut(List.of("r1"), List.of("add_1"));
    assertEquals(List.of("c2_w", "c2_b"),
        cut.proto().getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
  }

  @Test
  void inputsAndOutputsBecomeTheGraphInputsAndOutputs() throws Exception {
    OnnxModel cut = inception().cut(List.of("mixed"), List.of("rd", "out"));
    assertEquals(List.of("mixed"), cut.inputNames());
    assertEquals(List.of("rd", "out"), cut.outputNames());
  }

  @Test
  void declaresInputsWithInferredChannelsAndSymbolicBatchAndSpatialDims() throws Exception {
    OnnxModel cut = inception().cut(List.of("mixed"), List.of("out"));
    ValueInfoProto in = cut.proto().getGraph().getInput(0);
    var tt = in.getType().getTensorType();
    assertEquals(TensorProto.DataType.FLOAT_VALUE, tt.getElemType());
    assertArrayEquals(new long[] {-1, 12, -1, -1}, TestGraph.dims(tt.getShape()));
    assertEquals("N", tt.getShape().getDim(0).getDimParam());
  }

  @Test
  void batchDimIsSymbolicEvenWhenTheModelDeclaresAConcreteBatch() throws Exception {
    OnnxModel m = OnnxModel.of(TestGraph.residual(8, 8).toBuilder()
        .setGraph(TestGraph.residual(8, 8).getGraph().toBuilder().setInput(0,
            OnnxModel.valueInfo("x", 1, new long[] {1, 3, 8, 8}))).build(), "b1.onnx");
    OnnxModel cut = m.cut(List.of("r1"), List.of("add_1"));
    var shape = cut.proto().getGraph().getInput(0).getType().getTensorType().getShape();
    assertArrayEquals(new long[] {-1, 8, 8, 8}, TestGraph.dims(shape));
  }

  @Test
  void keepsIrVersionAndOpsetImports() throws Exception {
    OnnxModel full = residual();
    OnnxModel cut = full.cut(List.of("r1"), List.of("add_1"));
    assertEquals(full.proto().getIrVersion(), cut.proto().getIrVersion());
    assertEquals(full.proto().getOpsetImportList(), cut.proto().getOpsetImportList());
  }

  @Test
  void cutGraphComputesTheSameTensorAsTheFullGraphInOrt() throws Exception {
    OnnxModel full = residual();
    float[] x = Ort.random(7, X_SHAPE);
    var ref = Ort.runExposing(full.proto(), "x", X_SHAPE, x, List.of("r1", "add_1"));
    OnnxModel cut = full.cut(List.of("r1"), List.of("add_1"));
    Ort.Tensor r1 = ref.get("r1");
    Ort.Tensor got = Ort.run(cut.proto(), "r1", r1.shape(), r1.data(), List.of("add_1"))
        .get("add_1");
    assertArrayEquals(ref.get("add_1").shape(), got.shape());
    assertArrayEquals(ref.get("add_1").data(), got.data(), 1e-6f);
  }

  @Test
  void twoStageChainComposesToTheDirectCut() throws Exception {
    OnnxModel full = inception();
    float[] x = Ort.random(11, X_SHAPE);
    OnnxModel stage1 = full.cut(List.of("x"), List.of("mixed"));
    OnnxModel stage2 = full.cut(List.of("mixed"), List.of("out"));
    OnnxModel direct = full.cut(List.of("x"), List.of("out"));
    Ort.Tensor a = Ort.run(stage1.proto(), "x", X_SHAPE, x, List.of("mixed")).get("mixed");
    Ort.Tensor b = Ort.run(stage2.proto(), "mixed", a.shape(), a.data(), List.of("out"))
        .get("out");
    Ort.Tensor d = Ort.run(direct.proto(), "x", X_SHAPE, x, List.of("out")).get("out");
    assertArrayEquals(d.shape(), b.shape());
    assertArrayEquals(d.data(), b.data(), 1e-6f);
  }

  @Test
  void cutWithAllGraphInputsAndOutputsKeepsEveryNode() throws Exception {
    OnnxModel full = inception();
    assertEquals(full.nodeCount(), full.cut(List.of("x"), List.of("out")).nodeCount());
  }

  @Test
  void cuttingAcrossAResidualWithOnlyOneSideAsInputNamesTheBypass() throws Exception {
    OnnxModel full = residual();
    var e = assertThrows(IllegalArgumentException.class,
        () -> full.cut(List.of("r2"), List.of("add_1")));
    assertTrue(e.getMessage().contains(
        "tensor 'add_1' also depends on graph input 'x' via 'r1' which is not among the cut"
            + " inputs [r2]"), e.getMessage());
    assertTrue(e.getMessage().contains("x -> c1 -> r1 -> add_1"), e.getMessage());
  }

  @Test
  void cuttingAnInceptionBlockAtOneBranchFails() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> inception().cut(List.of("b1", "b2"), List.of("mixed")));
    assertTrue(e.getMessage().contains("also depends on graph input 'x' via 'b3'"),
        e.getMessage());
  }

  @Test
  void unknownTensorNameListsTheValidNames() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of("r1"), List.of("relu_9")));
    assertTrue(e.getMessage().contains("unknown tensor 'relu_9' as cut output"), e.getMessage());
    assertTrue(e.getMessage().contains(
        "[x, c1, r1, c2, r2, add_1, pool, gap, flat, fc]"), e.getMessage());
  }

  @Test
  void unknownTensorNameInALargeModelListsTheFirstNamesAndTheTotal() throws Exception {
    TestGraph t = new TestGraph(3);
    t.input("x", -1, 4);
    String prev = "x";
    for (int i = 0; i < 40; i++) {
      prev = t.relu("relu_" + i, prev);
    }
    OnnxModel m = OnnxModel.of(t.output(prev).build(), "deep.onnx");
    var e = assertThrows(IllegalArgumentException.class,
        () -> m.cut(List.of("nope"), List.of("relu_39")));
    assertTrue(e.getMessage().contains("relu_28, … (41 total)]"), e.getMessage());
    assertTrue(!e.getMessage().contains("relu_29"), e.getMessage());
  }

  @Test
  void anInitializerIsNotACutPoint() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of("c2_w"), List.of("add_1")));
    assertTrue(e.getMessage().contains("'c2_w' is an initializer"), e.getMessage());
  }

  @Test
  void anOutputThatIsAlsoAnInputFails() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of("r1"), List.of("r1", "add_1")));
    assertTrue(e.getMessage().contains("'r1' is both a cut input and a cut output"),
        e.getMessage());
  }

  @Test
  void emptyInputsFail() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of(), List.of("add_1")));
    assertTrue(e.getMessage().contains("cut inputs of 'residual.onnx' are empty"),
        e.getMessage());
  }

  @Test
  void emptyOutputsFail() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of("x"), List.of()));
    assertTrue(e.getMessage().contains("cut outputs of 'residual.onnx' are empty"),
        e.getMessage());
  }

  @Test
  void anInputNotOnAnyPathToTheOutputsFails() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of("r1", "pool"), List.of("add_1")));
    assertTrue(e.getMessage().contains("input 'pool' is not needed to compute [add_1]"),
        e.getMessage());
  }

  @Test
  void anInputShadowedByAnotherCutInputFails() throws Exception {
    var e = assertThrows(IllegalArgumentException.class,
        () -> residual().cut(List.of("x", "r1"), List.of("add_1")));
    assertTrue(e.getMessage().contains("input 'x' is not needed"), e.getMessage());
  }

  @Test
  void cutModelIsNamedAfterTheCut() throws Exception {
    assertEquals("residual.onnx [r1] -> [add_1]",
        residual().cut(List.of("r1"), List.of("add_1")).sourceName());
  }

  @Test
  void cutModelReadBackFromItsBytesComputesTheFullGraphsTensor() throws Exception {
    OnnxModel full = residual();
    OnnxModel cut = full.cut(List.of("r1"), List.of("fc"));
    OnnxModel again = OnnxModel.fromBytes(cut.toBytes(), "again");
    assertEquals(cut.sha256(), again.sha256());
    assertEquals(ModelProto.parseFrom(cut.toBytes()), again.proto());
    float[] x = Ort.random(5, X_SHAPE);
    Map<String, Ort.Tensor> ref =
        Ort.runExposing(full.proto(), "x", X_SHAPE, x, List.of("r1", "fc"));
    Ort.Tensor r1 = ref.get("r1");
    Ort.Tensor got =
        Ort.run(again.proto(), "r1", r1.shape(), r1.data(), List.of("fc")).get("fc");
    assertArrayEquals(ref.get("fc").shape(), got.shape());
    assertArrayEquals(ref.get("fc").data(), got.data(), 1e-6f);
  }

  @Test
  void everyTensorACutNodeReadsIsDefinedInsideTheCutAndEveryInitializerIsRead() throws Exception {
    OnnxModel cut = inception().cut(List.of("r0"), List.of("rd", "out"));
    var g = cut.proto().getGraph();
    Set<String> defined = new HashSet<>();
    g.getInputList().forEach(i -> defined.add(i.getName()));
    g.getInitializerList().forEach(t -> defined.add(t.getName()));
    Set<String> read = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!in.isEmpty()) {
          assertTrue(defined.contains(in), "node " + n.getName() + " reads undefined '" + in + "'");
          read.add(in);
        }
      }
      defined.addAll(n.getOutputList());
    }
    for (TensorProto t : g.getInitializerList()) {
      assertTrue(read.contains(t.getName()), "initializer '" + t.getName() + "' is never read");
    }
    for (ValueInfoProto o : g.getOutputList()) {
      assertTrue(defined.contains(o.getName()), "output '" + o.getName() + "' is never computed");
    }
  }
}
