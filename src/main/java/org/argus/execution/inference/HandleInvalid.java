package org.argus.execution.inference;

import java.util.Locale;

/**
 * What the inference kernel does with a row whose input cannot be fed to the graph (a null,
 * undecodable or malformed image, an activation or vector of the wrong length), as Spark ML's own
 * {@code handleInvalid} params: the reason is the same string on every surface.
 */
public enum HandleInvalid {
  /** Fail the task (and the job) with a message naming the row and the reason. */
  ERROR,
  /** Drop the row and count it. */
  SKIP,
  /** Keep the row with null outputs and the reason in a string column; count it. */
  KEEP;

  /** The Spark ML param values, in order: {@code error}, {@code skip}, {@code keep}. */
  public static final String[] NAMES = {"error", "skip", "keep"};

  /** @return the param value: {@code error}, {@code skip} or {@code keep} */
  public String paramValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param text {@code error}, {@code skip} or {@code keep} (case-insensitive)
   * @return the mode
   * @throws IllegalArgumentException naming the text and the valid values
   */
  public static HandleInvalid parse(String text) {
    for (HandleInvalid h : values()) {
      if (h.paramValue().equalsIgnoreCase(String.valueOf(text).trim())) {
        return h;
      }
    }
    throw new IllegalArgumentException("unknown handleInvalid '" + text + "'; valid: error, skip, keep");
  }
}
