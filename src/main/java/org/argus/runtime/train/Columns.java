package org.argus.runtime.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Which float32 columns of a stored example a trainer reads: ranges {@code [start, start + length)}
 * of the example's row, concatenated in order. A batch is built by copying only these columns
 * ({@code [n, width]} row-major), so a trainer over one view of a wide shard row (a layer's pooled
 * features of a fused run) never copies the other views.
 *
 * @param starts first column of each range ({@code null}: every column, {@link #all})
 * @param lengths columns of each range, {@code >= 1} (parallel to {@code starts})
 */
public record Columns(int[] starts, int[] lengths) implements Serializable {
  private static final Columns ALL = new Columns(null, null);

  /**
   * Copies the arrays; checks they are parallel, non-negative, non-empty ranges.
   *
   * @throws IllegalArgumentException otherwise
   */
  public Columns {
    if ((starts == null) != (lengths == null)) {
      throw new IllegalArgumentException("starts and lengths must both be null (every column) or both set");
    }
    if (starts != null) {
      starts = starts.clone();
      lengths = lengths.clone();
      if (starts.length != lengths.length || starts.length == 0) {
        throw new IllegalArgumentException("columns need as many starts as lengths, at least one; found "
            + Arrays.toString(starts) + " and " + Arrays.toString(lengths));
      }
      for (int i = 0; i < starts.length; i++) {
        if (starts[i] < 0 || lengths[i] < 1) {
          throw new IllegalArgumentException("column range " + i + " [start " + starts[i] + ", length " + lengths[i]
              + "] needs start >= 0 and length >= 1");
        }
      }
    }
  }

  /** @return every column of the row, in order (what a plain trainer reads) */
  public static Columns all() {
    return ALL;
  }

  /** @return whether these are every column of the row */
  public boolean isAll() {
    return starts == null;
  }

  /**
   * @param rowDim floats per stored row
   * @return floats per example the trainer reads
   * @throws IllegalArgumentException if a range ends past {@code rowDim}
   */
  public int width(int rowDim) {
    if (isAll()) {
      return rowDim;
    }
    int w = 0;
    for (int i = 0; i < starts.length; i++) {
      if (starts[i] + lengths[i] > rowDim) {
        throw new IllegalArgumentException("column range [" + starts[i] + ", " + (starts[i] + lengths[i])
            + ") ends past the row's " + rowDim + " floats");
      }
      w += lengths[i];
    }
    return w;
  }

  /**
   * Copies the columns of one row.
   *
   * @param row a stored row ({@code rowDim} floats)
   * @param dst destination
   * @param at first float of {@code dst} to write ({@link #width} floats are written)
   */
  public void copy(float[] row, float[] dst, int at) {
    if (isAll()) {
      System.arraycopy(row, 0, dst, at, row.length);
      return;
    }
    int o = at;
    for (int i = 0; i < starts.length; i++) {
      System.arraycopy(row, starts[i], dst, o, lengths[i]);
      o += lengths[i];
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Columns c && Arrays.equals(starts, c.starts) && Arrays.equals(lengths, c.lengths);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(starts) + Arrays.hashCode(lengths);
  }

  @Override
  public String toString() {
    return isAll() ? "Columns[all]" : "Columns[starts=" + Arrays.toString(starts) + ", lengths="
        + Arrays.toString(lengths) + "]";
  }
}
