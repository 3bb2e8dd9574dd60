package org.argus.surfaces.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.execution.inference.Calibration;
import org.argus.execution.inference.Int8Graphs;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code precision=int8} on DeepImageFeaturizer with the real MobileNetV2 and real Fashion-MNIST
 * images: features close to fp32, calibration deterministic for a seed, the quantized graph cached by
 * its calibration provenance, and the refusals (too few images, constant images, already quantized).
 */
class DeepImageFeaturizerInt8Test {
  private static final String LAYER = "block_13_expand_relu";
  private static SparkSession spark;
  private static Dataset<Row> images;

  @BeforeAll
  static void setUp() throws Exception {
    FashionMnist.provision();
    spark = SparkTestSession.get();
    images = FashionMnist.sample(spark, FashionMnist.Split.TEST, 48, 5).repartition(3).cache();
  }

  private static DeepImageFeaturizer featurizer(String precision) {
    return new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(96).setBatchSize(8)
        .setLayers(LAYER).setPooling("avg").setPrecision(precision).setCalibration(32, "minmax", 42);
  }

  private static Map<Long, Vector> features(Dataset<Row> df) {
    Map<Long, Vector> m = new java.util.HashMap<>();
    for (Row r : df.select("id", "features").collectAsList()) {
      m.put(r.getLong(0), (Vector) r.get(1));
    }
    return m;
  }

  private static double cosine(double[] a, double[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  private static Int8Graphs calibrate(Dataset<Row> rows, CalibrationSpec spec) throws Exception {
    ResolvedModel m = ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(96),
        ResolvedModel.LOCAL_FILES);
    return Int8Graphs.calibrate(m, List.of(LAYER), rows, col("image.origin"), col("image"), false, spec, 1);
  }

  private static Calibration.Result calibrationOnly(Dataset<Row> rows, CalibrationSpec spec) throws Exception {
    ResolvedModel m = ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(96),
        ResolvedModel.LOCAL_FILES);
    return Calibration.run(rows, col("image.origin"), col("image"), false, m.pixelInput(),
        m.cutFromPixels(List.of(LAYER)).model(), m.preprocessing(), spec, 1);
  }

  @Test
  void int8FeaturesAreCloseToFp32Features() {
    Map<Long, Vector> fp32 = features(featurizer("fp32").transform(images));
    Map<Long, Vector> int8 = features(featurizer("int8").transform(images));
    assertEquals(48, int8.size());
    double worst = 1;
    for (Map.Entry<Long, Vector> e : fp32.entrySet()) {
      worst = Math.min(worst, cosine(e.getValue().toArray(), int8.get(e.getKey()).toArray()));
    }
    assertTrue(worst > 0.98, "worst per-image cosine similarity int8 vs fp32: " + worst);
    assertNotEquals(fp32.values().iterator().next(), int8.get(fp32.keySet().iterator().next()),
        "int8 features are not the fp32 ones");
  }

  @Test
  void calibrationIsDeterministicForASeedWhateverThePartitioning() throws Exception {
    CalibrationSpec spec = new CalibrationSpec(CalibrationMethod.PERCENTILE, 16, 9);
    Calibration.forgetCached();
    Calibration.Result a = calibrationOnly(images, spec);
    Calibration.forgetCached();
    Calibration.Result b = calibrationOnly(images.repartition(5), spec);
    assertEquals(a.ranges().provenance().sampleIds(), b.ranges().provenance().sampleIds());
    assertEquals(16, a.ranges().provenance().sampleIds().size());
    assertEquals(a.ranges().ranges().keySet(), b.ranges().ranges().keySet());
    for (String t : a.ranges().ranges().keySet()) {
      assertArrayEquals(a.ranges().range(t), b.ranges().range(t), t);
    }
    Calibration.Result other = calibrationOnly(images, new CalibrationSpec(CalibrationMethod.PERCENTILE, 16, 10));
    assertNotEquals(a.ranges().provenance().sampleIds(), other.ranges().provenance().sampleIds());
    assertNotEquals(a.ranges().provenance().key(), other.ranges().provenance().key());
  }

  @Test
  void quantizedCutIsCachedByCalibrationProvenance() throws Exception {
    Int8Graphs g = calibrate(images, new CalibrationSpec(CalibrationMethod.MINMAX, 16, 1));
    GraphCut first = g.cutFromPixels(List.of(LAYER));
    assertTrue(first == calibrate(images, new CalibrationSpec(CalibrationMethod.MINMAX, 16, 1))
        .cutFromPixels(List.of(LAYER)), "same provenance: the same cached graph");
    GraphCut other = calibrate(images, new CalibrationSpec(CalibrationMethod.MINMAX, 16, 2))
        .cutFromPixels(List.of(LAYER));
    assertNotEquals(first.sha256(), other.sha256(), "another sample: another graph");
  }

  @Test
  void theAccuracyGuardComparesInt8WithFp32OnHeldOutImages() throws Exception {
    Int8Graphs g = calibrate(images, new CalibrationSpec(CalibrationMethod.MINMAX, 16, 6));
    assertEquals(1, g.check().size());
    org.argus.execution.inference.PrecisionCheck.Layer l = g.check().get(0);
    assertEquals(LAYER, l.layer());
    assertEquals(32, l.images(), "48 rows: 16 calibrate, the other 32 are the check set");
    assertTrue(l.meanCosine() > 0.95 && l.minCosine() <= l.meanCosine() && !l.flagged(), l.toString());
    assertTrue(l.meanRelativeError() > 0 && l.meanRelativeError() < 0.25, l.toString());
    assertTrue(g.calibration().ranges().provenance().sampleIds().stream().noneMatch(g.calibration().checkIds()::contains),
        "the check set is never calibrated on");
    org.argus.execution.inference.PrecisionCheck.Layer poor =
        new org.argus.execution.inference.PrecisionCheck.Layer("out_relu", 64, 0.93, 0.9, 0.3);
    assertTrue(poor.flagged() && poor.toString().contains("BELOW 0.95"), poor.toString());
  }

  @Test
  void aSampleSmallerThanAskedIsUsedAndSaidSo() throws Exception {
    Calibration.Result r = calibrate(images.limit(20), new CalibrationSpec(CalibrationMethod.MINMAX, 64, 3))
        .calibration();
    assertEquals(20, r.images());
    assertTrue(r.warnings().stream().anyMatch(w -> w.contains("20 images, fewer than the 64 asked")),
        r.warnings().toString());
  }

  @Test
  void tooFewImagesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> featurizer("int8").transform(images.limit(5)).count());
    assertTrue(e.getMessage().contains("at least 8 decodable images") && e.getMessage().contains("has 5"),
        e.getMessage());
  }

  @Test
  void constantImagesAreRefused() {
    Dataset<Row> black = images.limit(12).selectExpr("id", "label",
        "named_struct('origin', image.origin, 'height', image.height, 'width', image.width, "
            + "'nChannels', image.nChannels, 'mode', image.mode, "
            + "'data', unhex(repeat('00', image.height * image.width * image.nChannels))) as image");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> featurizer("int8").transform(black).count());
    assertTrue(e.getMessage().contains("is constant") && e.getMessage().contains("degenerate"), e.getMessage());
  }

  @Test
  void anAlreadyQuantizedOnnxFileIsUsedAsIs(@TempDir Path dir) throws Exception {
    GraphCut int8 = calibrate(images, new CalibrationSpec(CalibrationMethod.MINMAX, 16, 4))
        .cutFromPixels(List.of(LAYER));
    Path file = dir.resolve("int8.onnx");
    Files.write(file, int8.bytes());
    DeepImageFeaturizer f = new DeepImageFeaturizer().setModelPath(file.toString())
        .setPreprocessing("96:rgb:tf:nhwc").setLayers(LAYER).setPooling("avg").setBatchSize(8);
    Map<Long, Vector> asFp32 = features(f.setPrecision("fp32").transform(images));
    Map<Long, Vector> asInt8 = features(f.setPrecision("int8").transform(images));
    List<Long> ids = new ArrayList<>(asFp32.keySet());
    for (Long id : ids) {
      assertArrayEquals(asFp32.get(id).toArray(), asInt8.get(id).toArray(), 0.0, "row " + id);
    }
  }

  @Test
  void precisionAndCalibrationParamsSaveAndLoad(@TempDir Path dir) throws Exception {
    DeepImageFeaturizer f = featurizer("int8").setCalibration(100, "percentile", 7);
    f.save(dir.resolve("f").toString());
    DeepImageFeaturizer g = DeepImageFeaturizer.load(dir.resolve("f").toString());
    assertEquals("int8", g.getPrecision());
    assertEquals(new CalibrationSpec(CalibrationMethod.PERCENTILE, 100, 7), g.getCalibration());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.setPrecision("fp16"));
    assertTrue(e.getMessage().contains("'fp16'") && e.getMessage().contains("int8"), e.getMessage());
  }
}
