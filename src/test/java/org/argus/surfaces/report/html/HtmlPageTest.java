package org.argus.surfaces.report.html;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.argus.surfaces.report.ReportJson;
import org.junit.jupiter.api.Test;

/** The page skeleton: the data block cannot be closed by a value, the page loads nothing. */
class HtmlPageTest {
  private static final String HOSTILE = "</script><script>alert(1)</script> & <!-- \u2028 größe";

  @Test
  void theDataBlockHasNoMarkupCharactersAndMeansTheSameJson() throws Exception {
    ObjectNode m = ReportJson.mapper().createObjectNode().put("title", "t").put("config", HOSTILE);
    String json = HtmlPage.scriptSafeJson(m);
    assertFalse(json.contains("<") || json.contains(">") || json.contains("&") || json.contains("\u2028"), json);
    assertEquals(HOSTILE, ReportJson.mapper().readTree(json).path("config").asText());
  }

  @Test
  void aValueCannotEndTheDataBlockOfAPage() {
    String page = HtmlPage.render(ReportJson.mapper().createObjectNode().put("title", HOSTILE).put("config", HOSTILE));
    int data = page.indexOf("<script type=\"application/json\" id=\"argus-data\">");
    int end = page.indexOf("</script>", data);
    assertTrue(page.substring(data, end).contains("\\u003c/script\\u003e"), "escaped inside the block");
    assertFalse(page.contains("<script>alert(1)"), "no live script from a value");
    assertTrue(page.contains("<title>&lt;/script&gt;&lt;script&gt;alert(1)"), "the title is escaped text");
  }

  @Test
  void thePageForbidsEveryNetworkRequestAndInlinesEChartsWithItsNotice() {
    String page = HtmlPage.render(ReportJson.mapper().createObjectNode().put("title", "t"));
    assertTrue(page.contains("content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"));
    assertFalse(page.contains("<script src") || page.contains("<link"), "nothing loaded from elsewhere");
    assertTrue(page.contains("Apache ECharts " + ECharts.VERSION + ", Apache License 2.0."));
    assertTrue(page.contains("Copyright 2017-2026 The Apache Software Foundation"), "the NOTICE");
  }

  @Test
  void configsParseIntoOrderedHyperparameters() {
    assertEquals("{lr=0.01, width=64, act=relu}", SelectionPage.parse("lr=0.01,width=64, act=relu").toString());
    assertEquals("{}", SelectionPage.parse("trial 3").toString());
  }
}
