package org.argus.store;

import org.argus.ArgusException;

/** A checkpoint is missing, unreadable or fails its checksum. */
public class CheckpointException extends ArgusException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message names the checkpoint and what is wrong
   * @param cause underlying error, or null
   */
  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
