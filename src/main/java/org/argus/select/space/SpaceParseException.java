package org.argus.select.space;

/** A search-space string could not be parsed; {@link #position()} is the 0-based character index. */
public final class SpaceParseException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final int position;

  SpaceParseException(String text, int position, String what) {
    super(
        "search space: "
            + what
            + " at position "
            + position
            + "\n  "
            + text
            + "\n  "
            + " ".repeat(Math.max(0, position))
            + "^");
    this.position = position;
  }

  /** @return the 0-based index of the offending character in the input */
  public int position() {
    return position;
  }
}
