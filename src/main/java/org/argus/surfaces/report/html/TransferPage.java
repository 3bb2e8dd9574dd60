package org.argus.surfaces.report.html;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.Map;
import org.argus.plan.cost.ByteSize;
import org.argus.surfaces.report.ReportJson;

/**
 * The page model of a feature-transfer run ({@code transfer} or {@code demo}) for {@link
 * HtmlPage}: built from a finished run's {@code report.json}, or, while the run goes, from its
 * settings and the stages so far.
 *
 * <p>Charts it feeds: accuracy and macro-F1 per layer (one bar per layer and metric, the best layer
 * highlighted), seconds per layer stacked by inference / materialization / training, and the plan
 * tree (chosen plan with its stages, each with estimated vs measured bytes held; each rejected plan
 * with its estimates and why it was rejected).
 */
public final class TransferPage {
  private TransferPage() {}

  /**
   * One stage of a running transfer as its progress reported it.
   *
   * @param stage the stage, e.g. {@code stage 2/4 block_13_expand_relu}
   * @param unit what it counts, e.g. {@code images}
   * @param total units to do (-1 unknown)
   * @param done units done so far
   * @param summary the stage's summary once it ended, else empty
   */
  public record Stage(String stage, String unit, long total, long done, String summary) {}

  /**
   * @param report a finished run's {@code report.json} (checked envelope, see {@link ReportJson#read})
   * @return the page model, status {@code finished}
   */
  public static ObjectNode finished(JsonNode report) {
    JsonNode r = report.path("result");
    String kind = report.path("kind").asText();
    ObjectNode m = base(kind, "finished");
    m.set("provenance", report.path("provenance"));
    m.set("layers", r.path("layers"));
    m.put("best", r.path("best").asText(null));
    m.set("notes", r.path("notes"));
    m.put("explain", r.path("explain").asText(""));
    m.put("estimated_vs_measured", r.path("estimated_vs_measured").asText(""));
    ObjectNode counts = ReportJson.mapper().createObjectNode();
    r.path("counts").fields().forEachRemaining(f -> {
      if (!f.getKey().equals("quarantine_reasons")) {
        counts.set(f.getKey(), f.getValue());
      }
    });
    m.set("counts", counts);
    m.set("quarantine_reasons", r.path("counts").path("quarantine_reasons"));
    m.set("plan_tree", planTree(r));
    return m;
  }

  /**
   * @param kind {@code transfer} or {@code demo}
   * @param status {@code running}, or {@code stopped} when the run ended without a report
   * @param spec the run's settings
   * @param stages the stages so far, in order
   * @return the page model of a run without results yet
   */
  public static ObjectNode running(String kind, String status, Map<String, String> spec, List<Stage> stages) {
    return running(kind, status, spec, stages, List.of());
  }

  /**
   * As {@link #running(String, String, Map, List)}, with the layers completed so far (their
   * accuracy bars, seconds and table are drawn as in a finished run; the best so far highlighted).
   *
   * @param layers completed layers, as {@link #completedLayers} reads them
   * @return the page model
   */
  public static ObjectNode running(String kind, String status, Map<String, String> spec, List<Stage> stages,
      List<ObjectNode> layers) {
    ObjectNode m = base(kind, status);
    ObjectNode s = m.putObject("spec");
    spec.forEach(s::put);
    ArrayNode st = m.putArray("stages");
    for (Stage x : stages) {
      st.addObject().put("stage", x.stage()).put("unit", x.unit()).put("total", x.total()).put("done", x.done())
          .put("summary", x.summary());
    }
    ArrayNode ls = m.putArray("layers");
    ObjectNode best = null;
    for (ObjectNode l : layers) {
      ls.add(l);
      if (best == null || l.path("accuracy").asDouble() > best.path("accuracy").asDouble()) {
        best = l;
      }
    }
    if (best != null) {
      m.put("best", best.path("layer").asText());
    }
    return m;
  }

  /**
   * The layers a transfer run has completed, from its layer checkpoints ({@code
   * checkpoints/layer-NNN-NAME/result.json}, written atomically as each layer finishes), in layer
   * order, with the fields of {@code report.json}'s layers ({@code layer, feature_dim, accuracy,
   * macro_f1, auc, inference_seconds, materialization_seconds, training_seconds}). A folder
   * without a readable {@code result.json} is skipped (its layer has not finished).
   *
   * @param runDir the run directory (local)
   * @return the completed layers; empty when there are no checkpoints
   */
  public static List<ObjectNode> completedLayers(Path runDir) {
    Path dir = runDir.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<ObjectNode> out = new ArrayList<>();
    try (Stream<Path> folders = Files.list(dir)) {
      for (Path f : folders.filter(Files::isDirectory).sorted().toList()) {
        Path result = f.resolve("result.json");
        if (!Files.isRegularFile(result)) {
          continue;
        }
        JsonNode r;
        try {
          r = ReportJson.mapper().readTree(result.toFile());
        } catch (IOException e) {
          continue; // being replaced, or damaged: the layer is not shown as complete
        }
        ObjectNode l = ReportJson.mapper().createObjectNode();
        l.put("layer", r.path("layer").asText());
        l.put("feature_dim", r.path("featureDim").asInt());
        l.put("accuracy", r.path("accuracy").asDouble());
        l.put("macro_f1", r.path("macroF1").asDouble());
        l.set("auc", r.path("auc").isNumber() ? r.path("auc") : NullNode.getInstance());
        l.put("inference_seconds", r.path("inferenceSeconds").asDouble());
        l.put("materialization_seconds", r.path("materializationSeconds").asDouble());
        l.put("training_seconds", r.path("trainingSeconds").asDouble());
        out.add(l);
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  private static ObjectNode base(String kind, String status) {
    ObjectNode m = ReportJson.mapper().createObjectNode();
    m.put("kind", kind);
    m.put("title", "Argus feature transfer" + ("demo".equals(kind) ? " (demo)" : ""));
    m.put("status", status);
    m.put("updated_at", Instant.now().toString());
    return m;
  }

  /** The plan tree: chosen plan → its stages (estimated vs measured held bytes); rejected plans. */
  private static ObjectNode planTree(JsonNode r) {
    JsonNode plan = r.path("plan");
    JsonNode est = r.path("estimated");
    JsonNode meas = r.path("measured");
    ObjectNode root = ReportJson.mapper().createObjectNode();
    root.put("name", r.path("layers").size() + " layer(s)");
    ArrayNode children = root.putArray("children");
    ObjectNode chosen = children.addObject();
    long live = meas.path("peak_live_heap_bytes").asLong(-1);
    chosen.put("name", "chosen: " + plan.path("logical").asText() + ", " + plan.path("persistence").asText()
        + " — est. peak heap " + ByteSize.format(est.path("peak_heap_bytes_per_executor").asLong())
        + ", measured live " + (live < 0 ? "?" : ByteSize.format(live)));
    ArrayNode stages = chosen.putArray("children");
    List<JsonNode> inference = new java.util.ArrayList<>();
    meas.path("phases").forEach(p -> {
      if (p.path("inference").asBoolean()) {
        inference.add(p);
      }
    });
    int i = 0;
    for (JsonNode s : est.path("stages")) {
      JsonNode ph = i < inference.size() ? inference.get(i) : null;
      i++;
      long held = ph == null ? -1 : ph.path("held_bytes").asLong(-1);
      stages.addObject().put("name", s.path("label").asText() + " — est. holds "
          + ByteSize.format(s.path("held_bytes").asLong()) + ", measured " + (held < 0 ? "?" : ByteSize.format(held)));
    }
    for (JsonNode alt : r.path("rejected")) {
      children.addObject().put("name", "rejected: " + alt.path("logical").asText() + " — est. peak heap "
          + ByteSize.format(alt.path("peak_heap_bytes_per_executor").asLong()) + ", relative cost "
          + String.format(java.util.Locale.ROOT, "%.2f", alt.path("relative_cost").asDouble())
          + (alt.path("reason").asText("").isEmpty() ? "" : "; " + alt.path("reason").asText()));
    }
    return root;
  }
}
