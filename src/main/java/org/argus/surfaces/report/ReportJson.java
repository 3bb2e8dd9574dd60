package org.argus.surfaces.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Objects;

/**
 * The one JSON codec of Argus's reports (Jackson): every {@code report.json} is an envelope
 * {@code {"schema": "argus.report", "schema_version": N, "kind": …, "provenance": {…},
 * "result": {…}}}. Field names are snake_case (records' components are converted); non-finite
 * doubles are written as {@code null} by the result types themselves (JSON has no NaN).
 *
 * <p>Schema versions: 1 — the first versioned schema (transfer, demo, select). A reader must
 * refuse a {@code schema_version} newer than it knows.
 */
public final class ReportJson {
  /** Value of the {@code schema} field. */
  public static final String SCHEMA = "argus.report";

  /** The {@code report.json} schema version this code writes. */
  public static final int SCHEMA_VERSION = 1;

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .setSerializationInclusion(JsonInclude.Include.ALWAYS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private ReportJson() {}

  /** @return the shared mapper (snake_case, indented); do not reconfigure it */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * The envelope of one {@code report.json}.
   *
   * @param schema always {@link #SCHEMA}
   * @param schemaVersion always {@link #SCHEMA_VERSION} when written by this code
   * @param kind the run kind (equals {@code provenance.kind})
   * @param provenance how the result was made
   * @param result the run kind's result document
   */
  @JsonPropertyOrder({"schema", "schema_version", "kind", "provenance", "result"})
  public record Envelope(String schema, int schemaVersion, String kind, Provenance provenance, Object result) {}

  /**
   * @param provenance how the result was made
   * @param result the result document (a record tree)
   * @return the {@code report.json} text, ending in a newline
   * @throws IllegalStateException if Jackson cannot serialize the result (a programming error)
   */
  public static String write(Provenance provenance, Object result) {
    Objects.requireNonNull(provenance, "provenance");
    try {
      return MAPPER.writeValueAsString(
          new Envelope(SCHEMA, SCHEMA_VERSION, provenance.kind(), provenance, result)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write report.json: " + e.getMessage(), e);
    }
  }

  /**
   * Parses a {@code report.json} and checks its envelope.
   *
   * @param json the text
   * @return the whole document as a tree
   * @throws IllegalArgumentException if it is not JSON, not an Argus report, or has a newer schema
   *     version than {@link #SCHEMA_VERSION}
   */
  public static JsonNode read(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("report.json is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !SCHEMA.equals(root.path("schema").asText())) {
      throw new IllegalArgumentException("not an Argus report: field 'schema' is '"
          + (root == null ? "" : root.path("schema").asText()) + "', expected '" + SCHEMA + "'");
    }
    int v = root.path("schema_version").asInt(-1);
    if (v < 1 || v > SCHEMA_VERSION) {
      throw new IllegalArgumentException("report.json schema_version " + v + " is not supported; this Argus reads 1…"
          + SCHEMA_VERSION);
    }
    return root;
  }
}
