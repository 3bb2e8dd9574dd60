package org.argus.data;

import java.nio.file.Files;
import java.nio.file.Path;
import org.argus.provision.ProvisioningException;

/**
 * ONNX's backend test data as Debian packages it ({@code libonnx-testdata}, version 1.12.0 on
 * Debian 13): about 1 070 cases in {@code node} (one operator each), {@code pytorch-operator},
 * {@code pytorch-converted} (whole networks) and {@code simple}, each a {@code model.onnx} with
 * {@code test_data_set_*} of input and expected output {@code TensorProto}s. Used to check {@code
 * OnnxTransformer} against ONNX's own expectations.
 */
public final class OnnxTestData {
  /** The Debian package. */
  public static final String PACKAGE = "libonnx-testdata";

  /** Where the package installs the suites. */
  public static final Path ROOT = Path.of("/usr/share/libonnx-testdata/data");

  private OnnxTestData() {}

  /**
   * @return {@link #ROOT}, installing {@link #PACKAGE} with apt-get first when it is missing
   * @throws ProvisioningException when it is missing and cannot be installed (not root, no
   *     apt-get, or apt-get failed: the message says which and how to install it by hand)
   */
  public static Path root() throws ProvisioningException {
    if (Files.isDirectory(ROOT.resolve("node"))) {
      return ROOT;
    }
    if (!Fetch.aptUsable()) {
      throw new ProvisioningException("ONNX backend test data not found at " + ROOT + " and apt-get is not usable "
          + "here (needs root); install it with: apt-get install -y " + PACKAGE);
    }
    String failure = Fetch.aptInstall(PACKAGE);
    if (failure != null || !Files.isDirectory(ROOT.resolve("node"))) {
      throw new ProvisioningException("cannot install " + PACKAGE + " (" + (failure == null
          ? "installed, but " + ROOT.resolve("node") + " is missing" : failure) + ")");
    }
    return ROOT;
  }
}
