package org.argus.execution.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.argus.execution.ProgressSink;
import org.argus.plan.Pooling;
import org.argus.plan.cost.LogicalPlan;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * {@link FeatureTransfer#materialize()} on the real MobileNetV2 (64²) and real Fashion-MNIST: lazy,
 * eager and staged plans carry every (layer, pooling) column into one table, with equal features
 * — the staged plan included where a layer falls back to a cut from the pixels.
 */
class MaterializeTest {
  /**
   * @param m a materialized table (collected: small tables only)
   * @return id → every feature column's values, in column order (each checked against its dim)
   */
  static Map<Long, List<float[]>> features(MaterializedFeatures m) {
    Map<Long, List<float[]>> rows = new TreeMap<>();
    List<String> cols = new ArrayList<>(List.of(MaterializedFeatures.ID));
    m.columns().forEach(c -> cols.add(c.column()));
    for (Row r : m.rows().selectExpr(cols.toArray(new String[0])).collectAsList()) {
      List<float[]> f = new ArrayList<>();
      for (int i = 1; i < r.size(); i++) {
        List<Float> l = r.getList(i);
        float[] a = new float[l.size()];
        for (int j = 0; j < a.length; j++) {
          a[j] = l.get(j);
        }
        assertEquals(m.columns().get(i - 1).dim(), a.length);
        f.add(a);
      }
      rows.put(r.getLong(0), f);
    }
    return rows;
  }

  @Test
  void everyPlanMaterializesTheSameFeatureColumns() throws org.argus.ArgusException {
    Map<LogicalPlan, Map<Long, List<float[]>>> byPlan = new TreeMap<>();
    for (LogicalPlan p : LogicalPlan.values()) {
      TransferSpec spec = FeatureTransferTest.base(p).optPoolings(List.of(Pooling.parse("max:2"), Pooling.parse("avg")))
          .build();
      MaterializedFeatures m = FeatureTransfer.prepare(SparkTestSession.get(), spec, ProgressSink.SILENT).materialize();
      try {
        assertEquals(4, m.columns().size(), m.columns().toString());
        assertEquals(List.of("block_2_expand_relu", "block_2_expand_relu", "block_2_add", "block_2_add"),
            m.columns().stream().map(MaterializedFeatures.FeatureColumn::layer).toList());
        Map<Long, List<float[]>> rows = features(m);
        assertEquals(200, rows.size());
        byPlan.put(p, rows);
      } finally {
        m.unpersist();
      }
    }
    Map<Long, List<float[]>> eager = byPlan.get(LogicalPlan.EAGER);
    for (LogicalPlan p : List.of(LogicalPlan.LAZY, LogicalPlan.STAGED)) {
      for (Map.Entry<Long, List<float[]>> e : byPlan.get(p).entrySet()) {
        for (int c = 0; c < 4; c++) {
          assertArrayEquals(eager.get(e.getKey()).get(c), e.getValue().get(c), 1e-4f, p + " id " + e.getKey() + " column " + c);
        }
      }
    }
  }
}
