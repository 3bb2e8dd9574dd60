package org.argus.surfaces.report.html;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.TrialRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.surfaces.report.ReportJson;

/**
 * The page model of a model-selection run for {@link HtmlPage}, built from the run directory's
 * tables (trials, epochs, unit queries) and, once the run finished, its {@code report.json}.
 *
 * <p>Charts it feeds: validation metric and training loss per epoch (one line per config that
 * completed an epoch, one point per epoch; a config stopped by the procedure ends at its rung),
 * parallel coordinates (one axis per hyperparameter, then the goal's metric; one line per config
 * with a metric), a Gantt of unit queries (one rectangle per attempt on its worker slot, time in
 * seconds since the first unit started, coloured by config) and checkpoint bytes moved per epoch.
 * A fused selection's report ({@code result.fusion}, written by {@code FusionReport}) adds the best
 * config per layer (bars of its validation and test accuracy per layer, bottom layer first, and a
 * table) and per pooling, with EXPLAIN and EXPLAIN ANALYZE of both phases.
 */
public final class SelectionPage {
  private SelectionPage() {}

  /**
   * What the tables hold.
   *
   * @param spec the stored spec ({@code spec.properties}); empty before the run wrote it
   * @param trials the trials table (written when the run ends; may be empty while it goes)
   * @param epochs the epochs table
   * @param units every unit attempt
   */
  public record Tables(Map<String, String> spec, List<TrialRecord> trials, List<EpochRecord> epochs,
      List<UnitRecord> units) {
    /** Copies the collections. */
    public Tables {
      spec = new LinkedHashMap<>(spec);
      trials = List.copyOf(trials);
      epochs = List.copyOf(epochs);
      units = List.copyOf(units);
    }
  }

  /**
   * @param t the run's tables
   * @param report the finished run's {@code report.json}, or null while it goes or if it never finished
   * @param status {@code running}, {@code finished} or {@code stopped}
   * @return the page model
   */
  public static ObjectNode of(Tables t, JsonNode report, String status) {
    ObjectNode m = ReportJson.mapper().createObjectNode();
    JsonNode res = report == null ? null : report.path("result");
    String procedure = res != null ? res.path("procedure").asText() : t.spec().getOrDefault("procedure", "?");
    String execution = res != null ? res.path("execution").asText() : t.spec().getOrDefault("execution", "?");
    String goal = res != null ? res.path("goal").asText() : t.spec().getOrDefault("goal", "max accuracy");
    boolean larger = !goal.startsWith("min");
    m.put("kind", "select");
    m.put("title", "Argus select: " + procedure + ", " + execution);
    m.put("status", status);
    m.put("updated_at", Instant.now().toString());
    m.put("procedure", procedure);
    m.put("execution", execution);
    m.put("goal", goal);
    m.put("metric", goal.contains(" ") ? goal.substring(goal.indexOf(' ') + 1) : goal);
    if (report != null) {
      m.set("provenance", report.path("provenance"));
    } else {
      ObjectNode s = m.putObject("spec");
      t.spec().forEach(s::put);
    }
    Map<Integer, Integer> ranks = new LinkedHashMap<>();
    if (res != null) {
      res.path("leaderboard").forEach(e -> ranks.put(e.path("trial").asInt(), e.path("rank").asInt()));
    }
    List<ObjectNode> trials = trials(t, ranks, larger);
    m.putArray("trials").addAll(trials);
    m.set("params", params(trials));
    units(m, t.units(), t.spec());
    m.put("stored_bytes", res == null ? -1 : res.path("shard_cached_bytes").asLong(-1));
    m.put("payload_bytes", res == null ? -1 : res.path("shard_payload_bytes").asLong(-1));
    if (res != null && res.path("fusion").isObject()) { // a fused selection: best config per layer and pooling
      m.set("fusion", res.path("fusion"));
    }
    return m;
  }

  /** One entry per trial: config, parsed params, epochs, last metrics, status, rank. */
  private static List<ObjectNode> trials(Tables t, Map<Integer, Integer> ranks, boolean larger) {
    Map<Integer, String> configs = new TreeMap<>();
    Map<Integer, String> stopped = new TreeMap<>();
    for (TrialRecord r : t.trials()) {
      configs.put(r.trial(), r.config());
      stopped.put(r.trial(), r.stopped());
    }
    Map<Integer, TreeMap<Integer, EpochRecord>> epochs = new TreeMap<>();
    for (EpochRecord e : t.epochs()) { // a resumed run may repeat an epoch: the later row wins
      configs.putIfAbsent(e.trial(), e.config());
      epochs.computeIfAbsent(e.trial(), k -> new TreeMap<>()).put(e.epoch(), e);
    }
    for (UnitRecord u : t.units()) {
      configs.putIfAbsent(u.trial(), "trial " + u.trial());
    }
    List<ObjectNode> out = new ArrayList<>();
    int index = 0;
    for (Map.Entry<Integer, String> c : configs.entrySet()) {
      ObjectNode n = ReportJson.mapper().createObjectNode();
      n.put("index", index++);
      n.put("trial", c.getKey());
      n.put("config", c.getValue());
      ObjectNode params = n.putObject("params");
      parse(c.getValue()).forEach(params::put);
      ArrayNode es = n.putArray("epochs");
      EpochRecord last = null;
      for (EpochRecord e : epochs.getOrDefault(c.getKey(), new TreeMap<>()).values()) {
        es.addObject().put("epoch", e.epoch()).put("metric", finite(e.metric()))
            .put("val_accuracy", finite(e.valAccuracy())).put("val_loss", finite(e.valLoss()))
            .put("train_loss", finite(e.trainLoss())).put("failed", e.failed());
        last = e;
      }
      String status = stopped.get(c.getKey());
      if (status == null || status.isEmpty()) {
        status = last != null && last.failed() != null ? "failed: " + last.failed() : stopped.containsKey(c.getKey())
            ? "" : "running";
      }
      boolean failed = status.startsWith("failed");
      n.put("metric", last == null || failed ? null : finite(last.metric()));
      n.put("val_accuracy", last == null ? null : finite(last.valAccuracy()));
      n.put("val_loss", last == null ? null : finite(last.valLoss()));
      n.put("train_loss", last == null ? null : finite(last.trainLoss()));
      n.put("status", status);
      n.put("failed", failed);
      n.put("pruned", !failed && status.contains("rung") && !status.startsWith("finished"));
      out.add(n);
    }
    if (!ranks.isEmpty()) {
      out.forEach(n -> n.put("rank", ranks.get(n.path("trial").asInt())));
    } else {
      List<ObjectNode> sorted = new ArrayList<>(out);
      sorted.sort((a, b) -> {
        boolean na = a.path("metric").isNull();
        boolean nb = b.path("metric").isNull();
        if (na || nb) {
          return na == nb ? Integer.compare(a.path("trial").asInt(), b.path("trial").asInt()) : na ? 1 : -1;
        }
        int cmp = Double.compare(a.path("metric").asDouble(), b.path("metric").asDouble());
        return larger ? -cmp : cmp;
      });
      for (int i = 0; i < sorted.size(); i++) {
        sorted.get(i).put("rank", i + 1);
      }
    }
    return out;
  }

  /** Axes of the parallel coordinates: numeric (log when spanning ≥ 100×) or categorical. */
  private static ArrayNode params(List<ObjectNode> trials) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (ObjectNode t : trials) {
      t.path("params").fields().forEachRemaining(f ->
          values.computeIfAbsent(f.getKey(), k -> new ArrayList<>()).add(f.getValue().asText()));
    }
    ArrayNode axes = ReportJson.mapper().createArrayNode();
    for (Map.Entry<String, List<String>> v : values.entrySet()) {
      ObjectNode a = axes.addObject().put("name", v.getKey());
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      boolean numeric = true;
      for (String s : v.getValue()) {
        try {
          double d = Double.parseDouble(s);
          min = Math.min(min, d);
          max = Math.max(max, d);
        } catch (NumberFormatException e) {
          numeric = false;
        }
      }
      if (!numeric) {
        ArrayNode cats = a.putArray("values");
        new TreeSet<>(v.getValue()).forEach(cats::add);
      } else if (min > 0 && max / min >= 100) {
        a.put("log", true);
      }
    }
    for (ObjectNode t : trials) { // numeric axes need numbers
      ObjectNode p = (ObjectNode) t.path("params");
      for (JsonNode a : axes) {
        String k = a.path("name").asText();
        if (!a.has("values") && p.has(k)) {
          p.put(k, Double.parseDouble(p.path(k).asText()));
        }
      }
    }
    return axes;
  }

  /** Gantt rows {@code [slot, start s, end s, trial, failed 0/1]}, counts, bytes moved per epoch. */
  private static void units(ObjectNode m, List<UnitRecord> units, Map<String, String> spec) {
    long t0 = units.stream().mapToLong(UnitRecord::startMs).min().orElse(0);
    int slots = 0;
    try {
      slots = Integer.parseInt(spec.getOrDefault("workers", "0"));
    } catch (NumberFormatException e) {
      // a hand-edited spec: the units say how many slots ran
    }
    ArrayNode rows = m.putArray("units");
    TreeMap<Integer, Long> perEpoch = new TreeMap<>();
    long moved = 0;
    int failed = 0;
    for (UnitRecord u : units) {
      slots = Math.max(slots, u.shard() + 1);
      rows.addArray().add(u.shard()).add(Math.round(u.startMs() - t0) / 1000.0)
          .add(Math.round(u.endMs() - t0) / 1000.0).add(u.trial()).add(u.error() == null ? 0 : 1);
      long b = u.bytesRead() + u.bytesWritten();
      moved += b;
      perEpoch.merge(u.epoch(), b, Long::sum);
      failed += u.error() == null ? 0 : 1;
    }
    m.put("slots", slots);
    m.put("units_done", units.size() - failed);
    m.put("units_failed", failed);
    m.put("bytes_moved", moved);
    ArrayNode pe = m.putArray("bytes_per_epoch");
    perEpoch.forEach((e, b) -> pe.addArray().add(e).add(b));
  }

  /** @return {@code name=value,…} as an ordered map (a part without {@code =} is left out) */
  static Map<String, String> parse(String config) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : config.split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
      }
    }
    return m;
  }

  private static Double finite(double d) {
    return Double.isFinite(d) ? d : null;
  }
}
