package org.argus.model.keras;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.model.ModelFormatException;

/**
 * Reads the weights of a TF.js {@code weightsManifest}: each group's shard files ({@code paths})
 * are concatenated in order and hold the group's weights back to back, row-major, in their manifest
 * order; each weight is decoded to float32 by {@link WeightDecoding}.
 */
final class TfjsWeights {
  private TfjsWeights() {}

  /**
   * @param manifest the {@code weightsManifest} array
   * @param dir the folder shard paths are relative to
   * @param file the {@code model.json}, for messages
   * @return every weight by manifest name, in manifest order
   * @throws ModelFormatException when a shard is unreadable, a group's shards are shorter or
   *     longer than its weights need, a name repeats, or a dtype is unsupported
   */
  static Map<String, TfjsLayersModel.Weight> read(JsonNode manifest, Path dir, Path file)
      throws ModelFormatException {
    Map<String, TfjsLayersModel.Weight> out = new LinkedHashMap<>();
    for (JsonNode group : manifest) {
      byte[] data = concatShards(group.path("paths"), dir, file);
      int offset = 0;
      for (JsonNode w : group.path("weights")) {
        String wname = w.path("name").asText();
        int[] shape = new int[w.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = w.path("shape").get(i).asInt();
        }
        long n = TfjsLayersModel.numel(shape);
        String dtype = w.path("dtype").asText("float32");
        JsonNode quant = w.get("quantization");
        long need = n * WeightDecoding.bytesPerElement(wname, dtype, quant);
        if (offset + need > data.length) {
          throw new ModelFormatException(
              file + ": weight '" + wname + "' " + Arrays.toString(shape) + " needs bytes ["
                  + offset + ", " + (offset + need) + ") but its shard group " + group.path("paths")
                  + " holds only " + data.length + " bytes");
        }
        float[] values = WeightDecoding.decode(data, offset, (int) n, wname, dtype, quant);
        offset += (int) need;
        if (out.put(wname, new TfjsLayersModel.Weight(wname, shape, values)) != null) {
          throw new ModelFormatException(
              file + ": weight '" + wname + "' appears twice in the manifest");
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

  private static byte[] concatShards(JsonNode paths, Path dir, Path file)
      throws ModelFormatException {
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
}
