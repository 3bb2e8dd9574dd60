package org.argus.execution.transfer;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.plan.Pooling;

/**
 * Every (layer, pooling) feature column of a transfer run, materialized once by the optimizer's plan
 * ({@link FeatureTransfer#materialize()}) and held in one persisted table for fused model selection
 * (Vista's features, read by every config of a Cerebro run).
 *
 * @param rows the table (read from {@code cached}), one row per image that survived the
 *     quarantine and the join: {@link #ID} (the user's id), {@link #SPLIT} ({@code train} or
 *     {@code test}), {@link #LABEL} (double class index), the structured columns {@link
 *     #structuredCols()} (double), then each feature column as {@code array<float>}
 * @param cached the persisted data {@code rows} reads: the plan's top query (or its join with the
 *     structured table), kept by the plan's persistence level until {@link #unpersist()}
 * @param columns the feature columns, bottom layer first, poolings in the spec's order
 * @param structuredCols the structured feature columns' names in {@code rows}, in the spec's order
 *     (empty without a table)
 * @param structuredNames the user's names of those columns
 * @param numClasses labels' max index + 1
 * @param counts row counts of the read, join and quarantine
 * @param inferenceSeconds wall seconds of the plan's inference queries (calibration excluded)
 * @param seconds wall seconds of the whole materialization (reading excluded; inference, int8
 *     calibration, projections and the final join included)
 * @param measured task metrics and storage of the materialization phases (EXPLAIN ANALYZE)
 * @param notes what input handling and precision did, one line each
 */
public record MaterializedFeatures(
    Dataset<Row> rows,
    Dataset<Row> cached,
    List<FeatureColumn> columns,
    List<String> structuredCols,
    List<String> structuredNames,
    int numClasses,
    TransferResult.Counts counts,
    double inferenceSeconds,
    double seconds,
    TransferResult.Measured measured,
    List<String> notes) {

  /** The id column of {@link #rows()}. */
  public static final String ID = Columns.ID;
  /** The split column of {@link #rows()}: {@code train} or {@code test}. */
  public static final String SPLIT = Columns.SPLIT;
  /** The label column of {@link #rows()}: a double class index. */
  public static final String LABEL = Columns.LABEL;

  /** Copies the lists. */
  public MaterializedFeatures {
    columns = List.copyOf(columns);
    structuredCols = List.copyOf(structuredCols);
    structuredNames = List.copyOf(structuredNames);
    notes = List.copyOf(notes);
  }

  /**
   * One materialized feature column.
   *
   * @param layer the CNN layer
   * @param pooling its reduction
   * @param column the column in {@link MaterializedFeatures#rows()}
   * @param dim floats per row ({@code array<float>} of this length)
   * @param precision the precision the CNN ran in ({@code fp32} or {@code int8})
   */
  public record FeatureColumn(String layer, Pooling pooling, String column, int dim, String precision)
      implements java.io.Serializable {
    /** A column of an fp32 CNN. */
    public FeatureColumn(String layer, Pooling pooling, String column, int dim) {
      this(layer, pooling, column, dim, "fp32");
    }
  }

  /**
   * @param layerIndex the layer's index in the run, bottom first
   * @param poolingIndex the pooling's index in the spec
   * @return the column name of that feature column: {@code f<layer>_p<pooling>}
   */
  static String column(int layerIndex, int poolingIndex) {
    return "f" + layerIndex + "_p" + poolingIndex;
  }

  /** Drops the persisted data. */
  public void unpersist() {
    cached.unpersist(false);
  }
}
