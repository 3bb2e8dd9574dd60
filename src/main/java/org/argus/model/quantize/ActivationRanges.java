package org.argus.model.quantize;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.argus.provision.Sha256;

/**
 * Calibrated ranges of a graph's activation tensors and how they were obtained.
 *
 * @param ranges tensor name → {@code [min, max]} of its calibrated range (float32 values as they flow
 *     in the graph)
 * @param provenance how the ranges were measured
 */
public record ActivationRanges(Map<String, float[]> ranges, Provenance provenance) implements Serializable {

  /**
   * How ranges were measured: enough to reproduce them and to key a cache.
   *
   * @param fp32Sha256 sha256 of the fp32 graph that was run (its serialized bytes)
   * @param method the calibration method
   * @param seed the seed that drew the sample
   * @param sampleIds ids of the calibration images (paths or row ids), sorted
   * @param preprocessing the preprocessing applied before the graph (e.g. {@code 96x96 x/255})
   */
  public record Provenance(String fp32Sha256, CalibrationMethod method, long seed, List<String> sampleIds,
      String preprocessing) implements Serializable {
    /** Copies the list. */
    public Provenance {
      sampleIds = List.copyOf(sampleIds);
    }

    /** @return hex sha256 of every field: the cache key of the ranges and of graphs quantized with them */
    public String key() {
      return Sha256.of((fp32Sha256 + "\n" + method + "\n" + seed + "\n" + preprocessing + "\n"
          + String.join("\n", sampleIds)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return method.paramValue() + " on " + sampleIds.size() + " images (seed " + seed + ", " + preprocessing
          + ") of graph " + fp32Sha256.substring(0, Math.min(12, fp32Sha256.length()));
    }
  }

  /** Copies the map (sorted by tensor name). */
  public ActivationRanges {
    ranges = new TreeMap<>(ranges);
  }

  /**
   * @param tensor a tensor name
   * @return its range
   * @throws IllegalArgumentException when the tensor was not calibrated (names it and the count known)
   */
  public float[] range(String tensor) {
    float[] r = ranges.get(tensor);
    if (r == null) {
      throw new IllegalArgumentException("tensor '" + tensor + "' has no calibrated range (" + ranges.size()
          + " tensors were calibrated, by " + provenance + ")");
    }
    return r;
  }
}
