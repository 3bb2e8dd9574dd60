package org.argus.plan.cost;

/**
 * The logical plans of multi-layer feature transfer (Vista, Nakandala &amp; Kumar, SIGMOD 2020, §4.1).
 */
public enum LogicalPlan {
  /** Each layer computed from the pixels by its own query (cut {@code input → lᵢ}); nothing shared. */
  LAZY,
  /** One pass to the top layer emitting every requested layer; all layers materialized and held together. */
  EAGER,
  /** Layer {@code lᵢ₊₁} computed from the materialized {@code lᵢ}; at most two stages held. */
  STAGED;

  /** @return the lower-case name used by the CLI ({@code lazy}, {@code eager}, {@code staged}) */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * @param text {@code lazy}, {@code eager} or {@code staged} (any case)
   * @return the plan
   * @throws IllegalArgumentException naming the text and the valid names
   */
  public static LogicalPlan parse(String text) {
    for (LogicalPlan p : values()) {
      if (p.cliName().equalsIgnoreCase(text.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown plan '" + text + "'; valid: lazy, eager, staged");
  }
}
