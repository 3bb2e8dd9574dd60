package org.argus.surfaces.report.html;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.argus.surfaces.report.ReportJson;

/**
 * The page model of a training run ({@code argus train}, kind {@code train}) for {@link HtmlPage}:
 * from a finished run's {@code report.json}, or while it goes from the epochs so far.
 *
 * <p>Charts it feeds: training loss per epoch and per optimizer step (data-parallel runs record the
 * mean loss of every step), training accuracy per epoch, and examples/s per epoch (one bar each).
 */
public final class TrainPage {
  private TrainPage() {}

  /**
   * One optimizer step's mean training loss.
   *
   * @param step 1-based global step
   * @param loss mean softmax cross-entropy over the step's global batch, nats
   */
  public record Step(long step, double loss) {}

  /**
   * @param report a finished training run's {@code report.json} (checked envelope)
   * @return the page model, status {@code finished}
   */
  public static ObjectNode finished(JsonNode report) {
    JsonNode r = report.path("result");
    ObjectNode m = base("finished");
    m.set("provenance", report.path("provenance"));
    m.set("train", r);
    return m;
  }

  /**
   * @param status {@code running}, or {@code stopped} when the run ended without a report
   * @param spec the run's settings
   * @param summary what is known of the run so far (model, config, workers, global batch), as the
   *     {@code result} block of a finished report would hold it
   * @param epochs the epochs finished so far, as {@code report.json}'s {@code epochs} rows
   * @param steps the steps so far (may be empty)
   * @return the page model
   */
  public static ObjectNode running(String status, Map<String, String> spec, Map<String, Object> summary,
      List<Map<String, Object>> epochs, List<Step> steps) {
    ObjectNode m = base(status);
    ObjectNode s = m.putObject("spec");
    spec.forEach(s::put);
    ObjectNode t = ReportJson.mapper().valueToTree(summary);
    t.set("epochs", ReportJson.mapper().valueToTree(epochs));
    ArrayNode st = t.putArray("step_losses");
    for (Step x : steps) {
      st.addArray().add(x.step()).add(x.loss());
    }
    m.set("train", t);
    return m;
  }

  private static ObjectNode base(String status) {
    ObjectNode m = ReportJson.mapper().createObjectNode();
    m.put("kind", "train");
    m.put("title", "Argus training run");
    m.put("status", status);
    m.put("updated_at", Instant.now().toString());
    return m;
  }
}
