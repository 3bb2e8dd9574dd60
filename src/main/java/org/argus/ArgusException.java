package org.argus;

/**
 * Base of Argus's small checked family for <em>environment</em> failures: a missing or corrupt
 * model or data file, a native library that does not load, a provisioning source that cannot be
 * reached. Programming errors (a bad argument, conflicting settings) use the JDK's unchecked
 * exceptions instead ({@link IllegalArgumentException}, {@link IllegalStateException}).
 *
 * <p>Every message names the thing that failed, the value found and what would be valid.
 */
public class ArgusException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, the value found and what would be valid
   */
  public ArgusException(String message) {
    super(message);
  }

  /**
   * @param message what failed, the value found and what would be valid
   * @param cause the underlying failure (I/O, ONNX Runtime, protobuf)
   */
  public ArgusException(String message, Throwable cause) {
    super(message, cause);
  }
}
