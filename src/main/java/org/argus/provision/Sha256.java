package org.argus.provision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests (JDK {@link MessageDigest}) as lowercase hex, and verification of files. */
public final class Sha256 {
  private Sha256() {}

  /** @return the lowercase hex SHA-256 of {@code bytes} */
  public static String of(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /**
   * @return the lowercase hex SHA-256 of the file's content, streamed
   * @throws IOException when the file cannot be read
   */
  public static String of(Path file) throws IOException {
    MessageDigest md = digest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /**
   * Checks a file against its recorded digest.
   *
   * @param file the file to check
   * @param expected the recorded lowercase hex SHA-256
   * @throws ProvisioningException when the file is missing, unreadable or its digest differs (the
   *     message gives both digests and the path)
   */
  public static void verify(Path file, String expected) throws ProvisioningException {
    String actual;
    try {
      actual = of(file);
    } catch (IOException e) {
      throw new ProvisioningException("cannot read " + file + " to check its sha256: " + e, e);
    }
    if (!actual.equals(expected)) {
      throw new ProvisioningException(
          "sha256 mismatch for "
              + file
              + ": found "
              + actual
              + ", expected "
              + expected
              + " (delete the file to fetch it again)");
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK without SHA-256", e);
    }
  }
}
