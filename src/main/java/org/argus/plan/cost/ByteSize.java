package org.argus.plan.cost;

import java.util.Locale;

/** Formats byte counts as EXPLAIN prints them: binary units, one decimal ({@code 12.3 MiB}). */
public final class ByteSize {
  private ByteSize() {}

  /**
   * @param bytes a byte count (≥ 0)
   * @return {@code 512 B}, {@code 1.5 KiB}, {@code 12.3 MiB}, {@code 2.0 GiB} or {@code 1.1 TiB}
   */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
