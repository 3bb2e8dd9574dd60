package org.argus.plan.cost;

/** How the structured table is joined (Vista §4.2 "join strategy": broadcast vs shuffle). */
public enum JoinStrategy {
  /** No join. */
  NONE,
  /** The structured table is broadcast to every executor (hash join without a shuffle). */
  BROADCAST,
  /** Both sides are shuffled by id (sort-merge / shuffled hash join). */
  SHUFFLE;

  /**
   * @param text {@code broadcast}, {@code shuffle} or {@code none}
   * @return the strategy
   * @throws IllegalArgumentException naming the text and the valid values
   */
  public static JoinStrategy parse(String text) {
    String t = text.trim().toUpperCase(java.util.Locale.ROOT);
    for (JoinStrategy s : values()) {
      if (s.name().equals(t)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown join strategy '" + text + "'; valid: broadcast, shuffle, none");
  }
}
