package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.Roster;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeepImageFeaturizer and DeepImagePredictor on the real MobileNetV2 and real Fashion-MNIST images:
 * multi-layer one-pass features equal single-layer runs, schema checks fail before any job,
 * handleInvalid on corrupted/truncated/zero-byte/non-image/null inputs, predictions, persistence.
 */
class DeepImageFeaturizerTest {
  private static SparkSession spark;
  private static Dataset<Row> images;

  @BeforeAll
  static void setUp() throws Exception {
    FashionMnist.provision();
    spark = SparkTestSession.get();
    images = FashionMnist.sample(spark, FashionMnist.Split.TEST, 20, 11).repartition(2).cache();
  }

  private static DeepImageFeaturizer featurizer() {
    return new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(48).setBatchSize(7);
  }

  private static Map<Long, float[]> byId(Dataset<Row> df, String col) {
    Map<Long, float[]> m = new HashMap<>();
    for (Row r : df.select("id", col).collectAsList()) {
      Object v = r.get(1);
      float[] f;
      if (v instanceof Vector vec) {
        double[] d = vec.toArray();
        f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
          f[i] = (float) d[i];
        }
      } else {
        List<Float> l = r.getList(1);
        f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
          f[i] = l.get(i);
        }
      }
      m.put(r.getLong(0), f);
    }
    return m;
  }

  @Test
  void severalLayersInOnePassEqualOneLayerAtATime() {
    Dataset<Row> multi =
        featurizer()
            .setLayers("block_6_expand_relu", "block_3_expand_relu")
            .setPooling("avg:2")
            .setOutputType("array")
            .transform(images);
    assertEquals(
        List.of("id", "label", "image", "features_block_6_expand_relu", "features_block_3_expand_relu"),
        Arrays.asList(multi.columns()));
    for (String layer : List.of("block_3_expand_relu", "block_6_expand_relu")) {
      Map<Long, float[]> single =
          byId(featurizer().setLayers(layer).setPooling("avg:2").transform(images), "features");
      Map<Long, float[]> fromMulti = byId(multi, "features_" + layer);
      assertEquals(20, single.size());
      for (Map.Entry<Long, float[]> e : single.entrySet()) {
        assertArrayEquals(e.getValue(), fromMulti.get(e.getKey()), 1e-5f, layer);
      }
    }
    // block_3_expand_relu has 144 channels; avg:2 → 144·2·2
    assertEquals(144 * 4, byId(multi, "features_block_3_expand_relu").values().iterator().next().length);
  }

  @Test
  void checkModelRefusesAnUnknownLayerOrModelWithoutAnyData() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new DeepImageFeaturizer().setModelName("mobilenet_v2").setLayers("block_99_relu").checkModel());
    assertTrue(e.getMessage().contains("unknown layer 'block_99_relu' in mobilenet_v2")
        && e.getMessage().contains("block_13_expand_relu"), e.getMessage());
    var m = assertThrows(IllegalArgumentException.class,
        () -> new DeepImageFeaturizer().setModelName("resnet9000").setLayers("out_relu").checkModel());
    assertTrue(m.getMessage().contains("unknown model 'resnet9000'") && m.getMessage().contains("mobilenet_v2"),
        m.getMessage());
    DeepImageFeaturizer ok = new DeepImageFeaturizer().setModelName("mobilenet_v2").setLayers("out_relu");
    assertEquals(ok, ok.checkModel(), "a valid stage passes and returns itself");
  }

  @Test
  void badParamsFailInTransformSchemaNamingTheValue() {
    StructType schema = images.schema();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> featurizer().setLayers("block_99").transformSchema(schema));
    assertTrue(e.getMessage().contains("block_99") && e.getMessage().contains("block_13_expand_relu"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> featurizer().setLayers("out_relu").setInputCol("pixels").transformSchema(schema));
    assertTrue(e.getMessage().contains("'pixels'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> featurizer().setLayers("out_relu").setInputCol("label").transformSchema(schema));
    assertTrue(e.getMessage().contains("int"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new DeepImageFeaturizer().setModelName("resnet_9000").setLayers("x").transformSchema(schema));
    assertTrue(e.getMessage().contains("resnet_9000") && e.getMessage().contains("mobilenet_v2"));
    e = assertThrows(IllegalArgumentException.class,
        () -> featurizer().setModelPath("/tmp/x.onnx").setLayers("x").transformSchema(schema));
    assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> featurizer().setLayers("out_relu").setOutputCol("label").transformSchema(schema));
    assertTrue(e.getMessage().contains("'label' already exists"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> featurizer().setPooling("median"));
    assertThrows(IllegalArgumentException.class, () -> featurizer().setHandleInvalid("ignore"));
    assertThrows(IllegalArgumentException.class, () -> featurizer().setBatchSize(0));
    assertThrows(IllegalArgumentException.class,
        () -> featurizer().setImageSize(16).setLayers("out_relu").transformSchema(schema));
  }

  private static byte[] png(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private static byte[] jpeg(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", out);
    return out.toByteArray();
  }

  /** binaryFile-shaped rows: 3 good images and one of each kind of bad input. */
  private static Dataset<Row> binaryRows() throws Exception {
    BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 30; y++) {
      for (int x = 0; x < 40; x++) {
        img.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | 90);
      }
    }
    byte[] good = png(img);
    byte[] jpg = jpeg(img);
    byte[] corrupted = jpg.clone();
    for (int i = 2; i < Math.min(corrupted.length, 200); i++) {
      corrupted[i] = (byte) 0x5a;
    }
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create("good1.png", good));
    rows.add(RowFactory.create("good2.jpg", jpg));
    rows.add(RowFactory.create("good3.png", good));
    rows.add(RowFactory.create("corrupted.jpg", corrupted));
    rows.add(RowFactory.create("truncated.png", Arrays.copyOf(good, good.length / 2)));
    rows.add(RowFactory.create("empty.png", new byte[0]));
    rows.add(RowFactory.create("notes.txt", "not an image at all".getBytes(StandardCharsets.UTF_8)));
    rows.add(RowFactory.create("null", null));
    StructType schema = new StructType()
        .add("path", DataTypes.StringType, false)
        .add("content", DataTypes.BinaryType, true);
    return spark.createDataFrame(rows, schema).repartition(2);
  }

  @Test
  void handleInvalidKeepSkipErrorOnBadInputs() throws Exception {
    Dataset<Row> files = binaryRows();
    DeepImageFeaturizer f = featurizer().setInputCol("content").setLayers("block_3_expand_relu")
        .setPooling("max").setBatchSize(3);

    List<Row> kept = f.copy(new org.apache.spark.ml.param.ParamMap()).setHandleInvalid("keep")
        .transform(files).select("path", "features", "invalid_reason").collectAsList();
    assertEquals(8, kept.size());
    int valid = 0;
    int invalid = 0;
    for (Row r : kept) {
      boolean good = r.getString(0).startsWith("good");
      if (good) {
        valid++;
        assertNull(r.get(2), r.toString());
        assertEquals(144, ((Vector) r.get(1)).size());
      } else {
        invalid++;
        assertNull(r.get(1), r.toString());
        assertNotNull(r.getString(2), r.toString());
      }
    }
    assertEquals(3, valid);
    assertEquals(5, invalid);
    assertEquals(valid + invalid, kept.size());

    assertEquals(3, f.setHandleInvalid("skip").transform(files).count());

    Exception e = assertThrows(Exception.class,
        () -> featurizer().setInputCol("content").setLayers("block_3_expand_relu")
            .transform(files).collectAsList());
    assertTrue(String.valueOf(e.getMessage()).contains("invalid image in row"), e.getMessage());

    // a null image struct in an image column
    Dataset<Row> withNull = images.limit(3).union(
        spark.createDataFrame(List.of(RowFactory.create(-1L, 0, null)), images.schema().asNullable()));
    List<Row> out = featurizer().setLayers("block_3_expand_relu").setHandleInvalid("keep")
        .transform(withNull).select("id", "invalid_reason").collectAsList();
    assertEquals(4, out.size());
    assertEquals(1, out.stream().filter(r -> "null image".equals(r.getString(1))).count());
  }

  @Test
  void sparkImageSourceInvalidRowsAreKeptWithAReason(@TempDir Path dir) throws Exception {
    BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
    Files.write(dir.resolve("ok.png"), png(img));
    Files.writeString(dir.resolve("readme.png"), "this is text, not a PNG");
    Dataset<Row> df = spark.read().format("image").option("dropInvalid", false).load(dir.toString());
    List<Row> out = featurizer().setLayers("block_3_expand_relu").setHandleInvalid("keep")
        .setPooling("avg").transform(df).select("image.origin", "features", "invalid_reason")
        .collectAsList();
    assertEquals(2, out.size());
    for (Row r : out) {
      boolean ok = r.getString(0).endsWith("ok.png");
      assertEquals(ok, r.isNullAt(2), r.toString());
      assertEquals(ok, !r.isNullAt(1), r.toString());
      if (!ok) {
        assertTrue(r.getString(2).startsWith("undecodable image"), r.getString(2));
      }
    }
  }

  @Test
  void predictorGivesSortedTopKWithRosterLabels() {
    List<Row> rows = new DeepImagePredictor().setModelName("mobilenet_v2").setImageSize(96).setTopK(3)
        .transform(images.limit(6)).select("probability", "predictions").collectAsList();
    assertEquals(6, rows.size());
    for (Row r : rows) {
      List<Float> p = r.getList(0);
      assertEquals(5, p.size());
      assertEquals(1.0, p.stream().mapToDouble(Float::doubleValue).sum(), 1e-4);
      List<Row> top = r.getList(1);
      assertEquals(3, top.size());
      float max = p.stream().max(Float::compare).orElseThrow();
      assertEquals(max, top.get(0).getFloat(1), 1e-6f);
      assertEquals(Roster.NSFWJS_LABELS.get(p.indexOf(max)), top.get(0).getString(0));
      assertTrue(top.get(0).getFloat(1) >= top.get(1).getFloat(1));
      assertTrue(top.get(1).getFloat(1) >= top.get(2).getFloat(1));
    }
  }

  @Test
  void savedStagesLoadAndComputeTheSameFeatures(@TempDir Path dir) throws Exception {
    // a user model given by path: its ONNX bytes are embedded in the saved directory
    Path onnx = dir.resolve("user-model.onnx");
    Files.copy(PretrainedModels.onnxFile("mobilenet_v2"), onnx);
    DeepImageFeaturizer user = new DeepImageFeaturizer().setModelPath(onnx.toString())
        .setPreprocessing(Roster.get("mobilenet_v2").preprocessing().withSize(48, 48).compact())
        .setLayers("block_6_expand_relu").setPooling("avg");
    DeepImageFeaturizer roster = featurizer().setLayers("block_6_expand_relu").setPooling("avg");
    String userDir = dir.resolve("user-stage").toString();
    String rosterDir = dir.resolve("roster-stage").toString();
    user.write().save(userDir);
    roster.write().save(rosterDir);
    assertThrows(java.io.IOException.class, () -> roster.write().save(rosterDir));
    Files.delete(onnx); // the saved stage must not need the original file
    assertTrue(Files.exists(Path.of(userDir, "argus", "model.onnx")));

    DeepImageFeaturizer userBack = DeepImageFeaturizer.load(userDir);
    DeepImageFeaturizer rosterBack = DeepImageFeaturizer.load(rosterDir);
    assertEquals(roster.uid(), rosterBack.uid());
    assertEquals("avg", rosterBack.getPooling());
    Map<Long, float[]> expected = byId(roster.transform(images), "features");
    for (DeepImageFeaturizer back : List.of(userBack, rosterBack)) {
      Map<Long, float[]> got = byId(back.transform(images), "features");
      for (Map.Entry<Long, float[]> e : expected.entrySet()) {
        assertArrayEquals(e.getValue(), got.get(e.getKey()), 1e-6f);
      }
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DeepImagePredictor.load(rosterDir));
    assertTrue(e.getMessage().contains("DeepImageFeaturizer"), e.getMessage());
  }
}
