package org.argus.execution.fusion;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.argus.execution.mop.Example;
import org.argus.execution.transfer.MaterializedFeatures;

/** Materialized feature tables → shard rows holding every view ({@link FeatureViews}). */
final class FeatureRows {
  private FeatureRows() {}

  /**
   * @param m the materialized table
   * @param fused the space's dimensions (pooling names as the configs hold them)
   * @return the row layout: every feature column of {@code m} in its order, then the structured
   *     columns
   */
  static FeatureViews views(MaterializedFeatures m, FusedSpace fused) {
    List<FeatureViews.View> views = new ArrayList<>();
    int at = 0;
    for (MaterializedFeatures.FeatureColumn c : m.columns()) {
      views.add(new FeatureViews.View(c.layer(), fused.nameOf(c.pooling()), at, c.dim()));
      at += c.dim();
    }
    return new FeatureViews(views, m.structuredCols().size());
  }

  /**
   * @param m the materialized table
   * @param split {@code train} or {@code test}
   * @return that split's rows as examples, ordered by id (so the shards do not depend on the plan
   *     or the join's output order): label = the class index, x = every feature column in order,
   *     then the structured columns (lazy: reads {@code m}'s persisted table)
   */
  static JavaRDD<Example> examples(MaterializedFeatures m, String split) {
    List<Column> cols = new ArrayList<>(List.of(col(MaterializedFeatures.LABEL)));
    m.columns().forEach(c -> cols.add(col(c.column())));
    m.structuredCols().forEach(c -> cols.add(col(c).cast("double")));
    int views = m.columns().size();
    int[] dims = m.columns().stream().mapToInt(MaterializedFeatures.FeatureColumn::dim).toArray();
    int xs = m.structuredCols().size();
    return m.rows().filter(col(MaterializedFeatures.SPLIT).equalTo(split)).orderBy(MaterializedFeatures.ID)
        .select(cols.toArray(new Column[0]))
        .javaRDD().map(r -> example(r, views, dims, xs));
  }

  private static Example example(Row r, int views, int[] dims, int xs) {
    int total = xs;
    for (int d : dims) {
      total += d;
    }
    float[] x = new float[total];
    int at = 0;
    for (int v = 0; v < views; v++) {
      List<Object> f = r.getList(1 + v);
      if (f.size() != dims[v]) {
        throw new IllegalStateException("feature column " + v + " has " + f.size() + " floats; expected " + dims[v]);
      }
      for (int i = 0; i < dims[v]; i++) {
        x[at++] = ((Number) f.get(i)).floatValue();
      }
    }
    for (int i = 0; i < xs; i++) {
      x[at++] = (float) r.getDouble(1 + views + i);
    }
    return new Example((int) Math.round(r.getDouble(0)), x);
  }
}
