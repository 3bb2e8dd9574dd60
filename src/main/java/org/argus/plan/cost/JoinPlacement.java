package org.argus.plan.cost;

/**
 * Where the structured table is joined with the images (Vista §4.2 "join placement").
 */
public enum JoinPlacement {
  /** No structured table: images only. */
  NONE,
  /** Join first, then run inference on the joined rows (the structured columns ride along every stage). */
  BEFORE_INFERENCE,
  /** Run inference on the images, join each layer's features with the structured table. */
  AFTER_INFERENCE;

  /**
   * @param text {@code before}, {@code after} or {@code none} (or the enum name)
   * @return the placement
   * @throws IllegalArgumentException naming the text and the valid values
   */
  public static JoinPlacement parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    return switch (t) {
      case "before", "before_inference" -> BEFORE_INFERENCE;
      case "after", "after_inference" -> AFTER_INFERENCE;
      case "none" -> NONE;
      default -> throw new IllegalArgumentException(
          "unknown join placement '" + text + "'; valid: before, after, none");
    };
  }
}
