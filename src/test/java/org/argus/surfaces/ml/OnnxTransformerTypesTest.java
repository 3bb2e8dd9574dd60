package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.inference.Emit;
import org.argus.model.onnx.ElementType;
import org.argus.model.ModelFormatException;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * OnnxTransformer on general ONNX graphs built in code: every supported element type in and out,
 * fixed batch dimensions, whole-tensor rows, and the refusals that must come before any job with
 * the model's path in the message. The bad-model refusals are rows of the fault catalogue ({@link
 * FaultRecorder}).
 */
@Tag(FaultRecorder.TAG)
class OnnxTransformerTypesTest {
  @TempDir
  Path dir;

  /** A tensor value info; {@code -1} dims are symbolic ({@code N} for dim 0). */
  private static ValueInfoProto info(String name, int elemType, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int i = 0; i < dims.length; i++) {
      s.addDim(dims[i] < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam(i == 0 ? "N" : "d" + i)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(dims[i]));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
  }

  /** Writes a one-node model {@code y = op(x)} and returns its path. */
  private Path model(String file, long opset, NodeProto.Builder node, ValueInfoProto in, ValueInfoProto out)
      throws Exception {
    GraphProto g = GraphProto.newBuilder().setName(file).addInput(in)
        .addNode(node.setName("n").addInput(in.getName()).addOutput(out.getName())).addOutput(out).build();
    Path p = dir.resolve(file + ".onnx");
    Files.write(p, ModelProto.newBuilder().setIrVersion(opset < 7 ? 3 : 8).setProducerName("argus-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(g).build().toByteArray());
    return p;
  }

  private static NodeProto.Builder op(String type) {
    return NodeProto.newBuilder().setOpType(type);
  }

  private static Dataset<Row> rows(DataType element, List<Object[]> values) {
    StructType schema = new StructType().add("id", DataTypes.IntegerType)
        .add("x", DataTypes.createArrayType(element));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      rows.add(RowFactory.create(i, values.get(i)));
    }
    return SparkTestSession.get().createDataFrame(rows, schema);
  }

  private static List<Object[]> one(Object[] row) {
    return java.util.Collections.singletonList(row);
  }

  /** Three values of each type, at its edges where it has them. */
  private static Object[] sample(ElementType t) {
    return switch (t) {
      case FLOAT -> new Float[] {1.5f, -2f, 3e30f};
      case FLOAT16 -> new Float[] {0.5f, -2f, 1024f};
      case DOUBLE -> new Double[] {1e-300, -2.25, Math.PI};
      case UINT8 -> new Integer[] {0, 200, 255};
      case INT8 -> new Integer[] {-128, 5, 127};
      case INT16 -> new Integer[] {-32768, 0, 32767};
      case INT32 -> new Integer[] {Integer.MIN_VALUE, 7, Integer.MAX_VALUE};
      case INT64 -> new Long[] {Long.MIN_VALUE, 9_007_199_254_740_993L, Long.MAX_VALUE};
      case BOOL -> new Boolean[] {true, false, true};
    };
  }

  @ParameterizedTest
  @EnumSource(ElementType.class)
  void everyElementTypeGoesInAndComesOutUnchanged(ElementType t) throws Exception {
    Path m = model("identity_" + t.onnxName(), 13, op("Identity"), info("x", t.onnxCode(), -1, 3),
        info("y", t.onnxCode(), -1, 3));
    Dataset<Row> df = rows(Emit.Tensor.sparkElement(t), List.of(sample(t), sample(t)));
    Dataset<Row> out = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transform(df);
    assertEquals(DataTypes.createArrayType(Emit.Tensor.sparkElement(t), false), out.schema().apply("y").dataType());
    for (Row r : out.collectAsList()) {
      assertEquals(Arrays.asList(sample(t)), r.getList(r.fieldIndex("y")), t.onnxName());
    }
  }

  @Test
  void anInt64OutputBecomesABigintArray() throws Exception {
    NodeProto.Builder argmax = op("ArgMax").addAttribute(AttributeProto.newBuilder().setName("axis").setI(1)
        .setType(AttributeProto.AttributeType.INT));
    Path m = model("argmax", 13, argmax, info("x", TensorProto.DataType.FLOAT_VALUE, -1, 4),
        info("y", TensorProto.DataType.INT64_VALUE, -1, 1));
    Dataset<Row> df = rows(DataTypes.FloatType, List.of(new Float[] {0f, 9f, 1f, 2f}, new Float[] {5f, 1f, 1f, 7f}));
    List<Row> out = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transform(df)
        .orderBy("id").collectAsList();
    assertEquals(List.of(1L), out.get(0).getList(2));
    assertEquals(List.of(3L), out.get(1).getList(2));
  }

  @Test
  void aGraphWithAFixedBatchSizeGetsExactlyThatManyRowsPerCallTheLastBatchPadded() throws Exception {
    // declared [4, 3]: 10 rows in 3 partitions make batches of 4 with padded tails
    Path m = model("fixed4", 13, op("Relu"), info("x", TensorProto.DataType.FLOAT_VALUE, 4, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, 4, 3));
    List<Object[]> values = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      values.add(new Float[] {(float) i, -1f, 0.5f * i});
    }
    Dataset<Row> df = rows(DataTypes.FloatType, values).repartition(3);
    List<Row> out = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").setBatchSize(64)
        .transform(df).collectAsList();
    assertEquals(10, out.size());
    for (Row r : out) {
      int i = r.getInt(0);
      assertEquals(List.of((float) i, 0f, 0.5f * i), r.getList(2), "row " + i);
    }
  }

  @Test
  void tensorBatchModeFeedsEachRowAsOneWholeTensor() throws Exception {
    Path m = model("whole", 13, op("Relu"), info("x", TensorProto.DataType.FLOAT_VALUE, 2, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, 2, 3));
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {1f, -2f, 3f, -4f, 5f, -6f}));
    Row r = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").setBatchMode("tensor")
        .transform(df).first();
    assertEquals(List.of(1f, 0f, 3f, 0f, 5f, 0f), r.getList(2));
  }

  @Test
  void anOldOpsetModelRunsWhenOnnxRuntimeImplementsItsOperators() throws Exception {
    // opset 6 is below what ONNX Runtime promises, yet it implements Relu-6: no refusal by number
    Path m = model("old", 6, op("Relu"), info("x", TensorProto.DataType.FLOAT_VALUE, -1, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {1f, -2f, 3f}));
    Row r = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transform(df).first();
    assertEquals(List.of(1f, 0f, 3f), r.getList(2));
  }

  @Test
  void aGraphOnnxRuntimeCannotLoadIsRefusedAtTransformNamingTheModelPath() throws Exception {
    Path m = model("unknown_op", 13, op("NoSuchOperator"), info("x", TensorProto.DataType.FLOAT_VALUE, -1, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {1f, 2f, 3f}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transform(df));
    assertTrue(e.getMessage().contains("ONNX Runtime cannot load model " + m + " (opsets ai.onnx 13)")
        && e.getMessage().contains("NoSuchOperator"), e.getMessage());
    FaultRecorder.record(FaultRecorder.Group.MODELS, "unknown operator (in no ONNX opset)",
        "OnnxTransformer.transform refused it before any job (driver-side session): "
            + e.getMessage().replace(dir.toString(), "DIR"),
        "no: nothing run");
  }

  @Test
  void aFloatingColumnCannotFeedAnIntegerInput() throws Exception {
    Path m = model("int64_identity", 13, op("Identity"), info("x", TensorProto.DataType.INT64_VALUE, -1, 3),
        info("y", TensorProto.DataType.INT64_VALUE, -1, 3));
    Dataset<Row> df = rows(DataTypes.DoubleType, one(new Double[] {1.0, 2.0, 3.0}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transformSchema(df.schema()));
    assertEquals("OnnxTransformer: input column 'x' has type array<double> but input 'x' of " + m
        + " takes int64; valid column types: array<tinyint|smallint|int|bigint> or an integer scalar "
        + "(cast floating columns first)", e.getMessage());
  }

  @Test
  void aStringInputIsRefusedWithTheSupportedTypes() throws Exception {
    Path m = model("strings", 13, op("Identity"), info("x", TensorProto.DataType.STRING_VALUE, -1, 1),
        info("y", TensorProto.DataType.STRING_VALUE, -1, 1));
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {1f}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transformSchema(df.schema()));
    assertEquals("OnnxTransformer: input 'x' of " + m + " has element type string; supported: "
        + "float, uint8, int8, int16, int32, int64, bool, float16, double", e.getMessage());
  }

  @Test
  void aValueOutsideTheInputTypesRangeIsAnInvalidRowWithItsReason() throws Exception {
    Path m = model("int8_identity", 13, op("Identity"), info("x", TensorProto.DataType.INT8_VALUE, -1, 2),
        info("y", TensorProto.DataType.INT8_VALUE, -1, 2));
    Dataset<Row> df = rows(DataTypes.IntegerType, List.of(new Integer[] {1, 2}, new Integer[] {3, 300}));
    List<Row> out = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").setHandleInvalid("keep")
        .transform(df).orderBy("id").collectAsList();
    assertEquals(List.of(1, 2), out.get(0).getList(2));
    assertNull(out.get(0).get(3));
    assertNull(out.get(1).get(2));
    assertEquals("column 'x' has value 300.0 at index 1, which int8 cannot hold (whole numbers −128…127) for "
        + "input 'x'", out.get(1).getString(3));
  }

  @Test
  void aModelFileChangedUnderASavedStageIsRefusedOnLoad() throws Exception {
    Path m = model("relu_saved", 13, op("Relu"), info("x", TensorProto.DataType.FLOAT_VALUE, -1, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    String saved = dir.resolve("saved_stage").toString();
    new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").setEmbedModel(false).write().save(saved);
    model("relu_saved", 13, op("Neg"), info("x", TensorProto.DataType.FLOAT_VALUE, -1, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, -1, 3)); // same path, another graph
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> OnnxTransformer.load(saved));
    assertTrue(e.getMessage().contains("but that model now resolves to sha256"), e.getMessage());
    FaultRecorder.record(FaultRecorder.Group.MODELS, "model file changed under a saved stage (sha256)",
        "OnnxTransformer.load refused it: " + e.getMessage().replace(dir.toString(), "DIR"),
        "no: the stage is not loaded, nothing run");
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"truncated", "text"})
  void aFileThatIsNotAWholeOnnxModelIsRefusedBeforeAnyJobNamingThePath(String kind) throws Exception {
    Path good = model("whole_model", 13, op("Relu"), info("x", TensorProto.DataType.FLOAT_VALUE, -1, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    byte[] bytes = Files.readAllBytes(good);
    Path bad = dir.resolve(kind + ".onnx");
    Files.write(bad, kind.equals("truncated") ? Arrays.copyOf(bytes, bytes.length / 2)
        : "this is not a model".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {1f, 2f, 3f}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(bad.toString()).setInputCols("x").transformSchema(df.schema()));
    assertTrue(e.getMessage().startsWith("modelPath " + bad + " is not a valid ONNX model: "), e.getMessage());
    FaultRecorder.record(FaultRecorder.Group.MODELS,
        kind.equals("truncated") ? "truncated model (50 %)" : "not ONNX (a text file named .onnx)",
        "OnnxTransformer.transformSchema refused it before any job: " + e.getMessage().replace(dir.toString(), "DIR"),
        "no: nothing run");
  }

  @Test
  void aModelWithExternalDataEscapingItsFolderIsRefusedBeforeOnnxRuntimeSeesIt() throws Exception {
    Path m = model("weights_outside", 13, op("Add").addInput("w"), info("x", TensorProto.DataType.FLOAT_VALUE, -1, 3),
        info("y", TensorProto.DataType.FLOAT_VALUE, -1, 3));
    ModelProto p = ModelProto.parseFrom(Files.readAllBytes(m));
    TensorProto w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(3)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL).addExternalData(StringStringEntryProto.newBuilder()
            .setKey("location").setValue("../../../etc/passwd")).build();
    Files.write(m, p.toBuilder().setGraph(p.getGraph().toBuilder().addInitializer(w)).build().toByteArray());
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {1f, 2f, 3f}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").transformSchema(df.schema()));
    assertTrue(e.getMessage().startsWith("modelPath " + m + " is not a valid ONNX model: ")
        && e.getMessage().contains("initializer 'w' has external data location '../../../etc/passwd' outside the "
            + "model's folder"), e.getMessage());
    assertTrue(e.getCause() instanceof ModelFormatException,
        "refused by Argus's own validation of the bytes, before an ONNX Runtime session exists: " + e.getCause());
    FaultRecorder.record(FaultRecorder.Group.MODELS,
        "external-data tensor whose location escapes the model's folder (path traversal)",
        "OnnxTransformer.transformSchema refused it before any job and before ONNX Runtime sees the model: "
            + e.getMessage().replace(dir.toString(), "DIR"),
        "no: nothing read outside the model's folder, nothing run");
  }

  @Test
  void anIntermediateTensorCanBeFetchedAsAnOutput() throws Exception {
    GraphProto g = GraphProto.newBuilder().setName("two")
        .addInput(info("x", TensorProto.DataType.FLOAT_VALUE, -1, 2))
        .addNode(op("Relu").setName("r").addInput("x").addOutput("h"))
        .addNode(op("Neg").setName("n").addInput("h").addOutput("y"))
        .addOutput(info("y", TensorProto.DataType.FLOAT_VALUE, -1, 2)).build();
    Path m = dir.resolve("two.onnx");
    Files.write(m, ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build().toByteArray());
    Dataset<Row> df = rows(DataTypes.FloatType, one(new Float[] {-1f, 2f}));
    Row r = new OnnxTransformer().setModelPath(m.toString()).setInputCols("x").setOutputTensors("h", "y")
        .transform(df).first();
    assertEquals(List.of(0f, 2f), r.getList(2));
    assertEquals(List.of(-0f, -2f), r.getList(3));
  }
}
