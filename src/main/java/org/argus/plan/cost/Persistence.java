package org.argus.plan.cost;

/**
 * How a materialized layer is held (Vista §4.2 "persistence format": deserialized vs serialized,
 * memory vs disk). Names are Spark's {@code StorageLevel} names.
 */
public enum Persistence {
  /** Deserialized in memory, spill to disk when storage memory runs out. */
  MEMORY_AND_DISK,
  /** Serialized in memory (smaller, costs CPU to read), spill to disk. */
  MEMORY_AND_DISK_SER,
  /** Disk only: nothing held on the heap beyond the block being written. */
  DISK_ONLY;

  /**
   * @param text a Spark storage level name, e.g. {@code MEMORY_AND_DISK_SER} (any case, {@code -} or {@code _})
   * @return the persistence
   * @throws IllegalArgumentException naming the text and the valid names
   */
  public static Persistence parse(String text) {
    String t = text.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    for (Persistence p : values()) {
      if (p.name().equals(t)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown persistence '" + text + "'; valid: MEMORY_AND_DISK, MEMORY_AND_DISK_SER, DISK_ONLY");
  }
}
