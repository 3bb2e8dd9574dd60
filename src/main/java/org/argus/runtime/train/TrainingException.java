package org.argus.runtime.train;

import org.argus.ArgusException;

/** A trainer failed (engine error, corrupt or mismatching state). */
public class TrainingException extends ArgusException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, with the config
   * @param cause the engine's exception, or null
   */
  public TrainingException(String message, Throwable cause) {
    super(message, cause);
  }
}
