package org.argus.surfaces.report.html;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.argus.provision.ProvisioningException;
import org.argus.surfaces.report.ReportJson;

/**
 * Turns a page model (the JSON tree that {@link TransferPage} and {@link SelectionPage} build) into
 * one self-contained {@code report.html}: the styles, Apache ECharts ({@link ECharts}, with its
 * license header and NOTICE), the model as an inert {@code <script type="application/json">} block
 * and the page's renderer ({@code report.js}), all inline.
 *
 * <p>The page makes no network request: its Content-Security-Policy is {@code default-src 'none'}
 * with inline scripts and styles only. Text from the run (config
 * values, layer names, failure reasons) only reaches the DOM through {@code textContent} and
 * ECharts' rich-text tooltips; in the JSON block {@code <}, {@code >}, {@code &} and the JavaScript
 * line separators are written as {@code \\uXXXX} escapes, so no value can close the block.
 */
public final class HtmlPage {
  private static final String CSS = resource("report.css");
  private static final String JS = resource("report.js");

  private HtmlPage() {}

  /**
   * @param model the page model; must hold {@code title}; this call adds {@code echarts_version}
   *     or {@code charts_missing}
   * @return the page (UTF-8 text); when ECharts cannot be provisioned the page still renders its
   *     tables and says in place of each chart why it is missing
   */
  public static String render(ObjectNode model) {
    ECharts lib = null;
    try {
      lib = ECharts.get();
      model.put("echarts_version", lib.version());
    } catch (ProvisioningException e) {
      model.put("charts_missing", e.getMessage());
    }
    StringBuilder sb = new StringBuilder(1_300_000);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
        .append("script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
        .append(escapeText(model.path("title").asText("Argus report"))).append("</title>\n<style>\n").append(CSS)
        .append("</style>\n");
    if (lib != null) {
      sb.append("<script>\n/* Apache ECharts ").append(lib.version()).append(", Apache License 2.0.\n")
          .append(lib.notice().replace("*/", "* /")).append("*/\n").append(lib.script()).append("\n</script>\n");
    }
    sb.append("</head>\n<body>\n<main id=\"argus-main\"></main>\n")
        .append("<script type=\"application/json\" id=\"argus-data\">").append(scriptSafeJson(model))
        .append("</script>\n<script>\n").append(JS).append("</script>\n</body></html>\n");
    return sb.toString();
  }

  /**
   * @param model a JSON tree
   * @return compact JSON in which {@code <}, {@code >}, {@code &}, U+2028 and U+2029 are {@code
   *     \\uXXXX} escapes (they can only occur inside strings, so the JSON means the same), safe
   *     inside a {@code <script>} element
   */
  static String scriptSafeJson(ObjectNode model) {
    String json;
    try {
      json = ReportJson.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(model);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the page model: " + e.getMessage(), e);
    }
    StringBuilder sb = new StringBuilder(json.length() + 64);
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      switch (c) {
        case '<' -> sb.append("\\u003c");
        case '>' -> sb.append("\\u003e");
        case '&' -> sb.append("\\u0026");
        case '\u2028' -> sb.append("\\u2028");
        case '\u2029' -> sb.append("\\u2029");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /** @return {@code s} with the HTML-special characters as character references */
  static String escapeText(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String resource(String name) {
    try (InputStream in = HtmlPage.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing next to " + HtmlPage.class.getName());
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + name + ": " + e.getMessage(), e);
    }
  }
}
