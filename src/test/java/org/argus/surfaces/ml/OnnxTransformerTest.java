package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OnnxTransformer: a two-input two-output graph built in code over array and vector columns, and
 * the real MobileNetV2 cut above a layer fed with that layer's unpooled features from the
 * featurizer (equal to featurizing the higher layer directly); save/load with embedded bytes.
 */
class OnnxTransformerTest {
  private static ValueInfoProto info(String name, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s)))
        .build();
  }

  /** sum = a + b, prod = a * b over [N, 3]. */
  private static byte[] addMul() {
    GraphProto g = GraphProto.newBuilder().setName("addmul")
        .addInput(info("a", 3)).addInput(info("b", 3))
        .addNode(NodeProto.newBuilder().setOpType("Add").setName("sum").addInput("a").addInput("b").addOutput("sum"))
        .addNode(NodeProto.newBuilder().setOpType("Mul").setName("prod").addInput("a").addInput("b").addOutput("prod"))
        .addOutput(info("sum", 3)).addOutput(info("prod", 3))
        .build();
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("argus-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build().toByteArray();
  }

  @Test
  void twoInputsTwoOutputsOverArrayAndVectorColumnsAndSaveLoad(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path model = dir.resolve("addmul.onnx");
    Files.write(model, addMul());
    StructType schema = new StructType()
        .add("id", DataTypes.LongType)
        .add("x", DataTypes.createArrayType(DataTypes.DoubleType))
        .add("y", SQLDataTypes.VectorType());
    List<Row> rows = new java.util.ArrayList<>();
    for (long i = 0; i < 10; i++) {
      rows.add(RowFactory.create(i, new Double[] {1.0 * i, 2.0, -1.0}, Vectors.dense(3, i, 0.5)));
    }
    Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
    OnnxTransformer t = new OnnxTransformer().setModelPath(model.toString())
        .setInputCols("x", "y").setOutputCols("s", "p").setBatchSize(3);
    Path saved = dir.resolve("saved");
    t.write().save(saved.toString());
    Files.delete(model);
    for (OnnxTransformer stage : List.of(t, OnnxTransformer.load(saved.toString()))) {
      for (Row r : stage.transform(df).select("id", "s", "p").collectAsList()) {
        long i = r.getLong(0);
        assertEquals(List.of(3f + i, 2f + i, -0.5f), r.getList(1));
        assertEquals(List.of(3f * i, 2f * i, -0.5f), r.getList(2));
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(saved.resolve("argus/model.onnx").toString())
            .setInputCols("x").transformSchema(schema));
    assertTrue(e.getMessage().contains("1 inputCols"), e.getMessage());
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> new OnnxTransformer().setModelPath(saved.resolve("argus/model.onnx").toString())
            .setInputCols("x", "y").setInputShapes("4", "3").transform(df));
    assertTrue(wrong.getMessage().contains("inputShapes '4' contradicts input 'a'")
        && wrong.getMessage().contains("declared [?, 3]"), wrong.getMessage());
  }

  @Test
  void graphCutAboveALayerContinuesFromTheFeaturizersUnpooledActivation(@TempDir Path dir)
      throws Exception {
    FashionMnist.provision();
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> imgs = FashionMnist.sample(spark, FashionMnist.Split.TEST, 8, 21);
    OnnxModel full = OnnxModel.load(PretrainedModels.onnxFile("mobilenet_v2"));
    Path upper = dir.resolve("upper.onnx");
    Files.write(upper, full.cut(List.of("block_6_expand_relu"), List.of("block_10_expand_relu")).toBytes());
    DeepImageFeaturizer lower = new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setImageSize(48).setLayers("block_6_expand_relu").setPooling("none")
        .setOutputType("array").setOutputCol("act");
    // block_6_expand_relu at 48x48 input: [192, 6, 6] NCHW
    OnnxTransformer rest = new OnnxTransformer().setModelPath(upper.toString())
        .setInputCols("act").setInputShapes("192,6,6").setOutputCols("top");
    Map<Long, List<Float>> chained = new HashMap<>();
    for (Row r : rest.transform(lower.transform(imgs)).select("id", "top").collectAsList()) {
      chained.put(r.getLong(0), r.getList(1));
    }
    DeepImageFeaturizer direct = new DeepImageFeaturizer().setModelName("mobilenet_v2")
        .setImageSize(48).setLayers("block_10_expand_relu").setPooling("none").setOutputType("array");
    List<Row> expected = direct.transform(imgs).select("id", "features").collectAsList();
    assertEquals(8, expected.size());
    for (Row r : expected) {
      List<Float> want = r.getList(1);
      List<Float> got = chained.get(r.getLong(0));
      float[] a = new float[want.size()];
      float[] b = new float[got.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = want.get(i);
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = got.get(i);
      }
      assertArrayEquals(a, b, 1e-4f);
    }
  }
}
