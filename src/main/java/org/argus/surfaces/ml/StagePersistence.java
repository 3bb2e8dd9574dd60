package org.argus.surfaces.ml;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saves and loads the image stages: Spark's params metadata ({@code metadata/}) plus
 * {@code argus/stage.json} with Argus's format version, the stage class and the sha256 of the
 * model graph; a {@code modelPath} model's ONNX bytes go to {@code argus/model.onnx} when
 * {@code embedModel} is true (the default), so the saved directory works on another machine.
 * Roster models are referenced by name and sha256 and re-provisioned on load.
 */
final class StagePersistence {
  /** The newest {@code argus/stage.json} format this code writes and reads. */
  static final int FORMAT_VERSION = 1;

  private StagePersistence() {}

  /** Writes params metadata, stage.json and (optionally) the ONNX bytes. */
  static final class Writer extends MLWriter {
    private final ModelBackedStage stage;

    Writer(ModelBackedStage stage) {
      this.stage = stage;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(stage, path, sparkSession());
      String sha = stage.modelSha256();
      boolean embed = !stage.getModelPath().isEmpty() && stage.getEmbedModel();
      if (embed) {
        write(new Path(path, "argus/model.onnx"), StageModels.readBytes(stage.getModelPath()));
      }
      String json = "{\"format\": " + FORMAT_VERSION + ", \"class\": \""
          + stage.getClass().getName() + "\", \"modelSha256\": \"" + sha
          + "\", \"embeddedModel\": " + (embed ? "\"model.onnx\"" : "null") + "}\n";
      write(new Path(path, "argus/stage.json"), json.getBytes(StandardCharsets.UTF_8));
    }

    private void write(Path p, byte[] bytes) {
      try {
        FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
        try (OutputStream out = fs.create(p, false)) {
          out.write(bytes);
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot write " + p + ": " + e, e);
      }
    }
  }

  /** Loads a stage saved by {@link Writer}, checking class, format version and model sha256. */
  static final class Reader<T extends ModelBackedStage> extends MLReader<T> {
    private final Class<T> type;

    Reader(Class<T> type) {
      this.type = type;
    }

    @Override
    public T load(String path) {
      String json = new String(read(new Path(path, "argus/stage.json")), StandardCharsets.UTF_8);
      String cls = field(json, "class", path);
      if (!cls.equals(type.getName())) {
        throw new IllegalArgumentException(
            path + " holds a " + cls + ", not a " + type.getName());
      }
      int format = Integer.parseInt(field(json, "format", path));
      if (format > FORMAT_VERSION) {
        throw new IllegalArgumentException(
            path + " was saved in Argus stage format " + format + "; this Argus supports at most "
                + "version " + FORMAT_VERSION);
      }
      DefaultParamsReader<Params> params = new DefaultParamsReader<>();
      params.session(sparkSession());
      T stage = type.cast(params.load(path));
      if (!"null".equals(field(json, "embeddedModel", path))) {
        stage.setModelPath(new Path(path, "argus/model.onnx").toString());
      }
      String expected = field(json, "modelSha256", path);
      String actual = stage.modelSha256();
      if (!expected.equals(actual)) {
        throw new IllegalStateException(
            path + " was saved with model " + describe(stage) + " sha256 " + expected
                + " but that model now resolves to sha256 " + actual
                + "; re-provision the same model version or refit the pipeline");
      }
      return stage;
    }

    private static String describe(ModelBackedStage s) {
      return s.getModelName().isEmpty() ? s.getModelPath() : "'" + s.getModelName() + "'";
    }

    private byte[] read(Path p) {
      try {
        FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
        try (InputStream in = fs.open(p)) {
          return in.readAllBytes();
        }
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read " + p + " (is this a saved Argus stage?): " + e, e);
      }
    }

    private static String field(String json, String key, String path) {
      Matcher m =
          Pattern.compile("\"" + key + "\"\\s*:\\s*(\"([^\"]*)\"|([-0-9a-z]+))").matcher(json);
      if (!m.find()) {
        throw new IllegalArgumentException(path + "/argus/stage.json has no '" + key + "': " + json);
      }
      return m.group(2) != null ? m.group(2) : m.group(3);
    }
  }
}
