package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.param.ParamMap;
import org.junit.jupiter.api.Test;

/** {@code argus transfer --grid}: the grid it builds and its errors (no Spark). */
class ParamGridOptionTest {
  private final LogisticRegression lr = new LogisticRegression();

  private String error(String text) {
    return assertThrows(IllegalArgumentException.class, () -> ParamGridOption.parse(text, lr)).getMessage();
  }

  @Test
  void twoListsGiveTheirCartesianProduct() {
    ParamMap[] grid = ParamGridOption.parse("regParam=0.01,0.1; elasticNetParam=0,0.5", lr);
    Set<List<Double>> points = new HashSet<>();
    for (ParamMap p : grid) {
      points.add(List.of((Double) p.apply(lr.regParam()), (Double) p.apply(lr.elasticNetParam())));
    }
    assertEquals(Set.of(List.of(0.01, 0.0), List.of(0.01, 0.5), List.of(0.1, 0.0), List.of(0.1, 0.5)), points);
    assertEquals(4, grid.length);
  }

  @Test
  void intBooleanAndStringParamsParseByTheirType() {
    ParamMap[] grid = ParamGridOption.parse("maxIter=5;standardization=false;family=multinomial", lr);
    assertEquals(1, grid.length);
    assertEquals(5, grid[0].apply(lr.maxIter()));
    assertEquals(false, grid[0].apply(lr.standardization()));
    assertEquals("multinomial", grid[0].apply(lr.family()));
  }

  @Test
  void anUnknownParamIsAnErrorListingTheLearnersParams() {
    String m = error("regParm=0.1");
    assertTrue(m.contains("LogisticRegression has no param 'regParm'") && m.contains("regParam")
        && m.contains("maxIter"), m);
  }

  @Test
  void aValueThatDoesNotParseNamesTheValueAndTheType() {
    String m = error("maxIter=ten");
    assertTrue(m.contains("maxIter value 'ten' is not an int"), m);
    m = error("regParam=0.1,x");
    assertTrue(m.contains("regParam value 'x' is not a double"), m);
    m = error("fitIntercept=yes");
    assertTrue(m.contains("fitIntercept value 'yes' is not a boolean (true or false)"), m);
  }

  @Test
  void aValueTheParamRejectsIsAnErrorWithTheParamsDoc() {
    String m = error("elasticNetParam=2");
    assertTrue(m.contains("elasticNetParam value '2' is not valid") && m.contains("range [0, 1]"), m);
    m = error("family=poisson");
    assertTrue(m.contains("family value 'poisson' is not valid") && m.contains("multinomial"), m);
  }

  @Test
  void aMalformedEntryOrARepeatedParamIsAnError() {
    assertTrue(error("regParam").contains("expected NAME=V1,V2"), error("regParam"));
    assertTrue(error("regParam=0.1;regParam=1").contains("given twice"), error("regParam=0.1;regParam=1"));
  }

  @Test
  void anArrayParamIsRejectedNamingTheSupportedTypes() {
    String m = error("thresholds=0.5");
    assertTrue(m.contains("thresholds is a DoubleArrayParam") && m.contains("supports double"), m);
  }
}
