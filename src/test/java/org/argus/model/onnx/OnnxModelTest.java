package org.argus.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.argus.model.ModelFormatException;
import org.argus.provision.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading and validating ONNX models: {@link OnnxModel#load}, {@link OnnxModel#fromBytes}. */
class OnnxModelTest {
  @TempDir Path dir;

  private Path write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void loadsAModelFileAndIndexesItsGraph() throws Exception {
    Path p = write("residual.onnx", TestGraph.residual(-1, -1).toByteArray());
    OnnxModel m = OnnxModel.load(p);
    assertEquals(p.toString(), m.sourceName());
    assertEquals(List.of("x"), m.inputNames());
    assertEquals(List.of("fc"), m.outputNames());
    assertEquals(List.of("x", "c1", "r1", "c2", "r2", "add_1", "pool", "gap", "flat", "fc"),
        m.tensorNames());
    assertEquals(9, m.nodeCount());
  }

  @Test
  void sha256IsOfTheSerializedBytes() throws Exception {
    byte[] b = TestGraph.residual(-1, -1).toByteArray();
    OnnxModel m = OnnxModel.fromBytes(b, "r");
    assertEquals(Sha256.of(b), m.sha256());
    assertArrayEquals(b, m.toBytes());
  }

  @Test
  void initializersListedAsGraphInputsAreNotInputNames() throws Exception {
    ModelProto p = TestGraph.residual(-1, -1);
    ModelProto withInitInput = p.toBuilder().setGraph(p.getGraph().toBuilder()
        .addInput(OnnxModel.valueInfo("c1_w", 1, new long[] {8, 3, 3, 3}))).build();
    assertEquals(List.of("x"), OnnxModel.of(withInitInput, "m").inputNames());
  }

  @Test
  void tensorNamesFollowTopologicalOrderEvenWhenNodesAreStoredOutOfOrder() throws Exception {
    ModelProto p = TestGraph.residual(-1, -1);
    var nodes = new java.util.ArrayList<>(p.getGraph().getNodeList());
    java.util.Collections.reverse(nodes);
    ModelProto shuffled = p.toBuilder().setGraph(p.getGraph().toBuilder().clearNode()
        .addAllNode(nodes)).build();
    assertEquals(OnnxModel.of(p, "a").tensorNames(), OnnxModel.of(shuffled, "b").tensorNames());
  }

  @Test
  void truncatedFileIsAModelFormatErrorNamingTheFile() throws Exception {
    byte[] b = TestGraph.residual(-1, -1).toByteArray();
    Path p = write("cut-short.onnx", Arrays.copyOf(b, b.length / 2));
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated or not an .onnx file"), e.getMessage());
  }

  @Test
  void pngBytesAreAModelFormatError() throws Exception {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
        'D', 'R', 0, 0, 1, 0};
    Path p = write("image.onnx", png);
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("'" + p + "' is not"), e.getMessage());
  }

  @Test
  void textBytesAreAModelFormatError() {
    byte[] text = "this is a README, not a model\n".getBytes(StandardCharsets.UTF_8);
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.fromBytes(text, "README"));
    assertTrue(e.getMessage().contains("'README' is not"), e.getMessage());
  }

  @Test
  void emptyFileIsAModelFormatError() throws Exception {
    Path p = write("empty.onnx", new byte[0]);
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains(p + "' is empty (0 bytes)"), e.getMessage());
  }

  @Test
  void missingFileIsAModelFormatError() {
    Path p = dir.resolve("absent.onnx");
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("cannot read ONNX model file '" + p + "'"), e.getMessage());
  }

  @Test
  void aModelWithoutOpsetImportIsRejected() throws Exception {
    ModelProto p = TestGraph.residual(-1, -1).toBuilder().clearOpsetImport().build();
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.of(p, "noopset.onnx"));
    assertTrue(e.getMessage().contains("declares no opset_import"), e.getMessage());
  }

  @Test
  void missingInitializerNamesTheTensorAndTheNode() throws Exception {
    ModelProto p = TestGraph.residual(-1, -1);
    var g = p.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals("c1_w")) {
        g.removeInitializer(i);
        break;
      }
    }
    ModelProto broken = p.toBuilder().setGraph(g).build();
    Path file = write("broken.onnx", broken.toByteArray());
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(file));
    assertTrue(e.getMessage().contains(
        "missing initializer or producer for tensor 'c1_w' used by node 'c1' (Conv)"),
        e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void aGraphOutputNobodyProducesIsRejected() throws Exception {
    TestGraph t = new TestGraph(1).input("x", -1, 3);
    t.relu("r", "x");
    var e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.of(t.output("y").build(), "m"));
    assertTrue(e.getMessage().contains("graph output 'y' is not produced by any node"),
        e.getMessage());
  }

  @Test
  void aCycleIsRejected() throws Exception {
    TestGraph t = new TestGraph(1).input("x", -1, 3);
    t.add("a", "x", "b");
    t.relu("b", "a");
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.of(t.output("b").build(),
        "cyclic.onnx"));
    assertTrue(e.getMessage().contains("cycle through node"), e.getMessage());
  }

  @Test
  void aTensorWithTwoProducersIsRejected() throws Exception {
    TestGraph t = new TestGraph(1).input("x", -1, 3);
    t.relu("y", "x");
    t.node("Sigmoid", "y", new String[] {"x"});
    var e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.of(t.output("y").build(), "twice.onnx"));
    assertTrue(e.getMessage().contains("tensor 'y' is produced twice"), e.getMessage());
  }

  private static ModelProto withExternalData(String location) {
    ModelProto p = TestGraph.residual(-1, -1);
    var g = p.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals("c1_w")) {
        g.setInitializer(i, g.getInitializer(i).toBuilder().clearFloatData()
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location")
                .setValue(location)));
      }
    }
    return p.toBuilder().setGraph(g).build();
  }

  @Test
  void externalDataOutsideTheModelFolderIsRejected() throws Exception {
    Path p = write("evil.onnx", withExternalData("../../etc/passwd").toByteArray());
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains(
        "initializer 'c1_w' has external data location '../../etc/passwd' outside the model's"
            + " folder"), e.getMessage());
  }

  @Test
  void externalDataAtAnAbsolutePathIsRejected() {
    var e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.of(withExternalData("/etc/passwd"), "abs.onnx"));
    assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
  }

  @Test
  void externalDataEscapingWithBackslashesIsRejected() {
    var e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.of(withExternalData("..\\..\\secrets.bin"), "win.onnx"));
    assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
  }

  @Test
  void externalDataInASubfolderWithDotsInItsNameIsNotMistakenForTraversal() {
    var e = assertThrows(ModelFormatException.class,
        () -> OnnxModel.of(withExternalData("data/w..bin"), "dots.onnx"));
    assertTrue(e.getMessage().contains("external data is not supported"), e.getMessage());
  }

  @Test
  void externalDataInsideTheFolderIsRefusedAsUnsupported() throws Exception {
    Path p = write("big.onnx", withExternalData("big.onnx.data").toByteArray());
    write("big.onnx.data", new byte[8 * 3 * 3 * 3 * 4]);
    var e = assertThrows(ModelFormatException.class, () -> OnnxModel.load(p));
    assertTrue(e.getMessage().contains("external data is not supported"), e.getMessage());
  }
}
