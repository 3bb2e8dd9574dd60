package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.model.onnx.ElementType;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.splice.HeadSplice;
import org.argus.plan.Pooling;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.HeadDeployment;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.OnnxExport;
import org.argus.runtime.train.Trainer;
import org.argus.surfaces.sql.SqlBatching;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Deployment as one graph, on real Fashion-MNIST images through the real MobileNetV2 at 96²: a
 * DJL head trained on the featurizer's ORT features, exported and spliced onto the CNN cut at
 * {@code block_13_expand_relu} ({@code [576, 6, 6]}), gives the DJL head's probabilities from the
 * pixels alone; the file serves through {@link DeepImagePredictor}, SQL and a saved {@link
 * PipelineModel} with the labels it records.
 */
class SplicedModelTest {
  private static final String LAYER = "block_13_expand_relu";
  private static final int SIZE = 96;
  private static final int CLASSES = 10;
  private static final List<String> LABELS = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  private static SparkSession spark;
  private static Dataset<Row> imgs;
  private static List<Row> rows;
  private static ResolvedModel model;
  @TempDir
  static Path dir;

  @BeforeAll
  static void setUp() throws Exception {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    FashionMnist.provision();
    spark = SparkTestSession.get();
    imgs = FashionMnist.sample(spark, FashionMnist.Split.TEST, 32, 11).repartition(2);
    rows = new ArrayList<>(imgs.collectAsList());
    rows.sort(Comparator.comparingLong(r -> r.getLong(0)));
    model = ResolvedModel.resolve(ModelRef.parse("mobilenet_v2", null, SIZE), ResolvedModel.LOCAL_FILES);
  }

  /** A trained head and what it predicts on the featurizer's features (+ structured columns). */
  private record Trained(Hyperparameters config, byte[] state, float[] probabilities, float[] structured) {}

  /** @return the featurizer's ORT features of {@link #rows}, id order, row-major [n, F] */
  private static float[] features(Pooling pooling) {
    Map<Long, float[]> byId = new HashMap<>();
    for (Row r : new DeepImageFeaturizer().setModelName("mobilenet_v2").setImageSize(SIZE).setLayers(LAYER)
        .setPooling(pooling.toString()).setOutputType("array").transform(imgs).select("id", "features")
        .collectAsList()) {
      List<Float> f = r.getList(1);
      float[] a = new float[f.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = f.get(i);
      }
      byId.put(r.getLong(0), a);
    }
    int d = byId.values().iterator().next().length;
    float[] x = new float[rows.size() * d];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(byId.get(rows.get(i).getLong(0)), 0, x, i * d, d);
    }
    return x;
  }

  /** Trains a {@code head} of {@code width} a few steps on features + X seeded structured columns. */
  private static Trained train(Pooling pooling, int width, int structured) throws Exception {
    float[] f = features(pooling);
    int n = rows.size();
    int d = f.length / n + structured;
    float[] x = new float[n * d];
    float[] s = new float[n * structured];
    int[] y = new int[n];
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < n; i++) {
      System.arraycopy(f, i * (d - structured), x, i * d, d - structured);
      for (int j = 0; j < structured; j++) {
        s[i * structured + j] = (float) r.nextGaussian();
        x[i * d + d - structured + j] = s[i * structured + j];
      }
      y[i] = rows.get(i).getInt(1);
    }
    Hyperparameters config = new Hyperparameters(Map.of("lr", 0.01, "width", (long) width, "batch", 8L));
    try (Trainer t = DjlTrainerFactory.builtIn("head", new long[] {d}, CLASSES).create(config, 3)) {
      List<Batch> batches = new ArrayList<>();
      for (int b = 0; b < n; b += 8) {
        float[] bx = java.util.Arrays.copyOfRange(x, b * d, (b + 8) * d);
        batches.add(new Batch(bx, java.util.Arrays.copyOfRange(y, b, b + 8)));
      }
      t.train(batches.iterator());
      return new Trained(config, t.exportState(), t.predict(new Batch(x, y)), s);
    }
  }

  /** @return {@link #rows}' images preprocessed for the model, [n, 96, 96, 3] */
  private static float[] pixels() {
    ImagePreprocessor pre = new ImagePreprocessor(model.preprocessing());
    int per = model.preprocessing().floatsPerExample();
    float[] px = new float[rows.size() * per];
    for (int i = 0; i < rows.size(); i++) {
      Row img = rows.get(i).getStruct(2);
      pre.fill(img.getAs("data"), img.<Integer>getAs("height"), img.<Integer>getAs("width"),
          img.<Integer>getAs("nChannels"), px, i * per);
    }
    return px;
  }

  private static float[] runSpliced(byte[] graph, float[] structured, int x) throws Exception {
    List<ModelSession.Input> in = new ArrayList<>();
    in.add(new ModelSession.Input(model.pixelInput(), pixels(), ElementType.FLOAT,
        model.preprocessing().batchShape(rows.size())));
    if (x > 0) {
      in.add(new ModelSession.Input(HeadSplice.STRUCTURED, structured, ElementType.FLOAT,
          new long[] {rows.size(), x}));
    }
    try (ModelSession s = SessionCache.open("spliced", graph, 1)) {
      return s.run(in, List.of(HeadSplice.OUTPUT)).get(0).values();
    }
  }

  private static int argmax(float[] p, int i) {
    int best = 0;
    for (int c = 1; c < CLASSES; c++) {
      if (p[i * CLASSES + c] > p[i * CLASSES + best]) {
        best = c;
      }
    }
    return best;
  }

  @ParameterizedTest(name = "pooling {0}, width {1}, {2} structured columns")
  @CsvSource({"max:2, 0, 0", "avg:4, 16, 0", "avg, 0, 3", "max:4, 16, 3"})
  void splicedGraphGivesTheDjlHeadsProbabilitiesOnOrtFeatures(String pooling, int width, int x) throws Exception {
    Pooling p = Pooling.parse(pooling);
    Trained t = train(p, width, x);
    HeadDeployment.Deployed d = HeadDeployment.write(model, LAYER, p, x, "head", t.config(), CLASSES, t.state(),
        LABELS, dir.resolve(pooling.replace(':', '_') + "-" + width + "-" + x));
    float[] spliced = runSpliced(Files.readAllBytes(d.model()), t.structured(), x);
    assertEquals(rows.size() * CLASSES, spliced.length);
    assertArrayEquals(t.probabilities(), spliced, 1e-5f);
  }

  @Test
  void aHeadWhoseInputDimIsNotTheLayersPooledDimIsRefused() throws Exception {
    long f = HeadSplice.featureDim(model, LAYER, Pooling.VISTA_DEFAULT);
    assertEquals(576 * 4, f);
    byte[] state;
    try (Trainer t = DjlTrainerFactory.builtIn("head", new long[] {f + 1}, CLASSES).create(Hyperparameters.NONE, 1)) {
      t.predict(new Batch(new float[(int) f + 1], new int[1])); // initializes the parameters
      state = t.exportState();
    }
    byte[] head = OnnxExport.export("head", Hyperparameters.NONE, new long[] {f + 1}, CLASSES, state);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HeadSplice.splice(model, LAYER, Pooling.VISTA_DEFAULT, 0, head, Map.of(), List.of()));
    assertTrue(e.getMessage().contains("head input dim 2305") && e.getMessage().contains(LAYER)
        && e.getMessage().contains("max:2") && e.getMessage().contains("(2304 features) + 0"), e.getMessage());
    IllegalArgumentException deploy = assertThrows(IllegalArgumentException.class,
        () -> HeadDeployment.write(model, LAYER, Pooling.VISTA_DEFAULT, 0, "head", Hyperparameters.NONE, CLASSES,
            state, List.of(), dir.resolve("refused")));
    assertTrue(deploy.getMessage().contains("[10, 2305]") && deploy.getMessage().contains("[10, 2304]"),
        deploy.getMessage());
  }

  @Test
  void labelsThatAreNotOnePerClassAreRefused() throws Exception {
    long f = HeadSplice.featureDim(model, LAYER, Pooling.parse("avg"));
    byte[] state;
    try (Trainer t = DjlTrainerFactory.builtIn("head", new long[] {f}, CLASSES).create(Hyperparameters.NONE, 1)) {
      t.predict(new Batch(new float[(int) f], new int[1])); // initializes the parameters
      state = t.exportState();
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HeadDeployment.write(model, LAYER, Pooling.parse("avg"), 0, "head", Hyperparameters.NONE, CLASSES,
            state, LABELS.subList(0, 9), dir.resolve("nine-labels")));
    assertTrue(e.getMessage().contains("9 labels") && e.getMessage().contains("10 classes"), e.getMessage());
  }

  /** @return a spliced max:2 head without structured columns, and the DJL head's probabilities */
  private static Map.Entry<Path, float[]> deployed() throws Exception {
    Trained t = train(Pooling.VISTA_DEFAULT, 0, 0);
    Path d = dir.resolve("serving");
    HeadDeployment.write(model, LAYER, Pooling.VISTA_DEFAULT, 0, "head", t.config(), CLASSES, t.state(), LABELS, d);
    return Map.entry(d.resolve(HeadDeployment.MODEL_FILE), t.probabilities());
  }

  /** @return id → top-1 label of (id, array<struct<label, probability>>) rows */
  private static Map<Long, String> top1(List<Row> out) {
    Map<Long, String> m = new HashMap<>();
    for (Row r : out) {
      m.put(r.getLong(0), r.<Row>getList(1).get(0).getString(0));
    }
    return m;
  }

  /** @return id → the two-step path's label (featurizer features → DJL head) */
  private static Map<Long, String> twoStep(float[] p) {
    Map<Long, String> m = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      m.put(rows.get(i).getLong(0), LABELS.get(argmax(p, i)));
    }
    return m;
  }

  @Test
  void predictorOverTheSplicedFileGivesTheTwoStepPathsClassesWithTheRecordedLabels() throws Exception {
    Map.Entry<Path, float[]> d = deployed();
    DeepImagePredictor predictor = new DeepImagePredictor().setModelPath(d.getKey().toString()).setTopK(3);
    assertEquals(model.preprocessing().compact(), predictor.effectivePreprocessing()); // read from the file
    Map<Long, String> got = top1(predictor.transform(imgs).select("id", "predictions").collectAsList());
    assertEquals(twoStep(d.getValue()), got);
  }

  @Test
  void sqlPredictOverTheSplicedFileGivesTheTwoStepPathsClassesBatchedAndPerRow() throws Exception {
    Map.Entry<Path, float[]> d = deployed();
    Argus.registerFunctions(spark);
    imgs.createOrReplaceTempView("spliced_imgs");
    String sql = "SELECT id, argus_predict('" + d.getKey() + "', image, 1) AS p FROM spliced_imgs";
    Dataset<Row> batched = spark.sql(sql);
    assertTrue(batched.queryExecution().executedPlan().toString().contains("ArgusBatchEval"));
    assertEquals(twoStep(d.getValue()), top1(batched.collectAsList()));
    spark.conf().set(SqlBatching.ENABLED, "false");
    try {
      assertEquals(twoStep(d.getValue()), top1(spark.sql(sql).collectAsList()));
    } finally {
      spark.conf().unset(SqlBatching.ENABLED);
    }
  }

  @Test
  void aPipelineModelOverTheSplicedFileSavesAndLoads() throws Exception {
    Map.Entry<Path, float[]> d = deployed();
    PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {
        new DeepImagePredictor().setModelPath(d.getKey().toString()).setTopK(2)}).fit(imgs);
    String saved = dir.resolve("pipeline").toString();
    pipeline.write().overwrite().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    Map<Long, String> before = top1(pipeline.transform(imgs).select("id", "predictions").collectAsList());
    Map<Long, String> after = top1(loaded.transform(imgs).select("id", "predictions").collectAsList());
    assertEquals(twoStep(d.getValue()), after);
    assertEquals(before, after);
  }

  @Test
  void theDeployedDirectoryRecordsTheProvenanceOfBothParts() throws Exception {
    Map.Entry<Path, float[]> d = deployed();
    List<String> config = Files.readAllLines(d.getKey().resolveSibling(HeadDeployment.CONFIG_FILE));
    assertTrue(config.contains("argus.splice.cnn=mobilenet_v2"), config.toString());
    assertTrue(config.contains("argus.splice.cnn_sha256=" + model.sha256()), config.toString());
    assertTrue(config.contains("argus.splice.layer=" + LAYER), config.toString());
    assertTrue(config.contains("argus.splice.pooling=max:2"), config.toString());
    assertTrue(config.contains("argus.head.family=head"), config.toString());
    assertTrue(config.contains("argus.preprocessing=" + model.preprocessing().compact()), config.toString());
    assertTrue(config.stream().anyMatch(l -> l.startsWith("argus.splice.head_sha256=")), config.toString());
    ResolvedModel file = ResolvedModel.resolve(ModelRef.parse(d.getKey().toString(), null, 0),
        ResolvedModel.LOCAL_FILES);
    assertEquals(LABELS, file.labels());
    assertTrue(config.contains("model_sha256=" + file.sha256()), config.toString());
  }
}
