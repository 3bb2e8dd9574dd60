package org.argus.surfaces.cli;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.argus.execution.RunningCount;
import org.argus.surfaces.ml.DeepImageFeaturizer;
import org.argus.surfaces.report.FeaturesReport;

/**
 * The Spark side of {@code argus features}: repartitions the image rows, runs the featurizer
 * (which keeps unusable rows with a reason), persists its output once and writes it twice — usable
 * rows to {@code OUT/features}, the rest plus the source's own rejects to {@code OUT/quarantine} —
 * then counts both from what was written, so {@code rowsRead = rowsWritten + quarantined}.
 */
final class FeatureExtraction {
  private FeatureExtraction() {}

  /** Images per inference partition the default partitioning aims at (progress moves per partition). */
  static final int ROWS_PER_PARTITION = 256;

  /**
   * @param spark the session
   * @param in the image rows and the source's quarantine
   * @param f the featurizer: output columns {@code outputColumns()}, {@code handleInvalid=keep}
   * @param layers the layers, in the featurizer's order (become the column names)
   * @param out the run folder
   * @param partitions inference partitions, or null for the default
   * @param progress where the progress lines go
   * @return the report's result document
   * @throws IllegalArgumentException when the inputs hold no row
   */
  static FeaturesReport.Document run(SparkSession spark, FeatureInputs in, DeepImageFeaturizer f,
      List<String> layers, String out, Integer partitions, ConsoleProgress progress) {
    long t0 = System.nanoTime();
    long sourceRejects = in.quarantine() == null ? 0 : in.quarantine().count();
    long rows = in.rows().count();
    if (rows == 0) {
      throw new IllegalArgumentException("no image to featurize in " + in.source() + " (" + sourceRejects
          + " quarantined by the reader)");
    }
    int p = partitions != null ? partitions : (int) Math.min(rows,
        Math.max(2L * spark.sparkContext().defaultParallelism(), (rows + ROWS_PER_PARTITION - 1) / ROWS_PER_PARTITION));
    progress.step(String.format("[1/3] %s: %d images (+%d rejected by the reader), %d partitions; %s, layers %s, "
        + "%s", in.source(), rows, sourceRejects, p, f.getModelName().isEmpty() ? f.getModelPath() : f.getModelName(),
        layers, f.getPrecision().equals("int8") ? "int8 (calibrating on " + f.getCalibration() + ")" : "fp32"));
    Dataset<Row> featurized = f.transform(in.rows().repartition(p)); // int8: calibrates here
    List<String> cols = f.outputColumns();
    for (int i = 0; i < layers.size(); i++) {
      featurized = featurized.withColumnRenamed(cols.get(i), layers.get(i));
    }
    featurized = featurized.persist(StorageLevel.MEMORY_AND_DISK_SER());
    String reason = f.getInvalidReasonCol();
    List<Column> keep = new ArrayList<>();
    in.keyColumns().forEach(k -> keep.add(col(k)));
    layers.forEach(l -> keep.add(FeaturesCommand.layerColumn(l)));
    String featuresPath = new org.apache.hadoop.fs.Path(out, "features").toString();
    String quarantinePath = new org.apache.hadoop.fs.Path(out, "quarantine").toString();
    String stage = "[2/3] inference + features Parquet";
    // images read by the featurizer's inference, running tasks included (rows written count only at task commit)
    try (RunningCount read = RunningCount.named(spark.sparkContext(),
        org.argus.execution.inference.Counters.stageRowsName(f.uid()))) {
      progress.begin(stage, rows, "images", read::value);
      featurized.filter(col(reason).isNull()).select(keep.toArray(new Column[0]))
          .write().mode("overwrite").parquet(featuresPath);
      double s = (System.nanoTime() - t0) / 1e9;
      progress.end(stage, String.format("%d images in %.1f s (%.1f images/s)", rows, s, rows / Math.max(s, 1e-9)));
    }
    Dataset<Row> q = featurized.filter(col(reason).isNotNull())
        .select(col("id").cast("string").as("id"), col(reason).as("reason"));
    if (in.quarantine() != null) {
      q = q.unionByName(in.quarantine());
    }
    q.write().mode("overwrite").parquet(quarantinePath);
    featurized.unpersist();
    double seconds = (System.nanoTime() - t0) / 1e9;
    progress.step("[3/3] counting what was written");
    Dataset<Row> written = spark.read().parquet(featuresPath);
    long rowsWritten = written.count();
    Map<String, Long> reasons = new LinkedHashMap<>();
    long quarantined = 0;
    for (Row r : spark.read().parquet(quarantinePath).groupBy("reason").count()
        .orderBy(col("count").desc(), col("reason")).collectAsList()) {
      reasons.put(r.getString(0), r.getLong(1));
      quarantined += r.getLong(1);
    }
    Row first = rowsWritten == 0 ? null : written.select(keep.subList(in.keyColumns().size(), keep.size())
        .toArray(new Column[0])).first();
    List<FeaturesReport.Layer> dims = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      int dim = first == null ? 0 : first.get(i) instanceof Vector v ? v.size() : first.getList(i).size();
      dims.add(new FeaturesReport.Layer(layers.get(i), layers.get(i), dim));
    }
    List<String> notes = new ArrayList<>(List.of(p + " inference partitions, batch " + f.getBatchSize()
        + ", " + f.getIntraOpThreads() + " ORT thread(s) per task, input " + f.effectivePreprocessing()));
    if (f.getPrecision().equals("int8")) {
      notes.add("int8: static QDQ, calibrated on " + f.getCalibration());
    }
    return new FeaturesReport.Document(in.source(), f.getModelName().isEmpty() ? f.getModelPath() : f.getModelName(),
        f.getPrecision(), f.getPooling(), dims, featuresPath, quarantinePath, rows + sourceRejects, rowsWritten,
        quarantined, reasons, seconds, rows / Math.max(seconds, 1e-9), notes);
  }
}
