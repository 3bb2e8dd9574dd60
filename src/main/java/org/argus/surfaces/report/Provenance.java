package org.argus.surfaces.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a result was made, complete enough to reproduce it (after Tribuo's provenance objects): the
 * run kind, the full spec as printable key → value pairs, the models with their sha256, layers and
 * preprocessing, the seed, and the {@link Environment}. Written as the {@code provenance} block of
 * every {@code report.json} (transfer, demo, select) and shown on every report page.
 *
 * @param kind {@code transfer}, {@code demo} or {@code select}
 * @param createdAt when the result was produced (UTC, ISO-8601)
 * @param seed the run's seed (sampling, splits, search, shuffles)
 * @param spec every setting of the run, in a stable order (defaults included), as strings
 * @param models the models the run read (empty when it trained from scratch only)
 * @param environment the build, engine versions and machine
 */
public record Provenance(
    String kind,
    @JsonProperty("created_at") String createdAt,
    long seed,
    Map<String, String> spec,
    List<ModelUse> models,
    Environment environment) {

  /** Copies the map (keeping its order) and the list; checks the kind. */
  public Provenance {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(createdAt, "createdAt");
    spec = Collections.unmodifiableMap(new LinkedHashMap<>(spec));
    models = List.copyOf(models);
    Objects.requireNonNull(environment, "environment");
  }

  /**
   * @param kind the run kind
   * @param seed the run's seed
   * @param spec every setting of the run as printable values (in a stable order)
   * @param models the models read
   * @return provenance stamped now with the current {@link Environment}
   */
  public static Provenance of(String kind, long seed, Map<String, String> spec, List<ModelUse> models) {
    return new Provenance(kind, Instant.now().toString(), seed, spec, models, Environment.current());
  }

  /**
   * One model a run read.
   *
   * @param name roster name or the ONNX file path
   * @param sha256 sha256 of the full model's ONNX bytes (hex)
   * @param layers the layers used, bottom to top (empty when the whole model ran)
   * @param preprocessing the preprocessing applied, e.g. {@code 96x96:rgb:tf:nhwc}
   */
  public record ModelUse(String name, String sha256, List<String> layers, String preprocessing) {
    /** Copies the list. */
    public ModelUse {
      layers = List.copyOf(layers);
    }
  }
}
