package org.argus.execution;

import java.util.function.LongSupplier;

/**
 * Receives progress of long Spark work so a surface (the CLI) can print stage, count, rate and ETA.
 * The execution layer only reports; it prints nothing itself.
 */
public interface ProgressSink {
  /** A sink that ignores everything. */
  ProgressSink SILENT =
      new ProgressSink() {
        @Override
        public void begin(String stage, long total, String unit, LongSupplier done) {}

        @Override
        public void end(String stage, String summary) {}
      };

  /**
   * A unit of work starts.
   *
   * @param stage what runs, e.g. {@code stage 2/4 block_13_expand_relu}
   * @param total units to do ({@code -1} if unknown)
   * @param unit the unit's name, e.g. {@code images}
   * @param done units done so far; may be polled from another thread
   */
  void begin(String stage, long total, String unit, LongSupplier done);

  /**
   * The unit of work ended.
   *
   * @param stage as given to {@link #begin}
   * @param summary one line, e.g. {@code 5000 images in 12.1 s (413 images/s)}
   */
  void end(String stage, String summary);
}
