package org.argus.data.image;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The outcome of reading an image folder: decoded images and quarantined files, both derived from
 * one persisted DataFrame in which every file was decoded exactly once. Bad files never vanish:
 * {@code counts().read() == counts().decoded() + counts().quarantined()}. Call {@link #close()}
 * (or {@link #unpersist()}) when done to release the cached decode.
 */
public final class ImageReadResult implements AutoCloseable {
  private final Dataset<Row> all;

  ImageReadResult(Dataset<Row> all) {
    this.all = Objects.requireNonNull(all, "all");
  }

  /** Per-file counts, computed with one Spark aggregation (no rows reach the driver). */
  public record Counts(long read, long decoded, long quarantined) {}

  /**
   * @return {@code (path string, label string nullable, image ImageSchema struct)}, one row per
   *     decoded file; {@code image.origin} = {@code path}
   */
  public Dataset<Row> decoded() {
    return all.filter(col("reason").isNull()).select("path", "label", "image");
  }

  /**
   * @return {@code (path string, label string nullable, reason string)}, one row per rejected file
   */
  public Dataset<Row> quarantine() {
    return all.filter(col("reason").isNotNull()).select("path", "label", "reason");
  }

  /**
   * @return the persisted per-file DataFrame {@code (path, label, image nullable, reason
   *     nullable)}; exactly one of image and reason is set in each row
   */
  public Dataset<Row> all() {
    return all;
  }

  /** @return files read, decoded and quarantined, counted in one Spark job */
  public Counts counts() {
    Row r =
        all.agg(count(lit(1)).as("read"), count(col("image")), count(col("reason"))).first();
    return new Counts(r.getLong(0), r.getLong(1), r.getLong(2));
  }

  /** Releases the cached decode (non-blocking). The DataFrames stay usable (they recompute). */
  public void unpersist() {
    all.unpersist(false);
  }

  /** Same as {@link #unpersist()}. */
  @Override
  public void close() {
    unpersist();
  }
}
