package org.argus.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.model.provision.NsfwjsClient;
import org.argus.model.roster.Roster;
import org.argus.surfaces.ml.DeepImagePredictor;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Predictor parity with the models' own client: {@link DeepImagePredictor} with the roster's
 * default preprocessing gives the same 5 probabilities as nsfwjs@4.4.0's {@code classify}
 * (TF.js CPU backend, in Node) within {@value #TOLERANCE}, on Debian darknet's photos and the first
 * Fashion-MNIST test images, pre-resized by Argus to the model size so that both sides see the same
 * pixels (nsfwjs then does not resize).
 *
 * <p>MobileNetV2 runs nsfwjs live on every test run (≈ 15 s). InceptionV3 in pure-JS TF.js takes
 * ≈ 80 s to load plus ≈ 20 s per image on this machine, so its nsfwjs outputs are the committed
 * reference {@code nsfwjs-reference.tsv} (with the sha256 of each input), regenerated for both
 * models by {@code mvn -B test -Dtest=NsfwjsParityTest -Dargus.parity.regenerate=true}; the live
 * MobileNetV2 run checks that the reference is what nsfwjs prints today.
 */
class NsfwjsParityTest {
  static final double TOLERANCE = 1e-3;
  private static final Path REFERENCE = Path.of("src/test/resources/org/argus/parity/nsfwjs-reference.tsv");
  private static final boolean REGENERATE = Boolean.getBoolean("argus.parity.regenerate");

  private static SparkSession spark;
  private static final Map<String, List<ParityImages.Resized>> IMAGES = new LinkedHashMap<>();
  /** model → id → nsfwjs probabilities: live for MobileNetV2, the reference for InceptionV3. */
  private static final Map<String, Map<String, float[]>> NSFWJS = new LinkedHashMap<>();
  private static Map<String, Map<String, float[]>> reference;
  private static Map<String, String> referenceSha;

  @BeforeAll
  static void runNsfwjs(@TempDir Path tmp) throws ArgusException, IOException {
    spark = SparkTestSession.get();
    List<ParityImages.Source> sources = ParityImages.sources(spark, Integer.MAX_VALUE);
    for (String model : Roster.names()) {
      int size = Roster.get(model).predictorPreprocessing().height();
      IMAGES.put(model, sources.stream().map(s -> ParityImages.resize(s, size)).toList());
    }
    if (REGENERATE) {
      for (String model : Roster.names()) {
        NSFWJS.put(model, NsfwjsClient.classify(model, ParityImages.writeRaw(IMAGES.get(model), tmp)));
      }
      writeReference();
    }
    readReference();
    if (!REGENERATE) {
      NSFWJS.put("mobilenet_v2",
          NsfwjsClient.classify("mobilenet_v2", ParityImages.writeRaw(IMAGES.get("mobilenet_v2"), tmp)));
      NSFWJS.put("inception_v3", reference.get("inception_v3"));
    }
  }

  @Test
  void mobilenetV2PredictorMatchesNsfwjsClassifyOnEveryImage() {
    assertParity("mobilenet_v2", "");
  }

  @Test
  void inceptionV3PredictorMatchesNsfwjsClassifyOnEveryImage() {
    assertParity("inception_v3", "");
  }

  @Test
  void committedReferenceIsWhatNsfwjsPrintsToday() {
    for (ParityImages.Resized r : IMAGES.get("mobilenet_v2")) {
      float[] live = NSFWJS.get("mobilenet_v2").get(r.id());
      float[] ref = reference.get("mobilenet_v2").get(r.id());
      for (int k = 0; k < 5; k++) {
        assertEquals(ref[k], live[k], 1e-6, "mobilenet_v2 " + r.id() + " class " + k);
      }
    }
  }

  @Test
  void referenceInputsAreTheImagesArgusResizesToday() {
    for (Map.Entry<String, List<ParityImages.Resized>> e : IMAGES.entrySet()) {
      for (ParityImages.Resized r : e.getValue()) {
        assertEquals(referenceSha.get(e.getKey() + " " + r.id()), r.sha256(), "input pixels of " + e.getKey()
            + " " + r.id() + " changed (darknet package or decoder?): regenerate " + REFERENCE);
      }
    }
  }

  @Test
  void kerasTfScalingDoesNotMatchNsfwjs() {
    // the bug this parity fixes: the head fed x/127.5 − 1 instead of nsfwjs's x/255
    double worst = maxDifference("mobilenet_v2", "224:rgb:tf:nhwc");
    assertTrue(worst > 0.05, "TF scaling should differ from nsfwjs clearly, max |Δp| = " + worst);
  }

  /** Asserts every probability of every image within {@link #TOLERANCE}. */
  private static void assertParity(String model, String preprocessing) {
    Map<String, float[]> argus = predict(model, preprocessing);
    for (ParityImages.Resized r : IMAGES.get(model)) {
      float[] want = NSFWJS.get(model).get(r.id());
      float[] got = argus.get(r.id());
      for (int k = 0; k < 5; k++) {
        assertEquals(want[k], got[k], TOLERANCE, model + " " + r.id() + " p(" + Roster.NSFWJS_LABELS.get(k) + ")");
      }
    }
  }

  private static double maxDifference(String model, String preprocessing) {
    Map<String, float[]> argus = predict(model, preprocessing);
    double worst = 0;
    for (ParityImages.Resized r : IMAGES.get(model)) {
      for (int k = 0; k < 5; k++) {
        worst = Math.max(worst, Math.abs(NSFWJS.get(model).get(r.id())[k] - argus.get(r.id())[k]));
      }
    }
    return worst;
  }

  /** @return id → Argus's probabilities, the predictor's roster default unless {@code preprocessing} */
  private static Map<String, float[]> predict(String model, String preprocessing) {
    List<ParityImages.Resized> images = IMAGES.get(model);
    List<Row> rows = new DeepImagePredictor().setModelName(model).setInputCol("image")
        .setPreprocessing(preprocessing).transform(ParityImages.frame(spark, images))
        .orderBy("n").select("n", "probability").collectAsList();
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Row row : rows) {
      List<Float> p = row.getList(1);
      float[] f = new float[p.size()];
      for (int k = 0; k < f.length; k++) {
        f[k] = p.get(k);
      }
      out.put(images.get(row.getInt(0)).id(), f);
    }
    return out;
  }

  private static void writeReference() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("# nsfwjs@4.4.0 classify() on " + NsfwjsClient.TFJS + " (CPU backend) in Node, inputs resized by Argus");
    lines.add("# (half-pixel bilinear, rounded to uint8 RGB) to the model size; regenerate with");
    lines.add("# mvn -B test -Dtest=NsfwjsParityTest -Dargus.parity.regenerate=true");
    lines.add("# model\tid\tsha256(rgb)\tDrawing\tHentai\tNeutral\tPorn\tSexy");
    for (Map.Entry<String, List<ParityImages.Resized>> e : IMAGES.entrySet()) {
      for (ParityImages.Resized r : e.getValue()) {
        StringBuilder b = new StringBuilder(e.getKey() + "\t" + r.id() + "\t" + r.sha256());
        for (float p : NSFWJS.get(e.getKey()).get(r.id())) {
          b.append('\t').append(String.format(Locale.ROOT, "%.9g", p));
        }
        lines.add(b.toString());
      }
    }
    Files.write(REFERENCE, lines, StandardCharsets.UTF_8);
  }

  private static void readReference() throws IOException {
    reference = new LinkedHashMap<>();
    referenceSha = new LinkedHashMap<>();
    for (String line : Files.readAllLines(REFERENCE, StandardCharsets.UTF_8)) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t");
      float[] p = new float[5];
      for (int k = 0; k < 5; k++) {
        p[k] = Float.parseFloat(f[3 + k]);
      }
      reference.computeIfAbsent(f[0], m -> new LinkedHashMap<>()).put(f[1], p);
      referenceSha.put(f[0] + " " + f[1], f[2]);
    }
  }
}
