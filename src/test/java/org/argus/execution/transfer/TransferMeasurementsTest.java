package org.argus.execution.transfer;

import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.classification.LogisticRegression;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.plan.cost.PhysicalPlan;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * A run records, per phase (each inference query of the plan, each layer's training), Spark's task
 * metrics — tasks, peak execution memory, spill — and the bytes held, and prints them next to the
 * cost model's estimates (EXPLAIN ANALYZE).
 */
class TransferMeasurementsTest {
  @Test
  void everyStageOfTheStagedPlanAndEveryTrainingHasItsTaskMetricsNextToTheEstimates() throws Exception {
    TransferSpec spec = TransferSpec.builder()
        .setFashionMnist(40, 20)
        .setModel("mobilenet_v2")
        .optInputSize(64)
        .setLayers(List.of("block_1_expand_relu", "block_3_expand_relu"))
        .optLearner(new LogisticRegression().setMaxIter(3))
        .optOverrides(Overrides.NONE.withPlan(LogicalPlan.STAGED))
        .build();
    TransferResult r = FeatureTransfer.prepare(SparkTestSession.get(), spec, ProgressSink.SILENT).run();
    PhysicalPlan p = r.decision().chosen();
    List<TransferResult.PhaseMetrics> phases = r.measured().phases();
    assertEquals(List.of(
            "stage 1/2 input_1 → block_1_expand_relu", "train block_1_expand_relu",
            "stage 2/2 block_1_expand_relu → block_3_expand_relu", "train block_3_expand_relu"),
        phases.stream().map(TransferResult.PhaseMetrics::label).toList());
    assertEquals(p.stages().size(), phases.stream().filter(TransferResult.PhaseMetrics::inference).count());
    for (TransferResult.PhaseMetrics m : phases) {
      assertTrue(m.tasks() > 0, m.toString());
      // 60 small images in a 6 GiB heap: nothing may spill (a wrong persistence or a leak would)
      assertEquals(0, m.memoryBytesSpilled(), m.toString());
      assertEquals(0, m.diskBytesSpilled(), m.toString());
      assertTrue(m.seconds() > 0, m.toString());
      if (m.inference()) {
        // the stage's output is persisted: at least its 60 rows of pooled features (4 bytes a value)
        long dim = m.label().endsWith("block_1_expand_relu") ? 96 * 4 : 144 * 4;
        assertTrue(m.heldBytes() >= 60 * dim * 4, m.toString());
        assertTrue(m.tasks() >= p.partitions(), m + " vs " + p.partitions() + " partitions");
      } else {
        assertEquals(-1, m.heldBytes(), m.toString());
      }
    }
    assertTrue(phases.stream().filter(m -> !m.inference()).allMatch(m -> m.peakExecutionMemoryBytes() > 0),
        "training aggregates in execution memory: " + phases);
    String text = r.estimatedVsMeasured();
    System.out.print(text);
    for (TransferResult.PhaseMetrics m : phases) {
      assertTrue(text.contains("  " + m.label() + "\n"), text);
    }
    assertEquals(p.stages().size(), text.split("est\\.  task heap", -1).length - 1, text);
    assertTrue(text.contains("run: est. peak heap/executor"), text);
    assertEquals(r.measured().materializedBytes(),
        phases.stream().mapToLong(TransferResult.PhaseMetrics::heldBytes).max().orElseThrow(),
        "the run's max held is the largest held at a phase end");
  }
}
