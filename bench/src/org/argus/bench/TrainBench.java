package org.argus.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.argus.data.FashionMnist;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.FineTuneTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.imported.KerasDjlGraph;
import org.argus.runtime.train.imported.LayerGraphBlock;

/**
 * Fine-tuning vs frozen features (issue 12, items 2's accuracy and speed checks), without Spark:
 * {@code bench/run train [--train 4000] [--test 1000] [--seed 42] [--size 96] [--from
 * block_13_expand_relu] [--epochs 5] [--head-epochs 30] [--head-lr 1e-3] [--recompute 512]
 * [--finetune yes|no] [--head-layers L1,L2] [--bn moving|batch] [--top LAYER] [--body-lr 1e-4]}; with
 * {@code --data-parallel yes} it runs {@link DataParallelBench} instead (data-parallel ÷ raw DJL
 * loop over global batch sizes).
 *
 * <ol>
 *   <li>Fashion-MNIST sample ({@link FashionMnist#sampleIds}, seed), gray → RGB, resized to the
 *       size, {@code x/255} (the roster's feature scaling); MobileNetV2 rebuilt in DJL.
 *   <li>Frozen features: every curated layer, global-average pooled, one inference pass; a linear
 *       softmax head (the {@code head} family, Adam lr 1e-3, batch 32) per layer, test accuracy
 *       after each epoch; the best layer and epoch is the baseline (chosen on the test set: an
 *       upper bound for the baseline).
 *   <li>Fine-tuning above {@code --from} (to {@code --top}, default the last curated layer, {@code out_relu}) on its
 *       activations materialized once; test accuracy per epoch.
 *   <li>Speed: examples/s of a fine-tuning epoch on materialized activations vs on images with the
 *       frozen part recomputed (measured on {@code --recompute} images).
 * </ol>
 */
public final class TrainBench {
  private TrainBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    if (a.getOrDefault("data-parallel", "no").equals("yes")) {
      DataParallelBench.run(a, args);
      return;
    }
    int nTrain = Integer.parseInt(a.getOrDefault("train", "4000"));
    int nTest = Integer.parseInt(a.getOrDefault("test", "1000"));
    long seed = Long.parseLong(a.getOrDefault("seed", "42"));
    int size = Integer.parseInt(a.getOrDefault("size", "96"));
    String from = a.getOrDefault("from", "block_13_expand_relu");
    int epochs = Integer.parseInt(a.getOrDefault("epochs", "5"));
    int headEpochs = Integer.parseInt(a.getOrDefault("head-epochs", "30"));
    int recompute = Integer.parseInt(a.getOrDefault("recompute", "512"));
    double headLr = Double.parseDouble(a.getOrDefault("head-lr", "1e-3"));
    boolean finetune = !a.getOrDefault("finetune", "yes").equals("no");
    System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(
        Runtime.getRuntime().availableProcessors()));

    Path modelJson = PretrainedModels.tfjsDir("mobilenet_v2").resolve("model.json");
    TfjsLayersModel model = TfjsLayersModel.load(modelJson);
    List<String> curated = Roster.get("mobilenet_v2").featureLayers();
    String top = a.getOrDefault("top", curated.get(curated.size() - 1));
    Images train = images(FashionMnist.Split.TRAIN, nTrain, seed, size);
    Images test = images(FashionMnist.Split.TEST, nTest, seed, size);

    long t0 = System.nanoTime();
    List<String> wanted = new ArrayList<>(curated);
    if (!wanted.contains(from)) {
      wanted.add(from);
    }
    Map<String, float[][]> trainF = features(model, wanted, from, train, size);
    Map<String, float[][]> testF = features(model, wanted, from, test, size);
    double featureSeconds = (System.nanoTime() - t0) / 1e9;

    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "MobileNetV2 at %d², Fashion-MNIST %d train / %d test"
        + " (seed %d), x/255; DJL (PyTorch CPU, %d threads), no Spark. Inference pass (ONNX Runtime, imported graph) over all"
        + " curated layers + materializing '%s': %.1f s.%n%n", size, nTrain, nTest, seed,
        Runtime.getRuntime().availableProcessors(), from, featureSeconds));
    md.append("Frozen features, global-average pooled, linear softmax head (Adam lr " + headLr
        + ", batch 32), test accuracy (best epoch of " + headEpochs + "):\n\n| layer | dim |"
        + " accuracy | epoch |\n|---|---:|---:|---:|\n");
    double best = 0;
    String bestLayer = null;
    List<String> headLayers = a.containsKey("head-layers")
        ? List.of(a.get("head-layers").split(",")) : curated;
    for (String l : headLayers) {
      float[] curve = linearHead(trainF.get(l)[0], testF.get(l)[0], train.y, test.y, headEpochs,
          headLr, seed);
      int e = argMax(curve);
      md.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %d |%n", l,
          trainF.get(l)[0].length / nTrain, curve[e], e + 1));
      System.out.printf("frozen %s: %.4f (epoch %d)%n", l, curve[e], e + 1);
      if (curve[e] > best) {
        best = curve[e];
        bestLayer = l;
      }
    }

    if (!finetune) {
      md.append(String.format(Locale.ROOT, "%nBest frozen-feature linear head: **%.4f** (%s);"
          + " fine-tuning not run (--finetune no).%n", best, bestLayer));
      System.out.println(md);
      BenchReport.append("train", "bench/run train " + String.join(" ", args), md.toString());
      return;
    }
    float[] act = trainF.get(from)[1];
    long[] actShape = shape(model, from, size);
    FineTuneTrainerFactory f = FineTuneTrainerFactory.builder().setModelJson(modelJson)
        .setFrom(from).setTop(top).setClasses(10).setInputShape(actShape).build();
    String bn = a.getOrDefault("bn", "moving");
    Hyperparameters cfg = new Hyperparameters(
        Map.of("lr", 1e-3, "body_lr", Double.parseDouble(a.getOrDefault("body-lr", "1e-4")), "batch", 32, "bn", bn));
    md.append(String.format(Locale.ROOT, "%nFine-tuning above '%s' to '%s' (+ GAP + Linear(10)"
        + " head), Adam lr 1e-3 head / %s body, batch 32, BatchNorm above it bn=%s, on"
        + " materialized activations %s:%n%n"
        + "| epoch | train loss | train acc | test acc | seconds |%n|---:|---:|---:|---:|---:|%n",
        from, top, cfg.getDouble("body_lr", 1e-4), bn, java.util.Arrays.toString(actShape)));
    double ftBest = 0;
    double materializedRate = 0;
    try (Trainer t = f.create(cfg, seed)) {
      for (int e = 1; e <= epochs; e++) {
        long s = System.nanoTime();
        Metrics m = t.train(batches(act, train.y, 32, seed + e).iterator());
        double sec = (System.nanoTime() - s) / 1e9;
        materializedRate = nTrain / sec;
        Metrics te = t.evaluate(batches(testF.get(from)[1], test.y, 100, 0).iterator());
        double acc = te.correct() / (double) te.examples();
        ftBest = Math.max(ftBest, acc);
        md.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %.4f | %.1f |%n", e,
            m.lossSum() / m.examples(), m.correct() / (double) m.examples(), acc, sec));
        System.out.printf("finetune epoch %d: test %.4f (%.1f s)%n", e, acc, sec);
      }
    }
    double recomputeRate = recomputeRate(modelJson, from, top, size, train, recompute, cfg, seed);
    md.append(String.format(Locale.ROOT, "%nBest frozen-feature linear head: **%.4f** (%s);"
        + " fine-tuning above %s: **%.4f** (best epoch), final-epoch curve above.%n%n"
        + "Speed, one fine-tuning epoch: materialized activations %.1f examples/s; images with"
        + " the frozen part recomputed every batch %.1f examples/s (%d images); ratio **%.2f**.%n",
        best, bestLayer, from, ftBest, materializedRate, recomputeRate, recompute,
        materializedRate / recomputeRate));
    System.out.println(md);
    BenchReport.append("train", "bench/run train " + String.join(" ", args), md.toString());
  }

  /** Images {@code [n, size, size, 3]} NHWC x/255 and labels. */
  record Images(float[] x, int[] y, int n) {}

  static Images images(FashionMnist.Split split, int n, long seed, int size) throws Exception {
    Path dir = FashionMnist.provision();
    String prefix = split == FashionMnist.Split.TRAIN ? "train" : "t10k";
    byte[] img = Files.readAllBytes(dir.resolve(prefix + "-images-idx3-ubyte"));
    byte[] lab = Files.readAllBytes(dir.resolve(prefix + "-labels-idx1-ubyte"));
    long[] ids = FashionMnist.sampleIds(split, n, seed);
    ImagePreprocessor pre = new ImagePreprocessor(PreprocessingSpec.parse(size + ":rgb:unit:nhwc"));
    int per = pre.spec().floatsPerExample();
    float[] x = new float[n * per];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      int k = (int) (ids[i] - split.firstId());
      byte[] px = java.util.Arrays.copyOfRange(img, 16 + k * 784, 16 + (k + 1) * 784);
      pre.fill(px, 28, 28, 1, x, i * per);
      y[i] = lab[8 + k];
    }
    return new Images(x, y, n);
  }

  /**
   * Features through ONNX Runtime on the imported ONNX graph (the staged engine's runtime), batches
   * of 100, 2 intra-op threads.
   *
   * @return per layer: {[pooled features n×C], [full activations NCHW]} (full only for layer
   *     {@code full}, the fine-tuning input)
   */
  static Map<String, float[][]> features(TfjsLayersModel model, List<String> layers, String full,
      Images im, int size) throws Exception {
    Map<String, List<float[]>> pooled = new LinkedHashMap<>();
    List<float[]> fullParts = new ArrayList<>();
    int per = size * size * 3;
    ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
    try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
      try (ai.onnxruntime.OrtSession sess = env.createSession(
          org.argus.model.keras.KerasOnnxImporter.toOnnx(model, layers).toByteArray(), so)) {
        for (int s = 0; s < im.n; s += 100) {
          int b = Math.min(100, im.n - s);
          float[] x = java.util.Arrays.copyOfRange(im.x, s * per, (s + b) * per);
          try (ai.onnxruntime.OnnxTensor t = ai.onnxruntime.OnnxTensor.createTensor(env,
                  java.nio.FloatBuffer.wrap(x), new long[] {b, size, size, 3});
              ai.onnxruntime.OrtSession.Result r = sess.run(Map.of("input_1", t))) {
            for (String l : layers) {
              ai.onnxruntime.OnnxTensor o = (ai.onnxruntime.OnnxTensor) r.get(l).orElseThrow();
              long[] sh = o.getInfo().getShape();
              java.nio.FloatBuffer fb = o.getFloatBuffer();
              float[] a = new float[fb.remaining()];
              fb.get(a);
              int c = (int) sh[1];
              int hw = a.length / (b * c);
              float[] p = new float[b * c];
              for (int i = 0; i < b * c; i++) {
                double sum = 0;
                for (int k = 0; k < hw; k++) {
                  sum += a[i * hw + k];
                }
                p[i] = (float) (sum / hw);
              }
              pooled.computeIfAbsent(l, k -> new ArrayList<>()).add(p);
              if (l.equals(full)) {
                fullParts.add(a);
              }
            }
          }
        }
      }
    }
    Map<String, float[][]> res = new LinkedHashMap<>();
    for (Map.Entry<String, List<float[]>> e : pooled.entrySet()) {
      res.put(e.getKey(), new float[][] {concat(e.getValue()), null});
    }
    res.get(full)[1] = concat(fullParts);
    return res;
  }

  static long[] shape(TfjsLayersModel model, String layer, int size) throws Exception {
    LayerGraphBlock g = KerasDjlGraph.build(model, List.of(layer));
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      g.initialize(m, DataType.FLOAT32, new Shape(1, size, size, 3));
      long[] s = g.getOutputShapes(new Shape[] {new Shape(1, size, size, 3)})[0].getShape();
      return java.util.Arrays.copyOfRange(s, 1, s.length);
    }
  }

  static float[] concat(List<float[]> parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Shuffled mini-batches (seeded) of rows of {@code x}. */
  static List<Batch> batches(float[] x, int[] y, int batch, long seed) {
    int n = y.length;
    int per = x.length / n;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (seed != 0) {
      java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    List<Batch> out = new ArrayList<>();
    for (int s = 0; s < n; s += batch) {
      int b = Math.min(batch, n - s);
      float[] bx = new float[b * per];
      int[] by = new int[b];
      for (int i = 0; i < b; i++) {
        System.arraycopy(x, order[s + i] * per, bx, i * per, per);
        by[i] = y[order[s + i]];
      }
      out.add(new Batch(bx, by));
    }
    return out;
  }

  /** @return test accuracy after each epoch of a linear softmax head on the features */
  static float[] linearHead(float[] train, float[] test, int[] ytr, int[] yte, int epochs,
      double lr, long seed) throws Exception {
    int dim = train.length / ytr.length;
    DjlTrainerFactory f = DjlTrainerFactory.builtIn("head", new long[] {dim}, 10);
    float[] curve = new float[epochs];
    try (Trainer t = f.create(new Hyperparameters(Map.of("lr", lr, "batch", 32)), seed)) {
      for (int e = 0; e < epochs; e++) {
        t.train(batches(train, ytr, 32, seed + e + 1).iterator());
        Metrics m = t.evaluate(batches(test, yte, 500, 0).iterator());
        curve[e] = (float) (m.correct() / (double) m.examples());
      }
    }
    return curve;
  }

  static int argMax(float[] a) {
    int b = 0;
    for (int i = 1; i < a.length; i++) {
      if (a[i] > a[b]) {
        b = i;
      }
    }
    return b;
  }

  /** @return examples/s of one fine-tuning epoch on images (frozen part recomputed per batch) */
  static double recomputeRate(Path modelJson, String from, String top, int size, Images train,
      int n, Hyperparameters cfg, long seed) throws Exception {
    FineTuneTrainerFactory f = FineTuneTrainerFactory.builder().setModelJson(modelJson)
        .setFrom(from).setTop(top).setClasses(10).setInputShape(size, size, 3)
        .optMaterialized(false).build();
    int per = size * size * 3;
    float[] x = java.util.Arrays.copyOf(train.x, n * per);
    int[] y = java.util.Arrays.copyOf(train.y, n);
    try (Trainer t = f.create(cfg, seed)) {
      long s = System.nanoTime();
      t.train(batches(x, y, 32, seed).iterator());
      return n / ((System.nanoTime() - s) / 1e9);
    }
  }

}
