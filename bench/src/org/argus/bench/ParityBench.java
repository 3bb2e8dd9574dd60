package org.argus.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.Datasets;
import org.argus.data.FashionMnist;
import org.argus.data.image.DecodedImage;
import org.argus.data.image.ImageDecoder;
import org.argus.execution.SparkSessions;
import org.argus.model.provision.NsfwjsClient;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.provision.Sha256;
import org.argus.runtime.ImagePreprocessor;
import org.argus.surfaces.ml.DeepImagePredictor;

/**
 * {@code bench/run parity [--models mobilenet_v2,inception_v3]} — the predictor-parity evidence
 * (not a timing benchmark):
 *
 * <ol>
 *   <li>the parity table: nsfwjs@4.4.0 {@code classify} (the committed reference of {@code
 *       NsfwjsParityTest}, inputs resized by Argus to the model size, sha256-checked) against {@link
 *       DeepImagePredictor} with the roster's default preprocessing, every darknet photo and the first
 *       Fashion-MNIST test images, both models;
 *   <li>what decoding and resizing the <em>original</em> JPEGs change: A = nsfwjs as users run it in
 *       Node (jpeg-js decode, TF.js aligned-corners resize); B = nsfwjs on Argus's decode (raw RGB at
 *       full size, TF.js resize); C = Argus default (Argus decode, TF.js-compatible resize); D = Argus
 *       with its half-pixel resize. |A−B| is the JPEG decoder alone, |B−C| the resize implementation,
 *       |B−D| the resize convention.
 * </ol>
 */
public final class ParityBench {
  private ParityBench() {}

  static final Path REFERENCE = Path.of("src/test/resources/org/argus/parity/nsfwjs-reference.tsv");

  record Img(String id, DecodedImage image) {}

  public static void main(String[] args) throws Exception {
    List<String> models = List.of(args.length > 1 && args[0].equals("--models") ? args[1].split(",")
        : new String[] {"mobilenet_v2", "inception_v3"});
    SparkSession spark = SparkSessions.create("local[*]", "argus-bench-parity", false);
    Path dir = Datasets.fetch(Datasets.DARKNET_PHOTOS).location().resolve("photos");
    List<Path> jpegs;
    try (Stream<Path> s = Files.list(dir)) {
      jpegs = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
    }
    List<Img> photos = new ArrayList<>();
    for (Path p : jpegs) {
      photos.add(new Img(p.getFileName().toString().replace(".jpg", ""),
          ImageDecoder.decode(Files.readAllBytes(p)).image()));
    }
    List<Img> all = new ArrayList<>(photos);
    for (Row row : FashionMnist.read(spark, FashionMnist.Split.TEST).limit(3).collectAsList()) {
      Row i = row.getStruct(2);
      all.add(new Img("fmnist-" + row.getLong(0),
          new DecodedImage(i.getInt(1), i.getInt(2), i.getInt(3), i.getInt(4), (byte[]) i.get(5))));
    }
    Map<String, String[]> ref = new LinkedHashMap<>();
    for (String line : Files.readAllLines(REFERENCE, StandardCharsets.UTF_8)) {
      if (!line.startsWith("#") && !line.isBlank()) {
        String[] f = line.split("\t");
        ref.put(f[0] + " " + f[1], f);
      }
    }
    StringBuilder md = new StringBuilder();
    Path tmp = Files.createTempDirectory("argus-parity-");
    for (String m : models) {
      md.append(preResized(spark, m, all, ref));
      md.append(originals(spark, m, photos, jpegs, tmp));
    }
    System.out.println(md);
    BenchReport.append("parity", "bench/run parity " + String.join(" ", args), md.toString());
    spark.stop();
  }

  /** Part 1: the parity table on images resized by Argus to the model size. */
  static String preResized(SparkSession spark, String m, List<Img> all, Map<String, String[]> ref) {
    int size = Roster.get(m).predictorPreprocessing().height();
    List<Img> resized = new ArrayList<>();
    for (Img i : all) {
      byte[] rgb = resizeToRgb(i.image(), size);
      String[] r = ref.get(m + " " + i.id());
      if (r == null || !r[2].equals(Sha256.of(rgb))) {
        throw new IllegalStateException("reference row for " + m + " " + i.id() + " missing or for other pixels");
      }
      resized.add(new Img(i.id(), new DecodedImage(size, size, 3, 16, swap(rgb))));
    }
    Map<String, float[]> argus = predict(spark, m, resized, "");
    StringBuilder md = new StringBuilder("### " + m + ": parity on images at " + size + "² (nsfwjs = committed "
        + "reference, inputs sha256-checked)\n\n| image | nsfwjs top | Argus top | nsfwjs p (D, H, N, P, S) | "
        + "Argus p (D, H, N, P, S) | max abs Δp |\n|---|---|---|---|---|---:|\n");
    double worst = 0;
    for (Img i : resized) {
      String[] r = ref.get(m + " " + i.id());
      float[] n = new float[5];
      for (int k = 0; k < 5; k++) {
        n[k] = Float.parseFloat(r[3 + k]);
      }
      float[] a = argus.get(i.id());
      double d = maxDiff(n, a);
      worst = Math.max(worst, d);
      md.append(String.format("| %s | %s | %s | %s | %s | %.1e |%n", i.id(), top(n), top(a), fmt(n), fmt(a), d));
    }
    return md.append(String.format("%nWorst max abs Δp: %.1e (tolerance of NsfwjsParityTest: 1e-3).%n%n", worst))
        .toString();
  }

  /** Part 2: the original JPEGs, decoder and resize separated. */
  static String originals(SparkSession spark, String m, List<Img> photos, List<Path> jpegs, Path tmp) throws Exception {
    int size = Roster.get(m).predictorPreprocessing().height();
    List<NsfwjsClient.Image> asJpeg = new ArrayList<>();
    List<NsfwjsClient.Image> asRaw = new ArrayList<>();
    for (int i = 0; i < photos.size(); i++) {
      Img p = photos.get(i);
      asJpeg.add(new NsfwjsClient.Image(p.id(), NsfwjsClient.Kind.JPEG, jpegs.get(i), 0, 0));
      Path raw = tmp.resolve(p.id() + ".rgb");
      Files.write(raw, rgbOf(p.image()));
      asRaw.add(new NsfwjsClient.Image(p.id(), NsfwjsClient.Kind.RGB, raw, p.image().height(), p.image().width()));
    }
    Map<String, float[]> a = NsfwjsClient.classify(m, asJpeg);
    Map<String, float[]> b = NsfwjsClient.classify(m, asRaw);
    Map<String, float[]> c = predict(spark, m, photos, "");
    Map<String, float[]> d = predict(spark, m, photos, size + ":rgb:unit:nhwc");
    StringBuilder md = new StringBuilder("### " + m + ": original JPEGs (decode + resize to " + size + "²)\n\n"
        + "A = nsfwjs (jpeg-js, TF.js resize), B = nsfwjs on Argus's decode, C = Argus default (align_corners), "
        + "D = Argus half_pixel. Max abs Δp over the 5 classes.\n\n"
        + "| photo | size | top A / C / D | A−B decoder | B−C resize impl. | B−D resize convention | A−C total "
        + "(default) | A−D total (half_pixel) |\n|---|---|---|---:|---:|---:|---:|---:|\n");
    for (Img p : photos) {
      String id = p.id();
      md.append(String.format("| %s | %dx%d | %s / %s / %s | %.1e | %.1e | %.1e | %.1e | %.1e |%n", id,
          p.image().width(), p.image().height(), top(a.get(id)), top(c.get(id)), top(d.get(id)),
          maxDiff(a.get(id), b.get(id)), maxDiff(b.get(id), c.get(id)), maxDiff(b.get(id), d.get(id)),
          maxDiff(a.get(id), c.get(id)), maxDiff(a.get(id), d.get(id))));
    }
    return md.append('\n').toString();
  }

  static Map<String, float[]> predict(SparkSession spark, String m, List<Img> images, String pre) {
    StructType schema = new StructType().add("image", ImageSchema.columnSchema(), false)
        .add("n", DataTypes.IntegerType, false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      DecodedImage d = images.get(i).image();
      rows.add(RowFactory.create(RowFactory.create(images.get(i).id(), d.height(), d.width(), d.nChannels(),
          d.mode(), d.data()), i));
    }
    List<Row> out = new DeepImagePredictor().setModelName(m).setInputCol("image").setPreprocessing(pre)
        .transform(spark.createDataFrame(rows, schema).coalesce(1)).orderBy("n").select("n", "probability")
        .collectAsList();
    Map<String, float[]> res = new LinkedHashMap<>();
    for (Row r : out) {
      List<Float> p = r.getList(1);
      float[] f = new float[5];
      for (int k = 0; k < 5; k++) {
        f[k] = p.get(k);
      }
      res.put(images.get(r.getInt(0)).id(), f);
    }
    return res;
  }

  /** Argus's half-pixel resize to {@code size²}, rounded to uint8 RGB (as NsfwjsParityTest). */
  static byte[] resizeToRgb(DecodedImage d, int size) {
    PreprocessingSpec spec = PreprocessingSpec.parse(size + ":rgb:none:nhwc");
    float[] f = new float[spec.floatsPerExample()];
    new ImagePreprocessor(spec).fill(d.data(), d.height(), d.width(), d.nChannels(), f, 0);
    byte[] rgb = new byte[f.length];
    for (int i = 0; i < f.length; i++) {
      rgb[i] = (byte) Math.max(0, Math.min(255, Math.round(f[i])));
    }
    return rgb;
  }

  /** @return the decoded image as RGB bytes (gray replicated, alpha dropped) */
  static byte[] rgbOf(DecodedImage d) {
    PreprocessingSpec spec = PreprocessingSpec.parse(d.height() + "x" + d.width() + ":rgb:none:nhwc");
    float[] f = new float[spec.floatsPerExample()];
    new ImagePreprocessor(spec).fill(d.data(), d.height(), d.width(), d.nChannels(), f, 0);
    byte[] rgb = new byte[f.length];
    for (int i = 0; i < f.length; i++) {
      rgb[i] = (byte) Math.round(f[i]);
    }
    return rgb;
  }

  static byte[] swap(byte[] rgb) {
    byte[] bgr = new byte[rgb.length];
    for (int i = 0; i < rgb.length; i += 3) {
      bgr[i] = rgb[i + 2];
      bgr[i + 1] = rgb[i + 1];
      bgr[i + 2] = rgb[i];
    }
    return bgr;
  }

  static double maxDiff(float[] x, float[] y) {
    double w = 0;
    for (int k = 0; k < 5; k++) {
      w = Math.max(w, Math.abs(x[k] - y[k]));
    }
    return w;
  }

  static String top(float[] p) {
    int best = 0;
    for (int k = 1; k < 5; k++) {
      best = p[k] > p[best] ? k : best;
    }
    return String.format("%s %.3f", Roster.NSFWJS_LABELS.get(best), p[best]);
  }

  static String fmt(float[] p) {
    return String.format("%.4f, %.4f, %.4f, %.4f, %.4f", p[0], p[1], p[2], p[3], p[4]);
  }
}
