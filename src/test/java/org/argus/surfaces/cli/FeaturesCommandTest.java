package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.surfaces.ml.DeepImageFeaturizer;
import org.argus.surfaces.report.ReportJson;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus features}: its Parquet holds exactly the featurizer's vectors (fp32 and int8) for
 * the same rows, unusable images land in the quarantine with their reason, and bad input fails
 * before any job with a message naming what is valid.
 */
class FeaturesCommandTest {
  private static final List<String> LAYERS = List.of("block_3_expand_relu", "block_6_expand_relu");

  /** The Fashion-MNIST rows {@code --train N --test M --seed 42} reads. */
  private static Dataset<Row> sample(SparkSession spark, int train, int test) throws Exception {
    return FashionMnist.sample(spark, FashionMnist.Split.TRAIN, train, 42)
        .unionByName(FashionMnist.sample(spark, FashionMnist.Split.TEST, test, 42));
  }

  /** @return layer → id → features, from a Parquet folder or a featurizer's output (column i holds layers[i]) */
  private static Map<String, Map<Long, float[]>> byLayer(Dataset<Row> df, List<String> cols, List<String> layers) {
    Map<String, Map<Long, float[]>> m = new HashMap<>();
    for (Row r : df.collectAsList()) {
      for (int i = 0; i < cols.size(); i++) {
        List<Float> v = r.getList(r.fieldIndex(cols.get(i)));
        float[] a = new float[v.size()];
        for (int k = 0; k < a.length; k++) {
          a[k] = v.get(k);
        }
        m.computeIfAbsent(layers.get(i), k -> new HashMap<>()).put(((Number) r.getAs("id")).longValue(), a);
      }
    }
    return m;
  }

  private static DeepImageFeaturizer featurizer(List<String> layers) {
    return new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(64)
        .setLayers(layers.toArray(new String[0])).setPooling("avg").setOutputType("array");
  }

  private static void assertParquetEqualsFeaturizer(Path out, DeepImageFeaturizer reference, Dataset<Row> rows) {
    SparkSession spark = SparkTestSession.get();
    List<String> layers = List.of(reference.getLayers());
    Map<String, Map<Long, float[]>> cli = byLayer(spark.read().parquet(out.resolve("features").toString()), layers,
        layers);
    Map<String, Map<Long, float[]>> ref = byLayer(reference.transform(rows), reference.outputColumns(),
        layers);
    for (String layer : layers) {
      assertEquals(rows.count(), cli.get(layer).size(), layer);
      assertEquals(ref.get(layer).keySet(), cli.get(layer).keySet(), layer);
      for (Map.Entry<Long, float[]> e : ref.get(layer).entrySet()) {
        assertArrayEquals(e.getValue(), cli.get(layer).get(e.getKey()), 1e-6f, layer + " id " + e.getKey());
      }
    }
  }

  @Test
  void theParquetHoldsTheFeaturizersVectorsAndTheQuarantineTheUnusableImages(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTestSession.get();
    // an image table: the 20 sample rows, a null image and a struct whose data is truncated
    Dataset<Row> good = sample(spark, 16, 4).select("id", "label", "image");
    Row img = good.first().getStruct(2);
    List<Row> bad = List.of(RowFactory.create(-1L, 0, null),
        RowFactory.create(-2L, 0, RowFactory.create(img.get(0), 28, 28, 1, 0, new byte[10])));
    StructType nullable = new StructType().add("id", DataTypes.LongType).add("label", DataTypes.IntegerType)
        .add("image", ImageSchema.columnSchema(), true);
    Path table = dir.resolve("images.parquet");
    spark.createDataFrame(good.collectAsList(), nullable).unionByName(spark.createDataFrame(bad, nullable))
        .write().parquet(table.toString());
    Path out = dir.resolve("out");

    String[] o = CliRun.run(0, "features", "--data", table.toString(), "--input-size", "64",
        "--layers", String.join(",", LAYERS), "--pooling", "avg", "--out", out.toString());

    assertParquetEqualsFeaturizer(out, featurizer(LAYERS), good);
    assertEquals(List.of("id", "label", LAYERS.get(0), LAYERS.get(1)),
        List.of(spark.read().parquet(out.resolve("features").toString()).columns()));
    Map<String, String> q = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve("quarantine").toString()).collectAsList()) {
      q.put(r.getString(0), r.getString(1));
    }
    assertEquals(2, q.size(), q.toString());
    assertTrue(q.get("-1").contains("null"), q.toString());
    assertTrue(q.get("-2").contains("784"), q.toString());
    assertTrue(o[1].contains("inference + features Parquet: done, 22 images"), o[1]);
    assertTrue(o[0].contains("22 rows read: 20 written"), o[0]);
    JsonNode report = ReportJson.read(Files.readString(out.resolve("report.json")));
    assertEquals("features", report.get("kind").asText());
    JsonNode r = report.get("result");
    assertEquals(22, r.get("rows_read").asInt());
    assertEquals(20, r.get("rows_written").asInt());
    assertEquals(2, r.get("quarantined").asInt());
    assertEquals(144, r.get("layers").get(0).get("dim").asInt()); // block_3_expand_relu: 144 channels, avg
    assertEquals(64, report.get("provenance").get("models").get(0).get("sha256").asText().length());
    assertTrue(Files.readString(out.resolve("report.md")).contains("## Provenance"));
  }

  @Test
  void int8FeaturesOfAFashionMnistSampleAreTheInt8FeaturizersOnTheSameRows(@TempDir Path dir) throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path out = dir.resolve("int8");
    // every image calibrates (no held-out check set: the accuracy guard has its own tests)
    CliRun.run(0, "features", "--train", "6", "--test", "2", "--input-size", "64", "--layers",
        LAYERS.get(0), "--pooling", "avg", "--precision", "int8", "--calibration", "minmax:8",
        "--seed", "42", "--out", out.toString());

    assertParquetEqualsFeaturizer(out, featurizer(LAYERS.subList(0, 1)).setPrecision("int8")
        .setCalibration(8, "minmax", 42), sample(spark, 6, 2));
    Dataset<Row> parquet = spark.read().parquet(out.resolve("features").toString());
    assertEquals(List.of("id", "label", "split", LAYERS.get(0)), List.of(parquet.columns()));
    assertEquals(2, parquet.filter("split = 'test'").count());
    JsonNode r = ReportJson.read(Files.readString(out.resolve("report.json"))).get("result");
    assertEquals("int8", r.get("precision").asText());
  }

  @Test
  void anUnknownLayerFailsListingTheKnownOnes(@TempDir Path dir) {
    SparkTestSession.get();
    String[] o = CliRun.run(1, "features", "--train", "4", "--test", "0", "--layers", "block_99_relu",
        "--out", dir.resolve("out").toString());
    assertTrue(o[1].contains("unknown layer 'block_99_relu'") && o[1].contains("block_13_expand_relu"), o[1]);
    assertFalse(Files.exists(dir.resolve("out").resolve("features")));
  }

  @Test
  void anOutputFolderWithAnEarlierRunNeedsOverwrite(@TempDir Path dir) throws Exception {
    Path out = Files.createDirectories(dir.resolve("out"));
    Files.writeString(out.resolve("report.json"), "{}");
    String[] o = CliRun.run(1, "features", "--layers", "out_relu", "--out", out.toString());
    assertTrue(o[1].contains("--out " + out + " exists and is not empty (report.json)")
        && o[1].contains("--overwrite"), o[1]);
  }

  @Test
  void helpShowsExamplesAndTheOutputLayout() {
    String[] o = CliRun.run(0, "features", "--help");
    assertTrue(o[0].contains("Examples:") && o[0].contains("--precision int8 --calibration minmax:256")
        && o[0].contains("OUT/quarantine (Parquet: id reason)"), o[0]);
  }

  @Test
  void aBadPrecisionIsRejectedBeforeSparkStarts(@TempDir Path dir) {
    String[] o = CliRun.run(1, "features", "--layers", "out_relu", "--precision", "fp16", "--out",
        dir.resolve("o").toString());
    assertTrue(o[1].contains("fp16") && o[1].contains("int8"), o[1]);
  }
}
