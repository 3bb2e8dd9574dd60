package org.argus.execution.fusion;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.InternalRow;
import org.argus.execution.mop.Example;
import org.argus.execution.transfer.MaterializedFeatures;

/** Materialized feature tables → shard rows holding every view ({@link FeatureViews}). */
public final class FeatureRows {
  private FeatureRows() {}

  /**
   * @param m the materialized table
   * @param fused the space's dimensions (pooling names as the configs hold them)
   * @return the row layout: every feature column of {@code m} in its order, then the structured
   *     columns
   */
  public static FeatureViews views(MaterializedFeatures m, FusedSpace fused) {
    List<FeatureViews.View> views = new ArrayList<>();
    int at = 0;
    for (MaterializedFeatures.FeatureColumn c : m.columns()) {
      views.add(new FeatureViews.View(c.layer(), fused.nameOf(c.pooling()), at, c.dim(), c.precision()));
      at += c.dim();
    }
    return new FeatureViews(views, m.structuredCols().size());
  }

  /**
   * Several CNNs' (or one CNN's several precisions') materialized tables as one: the first's id,
   * split, label and structured columns, then every table's feature columns in order, joined on the
   * id (inner: a row every CNN kept). Feature columns are renamed {@code m<i>_<column>} and, when
   * {@code models} names a table's CNN, their layers qualified {@code LAYER@MODEL} ({@link
   * FeatureViews#qualified}); each keeps its precision. Nothing is computed until the rows are read.
   *
   * @param models per table, the CNN's name to qualify its layers with, or null to leave them as
   *     they are (one CNN in several precisions)
   * @param each their tables, in the same order (each persisted; the caller unpersists them)
   * @return the joined table: {@link MaterializedFeatures#cached()} is the first's; counts,
   *     measurements and class count are the first's, seconds and inference seconds the sums
   */
  public static MaterializedFeatures joined(List<String> models, List<MaterializedFeatures> each) {
    MaterializedFeatures first = each.get(0);
    List<MaterializedFeatures.FeatureColumn> columns = new ArrayList<>();
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> rows = null;
    double seconds = 0;
    double inference = 0;
    List<String> notes = new ArrayList<>();
    for (int i = 0; i < each.size(); i++) {
      MaterializedFeatures m = each.get(i);
      List<Column> cols = new ArrayList<>(List.of(col(MaterializedFeatures.ID)));
      if (i == 0) {
        cols.add(col(MaterializedFeatures.SPLIT));
        cols.add(col(MaterializedFeatures.LABEL));
        m.structuredCols().forEach(c -> cols.add(col(c)));
      }
      for (MaterializedFeatures.FeatureColumn c : m.columns()) {
        String renamed = "m" + i + "_" + c.column();
        cols.add(col(c.column()).as(renamed));
        String layer = models.get(i) == null ? c.layer() : FeatureViews.qualified(c.layer(), models.get(i));
        columns.add(new MaterializedFeatures.FeatureColumn(layer, c.pooling(), renamed, c.dim(), c.precision()));
      }
      org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> part = m.rows().select(cols.toArray(new Column[0]));
      rows = rows == null ? part : rows.join(part, MaterializedFeatures.ID);
      seconds += m.seconds();
      inference += m.inferenceSeconds();
      String precision = m.columns().get(0).precision();
      String model = ((models.get(i) == null ? "" : models.get(i)) + ("fp32".equals(precision) ? "" : " " + precision))
          .trim();
      m.notes().forEach(n -> notes.add(model + ": " + n));
    }
    return new MaterializedFeatures(rows, first.cached(), columns, first.structuredCols(), first.structuredNames(),
        first.numClasses(), first.counts(), inference, seconds, first.measured(), notes);
  }

  /**
   * @param m the materialized table
   * @param split {@code train} or {@code test}
   * @return that split's rows as examples, in the table's order (the plan's partitions: a hash of
   *     the id, sorted by id within each; deterministic for a plan): label = the class index, x =
   *     every feature column in order, then the structured columns (lazy: reads {@code m}'s
   *     persisted table)
   */
  public static JavaRDD<Example> examples(MaterializedFeatures m, String split) {
    List<Column> cols = new ArrayList<>(List.of(col(MaterializedFeatures.LABEL)));
    m.columns().forEach(c -> cols.add(col(c.column())));
    m.structuredCols().forEach(c -> cols.add(col(c).cast("double")));
    int views = m.columns().size();
    int[] dims = m.columns().stream().mapToInt(MaterializedFeatures.FeatureColumn::dim).toArray();
    int xs = m.structuredCols().size();
    // read Spark's internal rows: array<float> cells copy out as float[] (a Row would box every value)
    return m.rows().filter(col(MaterializedFeatures.SPLIT).equalTo(split))
        .select(cols.toArray(new Column[0])).queryExecution().toRdd().toJavaRDD()
        .map(r -> example(r, views, dims, xs));
  }

  private static Example example(InternalRow r, int views, int[] dims, int xs) {
    int total = xs;
    for (int d : dims) {
      total += d;
    }
    float[] x = new float[total];
    int at = 0;
    for (int v = 0; v < views; v++) {
      float[] f = r.getArray(1 + v).toFloatArray();
      if (f.length != dims[v]) {
        throw new IllegalStateException("feature column " + v + " has " + f.length + " floats; expected " + dims[v]);
      }
      System.arraycopy(f, 0, x, at, f.length);
      at += f.length;
    }
    for (int i = 0; i < xs; i++) {
      x[at++] = (float) r.getDouble(1 + views + i);
    }
    return new Example((int) Math.round(r.getDouble(0)), x);
  }
}
