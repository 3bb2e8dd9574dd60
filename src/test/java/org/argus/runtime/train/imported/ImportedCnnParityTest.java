package org.argus.runtime.train.imported;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.argus.data.Datasets;
import org.argus.data.image.DecodeResult;
import org.argus.data.image.ImageDecoder;
import org.argus.model.keras.KerasOnnxImporter;
import org.argus.model.keras.OrtHarness;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.runtime.ImagePreprocessor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DJL rebuild of the real roster models equals their imported ONNX graph in ONNX Runtime at
 * every curated layer: max |DJL − ORT| ≤ {@value #TOLERANCE} · max |ORT| per layer, on two darknet
 * photos (one batch), at a small input size (MobileNetV2 96², InceptionV3 75², its smallest). The
 * per-layer numbers are printed ({@code parity <model> <layer> rel err …}) and recorded in
 * {@code bench/results/train.md}.
 */
class ImportedCnnParityTest {
  static final double TOLERANCE = 1e-4;

  @BeforeAll
  static void threads() {
    System.setProperty("ai.djl.pytorch.num_threads", "2");
  }

  @ParameterizedTest(name = "{0} at {1}x{1}")
  @CsvSource({"mobilenet_v2, 96", "inception_v3, 75"})
  void djlGraphEqualsImportedOnnxAtEveryCuratedLayer(String name, int size) throws Exception {
    RosterModel rm = Roster.get(name);
    TfjsLayersModel model =
        TfjsLayersModel.load(PretrainedModels.tfjsDir(name).resolve("model.json"));
    List<String> layers = rm.featureLayers();
    int n = 2;
    float[] x = photos(n, size);
    long[] shape = {n, size, size, 3};
    Map<String, OrtHarness.Out> ort = OrtHarness.run(
        KerasOnnxImporter.toOnnx(model, layers), rm.inputTensor(), x, shape, layers);
    List<OrtHarness.Out> djl = KerasDjlGraphTest.run(KerasDjlGraph.build(model, layers), x, shape);
    for (int i = 0; i < layers.size(); i++) {
      OrtHarness.Out want = ort.get(layers.get(i));
      assertArrayEquals(want.shape(), djl.get(i).shape(), layers.get(i) + " shape");
      double err = OrtHarness.relErr(djl.get(i).data(), want.data());
      System.err.printf("parity %s %dx%d %-22s rel err %.3g (max |ORT| %.4g)%n", name, size, size,
          layers.get(i), err, maxAbs(want.data()));
      assertTrue(err <= TOLERANCE, name + " " + layers.get(i) + ": rel err " + err);
    }
  }

  /** @return the first {@code n} darknet photos, {@code [n, size, size, 3]} NHWC RGB x/255 */
  static float[] photos(int n, int size) throws Exception {
    Path dir = Datasets.fetch(Datasets.DARKNET_PHOTOS).location().resolve("photos");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(n).toList();
    }
    ImagePreprocessor pre = new ImagePreprocessor(PreprocessingSpec.parse(size + ":rgb:unit:nhwc"));
    int per = pre.spec().floatsPerExample();
    float[] x = new float[n * per];
    List<Path> used = new ArrayList<>(files);
    for (int i = 0; i < n; i++) {
      DecodeResult r = ImageDecoder.decode(Files.readAllBytes(used.get(i)));
      pre.fill(r.image().data(), r.image().height(), r.image().width(), r.image().nChannels(), x,
          i * per);
    }
    return x;
  }

  static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
