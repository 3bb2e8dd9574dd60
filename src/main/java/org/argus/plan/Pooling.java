package org.argus.plan;

import java.util.Locale;

/**
 * How a conv layer's activation {@code [C, H, W]} is reduced to a feature vector before the
 * downstream model sees it.
 *
 * <ul>
 *   <li>{@code none}: the activation flattened, {@code C·H·W} floats (channel-major).
 *   <li>{@code avg} / {@code max}: global average / max pooling, {@code C} floats.
 *   <li>{@code avg:K} / {@code max:K}: average / max over a {@code K×K} grid of bins, {@code C·K·K}
 *       floats, ordered {@code [c][i][j]}. Bin {@code i} covers rows {@code [⌊i·H/K⌋, ⌈(i+1)·H/K⌉)}
 *       (adaptive pooling, as PyTorch's {@code AdaptiveMaxPool2d}), so every row and column belongs
 *       to some bin even when {@code K} does not divide {@code H}.
 * </ul>
 *
 * <p>Vista's default is {@code max:2} (Nakandala et al., "Vista", SIGMOD 2020, §5 setup: "max
 * pooling to a 2×2 grid"). Its published code computed each 2×2 bin's max over the last row only;
 * this implementation takes the max over every row and column of the bin.
 *
 * @param mode reduction
 * @param grid grid side {@code K} (1 for global pooling, 0 for {@code none})
 */
public record Pooling(Mode mode, int grid) implements java.io.Serializable {

  /** Reduction applied per bin. */
  public enum Mode {
    NONE,
    AVG,
    MAX
  }

  /** Vista's default: max to a 2×2 grid. */
  public static final Pooling VISTA_DEFAULT = new Pooling(Mode.MAX, 2);

  /** @throws IllegalArgumentException for a grid below 1 (or not 0 with {@code NONE}) */
  public Pooling {
    if (mode == Mode.NONE ? grid != 0 : grid < 1) {
      throw new IllegalArgumentException(
          "pooling grid must be ≥ 1 for avg/max and 0 for none, found " + mode + " grid " + grid);
    }
  }

  /**
   * Parses {@code none}, {@code avg}, {@code max}, {@code avg:K}, {@code max:K}.
   *
   * @throws IllegalArgumentException naming the text and the valid forms
   */
  public static Pooling parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    String valid = "valid: none, avg, max, avg:K, max:K (K ≥ 1, e.g. max:2)";
    if (t.equals("none")) {
      return new Pooling(Mode.NONE, 0);
    }
    String[] p = t.split(":");
    Mode m;
    if (p[0].equals("avg")) {
      m = Mode.AVG;
    } else if (p[0].equals("max")) {
      m = Mode.MAX;
    } else {
      throw new IllegalArgumentException("unknown pooling '" + text + "'; " + valid);
    }
    if (p.length == 1) {
      return new Pooling(m, 1);
    }
    try {
      int k = Integer.parseInt(p[1]);
      if (p.length == 2 && k >= 1) {
        return new Pooling(m, k);
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException("unknown pooling '" + text + "'; " + valid);
  }

  /**
   * @param channels {@code C}
   * @param height {@code H} of the activation (ignored for non-spatial layers)
   * @param width {@code W}
   * @return floats per example after pooling
   */
  public int outputDim(int channels, int height, int width) {
    return switch (mode) {
      case NONE -> channels * height * width;
      default -> channels * grid * grid;
    };
  }

  /**
   * Pools one example.
   *
   * @param src activations, {@code [C, H, W] float32} channel-major starting at {@code offset}
   * @param offset start of the example in {@code src}
   * @param c channels
   * @param h height (a grid larger than {@code h} or {@code w} repeats rows/columns)
   * @param w width
   * @param dst output of {@link #outputDim} floats, written from {@code dstOffset}
   * @param dstOffset start in {@code dst}
   */
  public void apply(float[] src, int offset, int c, int h, int w, float[] dst, int dstOffset) {
    if (mode == Mode.NONE) {
      System.arraycopy(src, offset, dst, dstOffset, c * h * w);
      return;
    }
    int k = grid;
    int o = dstOffset;
    for (int ch = 0; ch < c; ch++) {
      int base = offset + ch * h * w;
      for (int i = 0; i < k; i++) {
        int r0 = binStart(i, h, k);
        int r1 = binEnd(i, h, k);
        for (int j = 0; j < k; j++) {
          int c0 = binStart(j, w, k);
          int c1 = binEnd(j, w, k);
          float acc = mode == Mode.MAX ? Float.NEGATIVE_INFINITY : 0f;
          for (int r = r0; r < r1; r++) {
            int row = base + r * w;
            for (int col = c0; col < c1; col++) {
              float v = src[row + col];
              acc = mode == Mode.MAX ? Math.max(acc, v) : acc + v;
            }
          }
          dst[o++] = mode == Mode.MAX ? acc : acc / ((r1 - r0) * (c1 - c0));
        }
      }
    }
  }

  /**
   * @param i bin index along an axis, {@code 0 ≤ i < k}
   * @param size the axis' length ({@code H} or {@code W})
   * @param k bins along the axis
   * @return the bin's first row (column): {@code ⌊i·size/k⌋}
   */
  public static int binStart(int i, int size, int k) {
    return (i * size) / k;
  }

  /**
   * @param i bin index along an axis, {@code 0 ≤ i < k}
   * @param size the axis' length ({@code H} or {@code W})
   * @param k bins along the axis
   * @return one past the bin's last row (column): {@code max(⌊i·size/k⌋ + 1, ⌈(i+1)·size/k⌉)}
   */
  public static int binEnd(int i, int size, int k) {
    return Math.max(binStart(i, size, k) + 1, ceilDiv((i + 1) * size, k));
  }

  private static int ceilDiv(int a, int b) {
    return -Math.floorDiv(-a, b);
  }

  /** @return the parseable form: {@code none}, {@code avg}, {@code max:2}, … */
  @Override
  public String toString() {
    if (mode == Mode.NONE) {
      return "none";
    }
    String m = mode.name().toLowerCase(Locale.ROOT);
    return grid == 1 ? m : m + ":" + grid;
  }
}
