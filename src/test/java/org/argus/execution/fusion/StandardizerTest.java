package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.argus.execution.mop.Example;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/** Z-scoring fitted on the training rows. */
class StandardizerTest {
  private static JavaRDD<Example> rdd(List<Example> rows, int partitions) {
    return JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext()).parallelize(rows, partitions);
  }

  @Test
  void theFitHoldsEachFeaturesMeanAndInversePopulationStandardDeviation() {
    // feature 0: 1, 3, 5 (mean 3, population variance 8/3); feature 1: constant 2 → invStd 1;
    // 4 partitions for 3 rows: one partition is empty
    Standardizer s = Standardizer.fit(rdd(List.of(new Example(0, new float[] {1, 2}),
        new Example(1, new float[] {3, 2}), new Example(0, new float[] {5, 2})), 4));
    assertArrayEquals(new float[] {3, 2}, s.mean(), 1e-6f);
    assertArrayEquals(new float[] {(float) (1 / Math.sqrt(8.0 / 3)), 1f}, s.invStd(), 1e-6f);
  }

  @Test
  void noTrainingRowsIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Standardizer.fit(rdd(List.of(), 2)));
  }
}
