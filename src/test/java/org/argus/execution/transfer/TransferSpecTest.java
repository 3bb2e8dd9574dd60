package org.argus.execution.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.NaiveBayes;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.junit.jupiter.api.Test;

/** The cross-validation part of {@link TransferSpec.Builder}: folds, metric, param grid binding and checks (no Spark). */
class TransferSpecTest {
  static TransferSpec.Builder base() {
    return TransferSpec.builder().setFashionMnist(10, 10).setModel("mobilenet_v2").setTopLayers(1);
  }

  static String error(TransferSpec.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void withoutFoldsOrGridThereIsNoCrossValidation() {
    TransferSpec s = base().build();
    assertFalse(s.crossValidates());
    assertEquals(0, s.folds());
    assertTrue(s.paramGrid().isEmpty());
  }

  @Test
  void oneFoldIsRejectedSayingWhatIsValid() {
    String m = error(base().optFolds(1));
    assertTrue(m.contains("≥ 2") && m.contains("found 1"), m);
  }

  @Test
  void anUnknownMetricIsRejectedListingTheValidOnes() {
    String m = error(base().optFolds(2).optCvMetric("auc"));
    assertTrue(m.contains("'auc'") && m.contains("accuracy, f1"), m);
  }

  @Test
  void aGridBuiltOnAnotherInstanceIsBoundToTheLearnerAndDefaultsToThreeFolds() {
    LogisticRegression learner = new LogisticRegression();
    ParamMap[] grid = new ParamGridBuilder()
        .addGrid(new LogisticRegression().regParam(), new double[] {0.01, 0.1}).build();
    TransferSpec s = base().optLearner(learner).optParamGrid(grid).build();
    assertEquals(3, s.folds());
    assertEquals(2, s.paramGrid().size());
    for (ParamMap point : s.paramGrid()) {
      ParamPair<?> pair = point.toList().get(0);
      assertEquals(learner.uid(), pair.param().parent());
      assertEquals("regParam", pair.param().name());
    }
  }

  @Test
  void aGridParamTheLearnerDoesNotHaveIsRejectedListingItsParams() {
    ParamMap point = ParamMap.empty().put(new NaiveBayes().smoothing(), 1.0);
    String m = error(base().optLearner(new LogisticRegression()).optParamGrid(point));
    assertTrue(m.contains("LogisticRegression has no param 'smoothing'") && m.contains("regParam")
        && m.contains("elasticNetParam"), m);
  }

  @Test
  void aGridMayNotVaryAColumnFeatureTransferWires() {
    LogisticRegression lr = new LogisticRegression();
    String m = error(base().optLearner(lr).optParamGrid(ParamMap.empty().put(lr.featuresCol(), "x")));
    assertTrue(m.contains("'featuresCol'") && m.contains("cannot be varied"), m);
  }

  @Test
  void aGridValueTheLearnersParamRejectsIsNamedWithTheParamsDoc() {
    // a param of the same name without a validator (ParamMap.put checks the value against its own param)
    DoubleParam unchecked = new DoubleParam("elsewhere", "regParam", "no validator");
    String m = error(base().optLearner(new LogisticRegression()).optParamGrid(ParamMap.empty().put(unchecked, -1.0)));
    assertTrue(m.contains("regParam value -1.0 is not valid") && m.contains("regularization"), m);
  }

  @Test
  void aGridValueOfTheWrongTypeIsNamedWithTheExpectedType() {
    LogisticRegression lr = new LogisticRegression();
    String m = error(base().optLearner(lr).optParamGrid(ParamMap.empty().put(lr.maxIter(), 1.5)));
    assertTrue(m.contains("maxIter value 1.5 is a Double, expected a Integer"), m);
  }
}
