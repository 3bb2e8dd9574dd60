package org.argus.data.image;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

/**
 * The outcome of reading an image folder: decoded images and quarantined files, both derived from
 * one persisted DataFrame in which every file was decoded exactly once. Bad files never vanish:
 * {@code counts().read() == counts().decoded() + counts().quarantined()}. Call {@link #close()}
 * (or {@link #unpersist()}) when done to release the cached decode.
 */
public final class ImageReadResult implements AutoCloseable {
  private final Dataset<Row> all;
  private final LongAccumulator decodes;

  /**
   * @param all the persisted per-file DataFrame
   * @param decodes counts the decoder calls made computing {@code all}
   */
  ImageReadResult(Dataset<Row> all, LongAccumulator decodes) {
    this.all = Objects.requireNonNull(all, "all");
    this.decodes = Objects.requireNonNull(decodes, "decodes");
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

  /**
   * @return how many times the tasks of finished jobs have decoded a file of this read so far: 0
   *     before the first action, {@code counts().read()} once the persisted decode is computed,
   *     more if it is recomputed (e.g. after {@link #unpersist()} or an evicted block)
   */
  long decodes() {
    return decodes.value();
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
