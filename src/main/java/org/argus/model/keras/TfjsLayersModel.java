package org.argus.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.argus.model.ModelFormatException;

/**
 * A TF.js layers model ({@code model.json} + binary weight shards, the format written by
 * {@code tensorflowjs_converter --output_format tfjs_layers_model} and by TF.js {@code model.save})
 * read into memory: the Keras topology and all weights as float32; the input of {@link
 * KerasOnnxImporter}.
 *
 * <p>Weights follow the TF.js weights-manifest convention: each manifest group's shard files are
 * concatenated in order and the group's weights are laid out back to back, row-major, little-endian,
 * with the Keras shapes (e.g. Conv2D kernel {@code [kh, kw, in, out]}). Quantized weights are
 * dequantized as TF.js does: {@code uint8}/{@code uint16} → {@code min + scale·q} (computed in
 * double, rounded once to float32); {@code float16} → float32. Plain {@code float32} and
 * {@code int32} are read as is (int32 converted to float32).
 *
 * <p>Supported topologies: Keras functional {@code Model}/{@code Functional} whose layers are each
 * called once, and {@code Sequential} (the input layer is then named {@code <first layer>_input},
 * as Keras names it).
 */
public final class TfjsLayersModel {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A dequantized weight tensor.
   *
   * @param name manifest name, {@code <layer>/<weight>} (e.g. {@code Conv1/kernel})
   * @param shape Keras shape, e.g. Conv2D kernel {@code [kh, kw, in, out]}, DepthwiseConv2D {@code
   *     [kh, kw, in, mult]}, Dense {@code [in, out]}, BatchNormalization vectors {@code [C]}
   * @param data float32 values, row-major over {@code shape}
   */
  public record Weight(String name, int[] shape, float[] data) {
    /** Validates the element count against the shape. */
    public Weight {
      Objects.requireNonNull(name, "name");
      long n = numel(shape);
      if (n != data.length) {
        throw new IllegalArgumentException("weight " + name + ": shape " + Arrays.toString(shape)
            + " needs " + n + " values, found " + data.length);
      }
    }
  }

  private final Path source;
  private final String kerasVersion;
  private final KerasTopology topology;
  private final Map<String, Weight> weights;

  private TfjsLayersModel(Path source, String kerasVersion, KerasTopology topology,
      Map<String, Weight> weights) {
    this.source = source;
    this.kerasVersion = kerasVersion;
    this.topology = topology;
    this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
  }

  /**
   * Reads a TF.js layers model.
   *
   * @param modelJson the {@code model.json}; weight shard paths in its {@code weightsManifest} are
   *     resolved against its directory
   * @return the topology and all weights, dequantized to float32
   * @throws ModelFormatException when the file or a shard is missing or unreadable, the JSON is not
   *     a layers model ({@code modelTopology} + {@code weightsManifest}), a shard is shorter or
   *     longer than its manifest says, or a dtype/quantization is not one of float32, int32,
   *     uint8/uint16 (min+scale) and float16
   */
  public static TfjsLayersModel load(Path modelJson) throws ModelFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(modelJson.toFile());
    } catch (IOException e) {
      throw new ModelFormatException(
          "cannot read TF.js model.json " + modelJson + ": " + e.getMessage(), e);
    }
    JsonNode topology = root.path("modelTopology");
    JsonNode manifest = root.path("weightsManifest");
    if (!topology.isObject() || !manifest.isArray()) {
      throw new ModelFormatException(
          modelJson + " is not a TF.js layers model: expected an object with 'modelTopology' and"
              + " 'weightsManifest' (a TF.js graph model or a Keras .h5/.keras file is not supported)");
    }
    JsonNode modelConfig = topology.has("model_config") ? topology.get("model_config") : topology;
    String kerasVersion = topology.path("keras_version").asText("unknown");
    KerasTopology parsed = KerasTopology.parse(modelConfig, modelJson);
    Map<String, Weight> weights =
        TfjsWeights.read(manifest, modelJson.toAbsolutePath().getParent(), modelJson);
    return new TfjsLayersModel(modelJson, kerasVersion, parsed, weights);
  }

  /** Decodes weight bytes as TF.js does; see {@link WeightDecoding#decode}. */
  static float[] decode(byte[] data, int offset, int n, String wname, String dtype, JsonNode quant)
      throws ModelFormatException {
    return WeightDecoding.decode(data, offset, n, wname, dtype, quant);
  }

  /** IEEE 754 binary16 → binary32; see {@link WeightDecoding#halfToFloat}. */
  static float halfToFloat(short h) {
    return WeightDecoding.halfToFloat(h);
  }

  /**
   * @return the number of elements of {@code shape}
   * @throws IllegalArgumentException for a negative dimension
   */
  static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n *= d;
    }
    return n;
  }

  /** @return the {@code model.json} this model was read from */
  public Path source() {
    return source;
  }

  /** @return the Keras model name ({@code model_config.config.name}) */
  public String name() {
    return topology.name();
  }

  /** @return {@code modelTopology.keras_version}, or {@code "unknown"} */
  public String kerasVersion() {
    return kerasVersion;
  }

  /** @return names of the model's input layers ({@code InputLayer}) */
  public List<String> inputLayers() {
    return topology.inputs();
  }

  /** @return names of the model's output layers */
  public List<String> outputLayers() {
    return topology.outputs();
  }

  /**
   * @return all layers in topology order (each layer's inputs precede it); read by the DJL graph
   *     builder ({@code runtime.train.imported}) as well as the importer
   */
  public List<KerasLayer> layers() {
    return topology.layers();
  }

  /**
   * @return all weights by manifest name ({@code <layer>/<weight>}), in manifest order (the arrays
   *     are shared: do not modify them)
   */
  public Map<String, Weight> weights() {
    return weights;
  }
}
