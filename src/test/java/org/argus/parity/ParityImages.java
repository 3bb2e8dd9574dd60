package org.argus.parity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.ArgusException;
import org.argus.data.Datasets;
import org.argus.data.FashionMnist;
import org.argus.data.image.DecodeResult;
import org.argus.data.image.DecodedImage;
import org.argus.data.image.ImageDecoder;
import org.argus.model.provision.NsfwjsClient;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.provision.Sha256;
import org.argus.runtime.ImagePreprocessor;

/**
 * The parity inputs: Debian darknet's sample photos (decoded by Argus) and the first Fashion-MNIST
 * test images, each resized once by Argus to a model's native size and rounded to {@code uint8}
 * RGB, so that nsfwjs (which then does not resize) and Argus's predictor see the same pixels.
 */
final class ParityImages {
  /** Fashion-MNIST test images used (the first ids). */
  static final int FASHION_MNIST_IMAGES = 3;

  private ParityImages() {}

  /**
   * One source image.
   *
   * @param id name without whitespace ({@code scream}, {@code fmnist-0})
   * @param image decoded pixels, Spark image layout (BGR / gray bytes)
   */
  record Source(String id, DecodedImage image) {}

  /**
   * One image at a model's size.
   *
   * @param id the source's id
   * @param size side in pixels
   * @param rgb {@code [size, size, 3]} uint8 RGB, row-major
   */
  record Resized(String id, int size, byte[] rgb) {
    /** @return hex sha256 of {@link #rgb} */
    String sha256() {
      return Sha256.of(rgb);
    }

    /** @return the same pixels as Spark's image struct (BGR) */
    Row imageStruct() {
      byte[] bgr = new byte[rgb.length];
      for (int i = 0; i < rgb.length; i += 3) {
        bgr[i] = rgb[i + 2];
        bgr[i + 1] = rgb[i + 1];
        bgr[i + 2] = rgb[i];
      }
      return RowFactory.create(id, size, size, 3, 16, bgr);
    }
  }

  /**
   * @param spark the session (to read Fashion-MNIST)
   * @param darknet at most this many darknet photos, in file-name order ({@code Integer.MAX_VALUE}
   *     for all)
   * @return the darknet photos then the Fashion-MNIST images
   */
  static List<Source> sources(SparkSession spark, int darknet) throws ArgusException, IOException {
    List<Source> out = new ArrayList<>();
    for (Path p : darknetPhotos().subList(0, Math.min(darknet, darknetPhotos().size()))) {
      DecodeResult r = ImageDecoder.decode(Files.readAllBytes(p));
      if (!r.isDecoded()) {
        throw new IOException(p + " does not decode: " + r.reason());
      }
      out.add(new Source(p.getFileName().toString().replace(".jpg", ""), r.image()));
    }
    List<Row> rows = FashionMnist.read(spark, FashionMnist.Split.TEST).limit(FASHION_MNIST_IMAGES).collectAsList();
    for (Row row : rows) {
      Row img = row.getStruct(2);
      out.add(new Source("fmnist-" + row.getLong(0),
          new DecodedImage(img.getInt(1), img.getInt(2), img.getInt(3), img.getInt(4), (byte[]) img.get(5))));
    }
    return out;
  }

  /** @return the darknet JPEGs, provisioned from the Debian package, sorted by name */
  static List<Path> darknetPhotos() throws ArgusException, IOException {
    Path dir = Datasets.fetch(Datasets.DARKNET_PHOTOS).location().resolve("photos");
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
    }
  }

  /**
   * Resizes with Argus's default (half-pixel) bilinear resize and rounds to uint8.
   *
   * @param src the source
   * @param size target side in pixels
   * @return the resized RGB image
   */
  static Resized resize(Source src, int size) {
    PreprocessingSpec spec = PreprocessingSpec.parse(size + ":rgb:none:nhwc");
    float[] f = new float[spec.floatsPerExample()];
    DecodedImage d = src.image();
    new ImagePreprocessor(spec).fill(d.data(), d.height(), d.width(), d.nChannels(), f, 0);
    byte[] rgb = new byte[f.length];
    for (int i = 0; i < f.length; i++) {
      rgb[i] = (byte) Math.max(0, Math.min(255, Math.round(f[i])));
    }
    return new Resized(src.id(), size, rgb);
  }

  /**
   * @param images resized images
   * @param dir a folder for the raw RGB files
   * @return the images as nsfwjs client inputs
   */
  static List<NsfwjsClient.Image> writeRaw(List<Resized> images, Path dir) throws IOException {
    List<NsfwjsClient.Image> out = new ArrayList<>();
    for (Resized r : images) {
      Path f = dir.resolve(r.id() + "-" + r.size() + ".rgb");
      Files.write(f, r.rgb());
      out.add(new NsfwjsClient.Image(r.id(), NsfwjsClient.Kind.RGB, f, r.size(), r.size()));
    }
    return out;
  }

  /**
   * @param spark the session
   * @param images resized images
   * @return one partition of rows {@code (image struct)} in the order of {@code images}
   */
  static Dataset<Row> frame(SparkSession spark, List<Resized> images) {
    StructType schema = new StructType().add("image", ImageSchema.columnSchema(), false)
        .add("n", DataTypes.IntegerType, false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      rows.add(RowFactory.create(images.get(i).imageStruct(), i));
    }
    return spark.createDataFrame(rows, schema).coalesce(1);
  }
}
