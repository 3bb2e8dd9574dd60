package org.argus.surfaces.ml;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
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

  /** Jackson: the stage file's fields as written by earlier versions (camelCase, {@code class}). */
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * The content of {@code argus/stage.json}.
   *
   * @param format the stage file format version
   * @param className the stage's class name
   * @param modelSha256 sha256 of the model graph the stage was saved with
   * @param embeddedModel the embedded ONNX file's name under {@code argus/}, or null
   */
  record StageFile(
      @JsonProperty("format") int format,
      @JsonProperty("class") String className,
      @JsonProperty("modelSha256") String modelSha256,
      @JsonProperty("embeddedModel") String embeddedModel) {}

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
      StageFile file = new StageFile(FORMAT_VERSION, stage.getClass().getName(), sha, embed ? "model.onnx" : null);
      byte[] json;
      try {
        json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(file);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot write " + path + "/argus/stage.json: " + e.getMessage(), e);
      }
      write(new Path(path, "argus/stage.json"), json);
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
      StageFile file;
      try {
        file = JSON.readValue(json, StageFile.class);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(path + "/argus/stage.json is not a valid Argus stage file: "
            + e.getOriginalMessage() + "; content: " + json, e);
      }
      String cls = required(file.className(), "class", path, json);
      if (!cls.equals(type.getName())) {
        throw new IllegalArgumentException(
            path + " holds a " + cls + ", not a " + type.getName());
      }
      int format = file.format();
      if (format > FORMAT_VERSION) {
        throw new IllegalArgumentException(
            path + " was saved in Argus stage format " + format + "; this Argus supports at most "
                + "version " + FORMAT_VERSION);
      }
      DefaultParamsReader<Params> params = new DefaultParamsReader<>();
      params.session(sparkSession());
      T stage = type.cast(params.load(path));
      if (file.embeddedModel() != null) {
        stage.setModelPath(new Path(path, "argus/model.onnx").toString());
      }
      String expected = required(file.modelSha256(), "modelSha256", path, json);
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

    private static String required(String value, String key, String path, String json) {
      if (value == null) {
        throw new IllegalArgumentException(path + "/argus/stage.json has no '" + key + "': " + json);
      }
      return value;
    }
  }
}
