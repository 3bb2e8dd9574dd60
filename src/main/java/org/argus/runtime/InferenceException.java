package org.argus.runtime;

import org.argus.ArgusException;

/** ONNX Runtime failed to create a session or run a batch; wraps {@code OrtException} with context. */
public class InferenceException extends ArgusException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message the model, tensor and shape involved
   * @param cause the runtime's exception
   */
  public InferenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
