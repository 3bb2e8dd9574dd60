package org.argus.provision;

import org.argus.ArgusException;

/**
 * A data set or model could not be obtained or failed its recorded sha256 check. The message says
 * which sources were tried and exactly how the user can provide the file instead.
 */
public class ProvisioningException extends ArgusException {
  private static final long serialVersionUID = 1L;

  /** @param message what was tried, what failed, and how to provide the file by hand */
  public ProvisioningException(String message) {
    super(message);
  }

  /**
   * @param message what was tried, what failed, and how to provide the file by hand
   * @param cause the underlying I/O or process failure
   */
  public ProvisioningException(String message, Throwable cause) {
    super(message, cause);
  }
}
