package org.argus.execution.inference;

import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.sql.Row;

/**
 * Fills float32 batches from rows for the executor-side passes that run a graph outside an {@link
 * InferenceStage} (calibration, the int8 accuracy guard): rows whose input is invalid are skipped
 * (they were counted, quarantined or refused by the surface that owns the rows).
 */
final class ExampleBatches {
  private ExampleBatches() {}

  /**
   * A batch of examples.
   *
   * @param values {@code examples · floatsPerExample} float32 values, batch first
   * @param examples examples in the batch (≥ 1)
   */
  record Batch(float[] values, int examples) {}

  /**
   * @param rows the partition's rows
   * @param source what fills an example from a row
   * @param size the most examples per batch
   * @return the next batch, or null when the rows hold no further valid example
   */
  static Batch next(Iterator<Row> rows, TensorSource source, int size) {
    int per = source.floatsPerExample();
    float[] buf = new float[size * per];
    int n = 0;
    while (n < size && rows.hasNext()) {
      if (source.fill(rows.next(), buf, n * per) == null) {
        n++;
      }
    }
    if (n == 0) {
      return null;
    }
    return new Batch(n == size ? buf : Arrays.copyOf(buf, n * per), n);
  }
}
