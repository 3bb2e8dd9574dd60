package org.argus.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * read into memory: the Keras topology and all weights as float32.
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
        throw new IllegalArgumentException(
            "weight " + name + ": shape " + Arrays.toString(shape) + " needs " + n + " values, found " + data.length);
      }
    }
  }

  private final Path source;
  private final String name;
  private final String kerasVersion;
  private final List<KerasLayer> layers;
  private final List<String> inputLayers;
  private final List<String> outputLayers;
  private final Map<String, Weight> weights;

  private TfjsLayersModel(
      Path source,
      String name,
      String kerasVersion,
      List<KerasLayer> layers,
      List<String> inputLayers,
      List<String> outputLayers,
      Map<String, Weight> weights) {
    this.source = source;
    this.name = name;
    this.kerasVersion = kerasVersion;
    this.layers = List.copyOf(layers);
    this.inputLayers = List.copyOf(inputLayers);
    this.outputLayers = List.copyOf(outputLayers);
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
      throw new ModelFormatException("cannot read TF.js model.json " + modelJson + ": " + e.getMessage(), e);
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
    Parsed parsed = parseTopology(modelConfig, modelJson);
    Map<String, Weight> weights = readWeights(manifest, modelJson.toAbsolutePath().getParent(), modelJson);
    return new TfjsLayersModel(
        modelJson, parsed.name, kerasVersion, parsed.layers, parsed.inputs, parsed.outputs, weights);
  }

  private record Parsed(String name, List<KerasLayer> layers, List<String> inputs, List<String> outputs) {}

  private static Parsed parseTopology(JsonNode modelConfig, Path file) throws ModelFormatException {
    String cls = modelConfig.path("class_name").asText("");
    JsonNode config = modelConfig.path("config");
    if (cls.equals("Sequential")) {
      JsonNode layerArray = config.isArray() ? config : config.path("layers");
      String seqName = config.isObject() ? config.path("name").asText("sequential") : "sequential";
      List<KerasLayer> layers = new ArrayList<>();
      String prev = null;
      for (JsonNode l : layerArray) {
        String lname = l.path("config").path("name").asText(l.path("name").asText(""));
        String lcls = l.path("class_name").asText("");
        if (prev == null) {
          if (lcls.equals("InputLayer")) {
            layers.add(new KerasLayer(lname, lcls, l.path("config"), List.of()));
            prev = lname;
            continue;
          }
          JsonNode bis = l.path("config").path("batch_input_shape");
          if (!bis.isArray()) {
            throw new ModelFormatException(file + ": Sequential model's first layer '" + lname + "' has no batch_input_shape");
          }
          String inName = lname + "_input";
          layers.add(new KerasLayer(inName, "InputLayer", JSON.createObjectNode().put("name", inName).set("batch_input_shape", bis), List.of()));
          prev = inName;
        }
        layers.add(new KerasLayer(lname, lcls, l.path("config"), List.of(prev)));
        prev = lname;
      }
      if (layers.isEmpty()) {
        throw new ModelFormatException(file + ": Sequential model has no layers");
      }
      return new Parsed(seqName, layers, List.of(layers.get(0).name()), List.of(prev));
    }
    if (!cls.equals("Model") && !cls.equals("Functional")) {
      throw new ModelFormatException(
          file + ": unsupported model class '" + cls + "'; supported: Model, Functional, Sequential");
    }
    List<KerasLayer> layers = new ArrayList<>();
    for (JsonNode l : config.path("layers")) {
      String lname = l.path("name").asText(l.path("config").path("name").asText(""));
      String lcls = l.path("class_name").asText("");
      JsonNode nodes = l.path("inbound_nodes");
      if (nodes.size() > 1) {
        throw new ModelFormatException(
            "unsupported layer '" + lname + "' (" + lcls + "): called " + nodes.size()
                + " times (shared layers are not supported; each layer must be called once)");
      }
      List<String> inbound = new ArrayList<>();
      if (nodes.size() == 1) {
        for (JsonNode in : nodes.get(0)) {
          if (!in.isArray() || in.size() < 3) {
            throw new ModelFormatException(file + ": layer '" + lname + "' has a malformed inbound node " + in);
          }
          if (in.get(1).asInt() != 0 || in.get(2).asInt() != 0) {
            throw new ModelFormatException(
                "unsupported layer '" + lname + "' (" + lcls + "): input " + in
                    + " uses a node/tensor index other than 0 (shared layers / multi-output layers)");
          }
          inbound.add(in.get(0).asText());
        }
      }
      layers.add(new KerasLayer(lname, lcls, l.path("config"), inbound));
    }
    return new Parsed(
        config.path("name").asText("model"),
        layers,
        refNames(config.path("input_layers"), file),
        refNames(config.path("output_layers"), file));
  }

  private static List<String> refNames(JsonNode refs, Path file) throws ModelFormatException {
    List<String> out = new ArrayList<>();
    for (JsonNode r : refs) {
      if (!r.isArray() || r.size() < 1) {
        throw new ModelFormatException(file + ": malformed input/output layer reference " + r);
      }
      out.add(r.get(0).asText());
    }
    if (out.isEmpty()) {
      throw new ModelFormatException(file + ": model has no input_layers/output_layers");
    }
    return out;
  }

  private static Map<String, Weight> readWeights(JsonNode manifest, Path dir, Path file)
      throws ModelFormatException {
    Map<String, Weight> out = new LinkedHashMap<>();
    for (JsonNode group : manifest) {
      byte[] data = concatShards(group.path("paths"), dir, file);
      int offset = 0;
      for (JsonNode w : group.path("weights")) {
        String wname = w.path("name").asText();
        int[] shape = new int[w.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = w.path("shape").get(i).asInt();
        }
        long n = numel(shape);
        String dtype = w.path("dtype").asText("float32");
        JsonNode quant = w.get("quantization");
        int bytesPer = bytesPerElement(wname, dtype, quant);
        long need = n * bytesPer;
        if (offset + need > data.length) {
          throw new ModelFormatException(
              file + ": weight '" + wname + "' " + Arrays.toString(shape) + " needs bytes ["
                  + offset + ", " + (offset + need) + ") but its shard group " + group.path("paths")
                  + " holds only " + data.length + " bytes");
        }
        float[] values = decode(data, offset, (int) n, wname, dtype, quant);
        offset += (int) need;
        if (out.put(wname, new Weight(wname, shape, values)) != null) {
          throw new ModelFormatException(file + ": weight '" + wname + "' appears twice in the manifest");
        }
      }
      if (offset != data.length) {
        throw new ModelFormatException(
            file + ": shard group " + group.path("paths") + " holds " + data.length
                + " bytes but its weights use " + offset);
      }
    }
    return out;
  }

  private static byte[] concatShards(JsonNode paths, Path dir, Path file) throws ModelFormatException {
    List<byte[]> parts = new ArrayList<>();
    long total = 0;
    for (JsonNode p : paths) {
      Path shard = dir.resolve(p.asText());
      try {
        byte[] b = Files.readAllBytes(shard);
        parts.add(b);
        total += b.length;
      } catch (IOException e) {
        throw new ModelFormatException(
            "cannot read weight shard " + shard + " listed in " + file + ": " + e, e);
      }
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new ModelFormatException(file + ": shard group " + paths + " exceeds 2 GiB");
    }
    byte[] all = new byte[(int) total];
    int pos = 0;
    for (byte[] b : parts) {
      System.arraycopy(b, 0, all, pos, b.length);
      pos += b.length;
    }
    return all;
  }

  static int bytesPerElement(String wname, String dtype, JsonNode quant) throws ModelFormatException {
    if (quant != null && !quant.isNull()) {
      String q = quant.path("dtype").asText("");
      switch (q) {
        case "uint8":
          return 1;
        case "uint16":
        case "float16":
          return 2;
        default:
          throw new ModelFormatException(
              "weight '" + wname + "': unsupported quantization dtype '" + q + "'; supported: uint8, uint16, float16");
      }
    }
    switch (dtype) {
      case "float32":
      case "int32":
        return 4;
      default:
        throw new ModelFormatException(
            "weight '" + wname + "': unsupported dtype '" + dtype + "'; supported: float32, int32");
    }
  }

  /**
   * Decodes {@code n} elements starting at byte {@code offset} as TF.js {@code io.decodeWeights}
   * does, to float32.
   */
  static float[] decode(byte[] data, int offset, int n, String wname, String dtype, JsonNode quant)
      throws ModelFormatException {
    bytesPerElement(wname, dtype, quant);
    ByteBuffer buf = ByteBuffer.wrap(data, offset, data.length - offset).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    if (quant != null && !quant.isNull()) {
      if (!dtype.equals("float32")) {
        throw new ModelFormatException(
            "weight '" + wname + "': quantized weights must have dtype float32, found '" + dtype + "'");
      }
      String q = quant.path("dtype").asText();
      if (q.equals("float16")) {
        for (int i = 0; i < n; i++) {
          out[i] = halfToFloat(buf.getShort());
        }
        return out;
      }
      if (!quant.has("min") || !quant.has("scale")) {
        throw new ModelFormatException(
            "weight '" + wname + "': " + q + " quantization needs 'min' and 'scale', found " + quant);
      }
      double min = quant.get("min").asDouble();
      double scale = quant.get("scale").asDouble();
      for (int i = 0; i < n; i++) {
        int v = q.equals("uint8") ? Byte.toUnsignedInt(buf.get()) : Short.toUnsignedInt(buf.getShort());
        out[i] = (float) (v * scale + min);
      }
      return out;
    }
    if (dtype.equals("float32")) {
      buf.asFloatBuffer().get(out);
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = buf.getInt();
      }
    }
    return out;
  }

  /** IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN included). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f; // subnormal: mant · 2^-24, exact in float32
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

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
    return name;
  }

  /** @return {@code modelTopology.keras_version}, or {@code "unknown"} */
  public String kerasVersion() {
    return kerasVersion;
  }

  /** @return all layers in topology order (each layer's inputs precede it) */
  public List<KerasLayer> layers() {
    return layers;
  }

  /** @return names of the model's input layers ({@code InputLayer}) */
  public List<String> inputLayers() {
    return inputLayers;
  }

  /** @return names of the model's output layers */
  public List<String> outputLayers() {
    return outputLayers;
  }

  /** @return all weights by manifest name ({@code <layer>/<weight>}), in manifest order */
  public Map<String, Weight> weights() {
    return weights;
  }

  /**
   * @param layer the Keras layer name
   * @return the layer, or {@code null} when absent
   */
  public KerasLayer layer(String layer) {
    for (KerasLayer l : layers) {
      if (l.name().equals(layer)) {
        return l;
      }
    }
    return null;
  }
}
