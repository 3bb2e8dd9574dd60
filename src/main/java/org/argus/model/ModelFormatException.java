package org.argus.model;

import org.argus.ArgusException;

/**
 * A model file (ONNX, TF.js layers JSON, weight shards) is malformed, truncated, inconsistent, or
 * uses a construct Argus does not support. The message names the file or layer, what was found and
 * what would be valid.
 */
public class ModelFormatException extends ArgusException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong, where, and what would be valid */
  public ModelFormatException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong, where, and what would be valid
   * @param cause the parser's or reader's exception
   */
  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
