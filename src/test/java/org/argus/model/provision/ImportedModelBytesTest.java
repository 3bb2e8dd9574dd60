package org.argus.model.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.argus.provision.Sha256;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The imported nsfwjs models are pinned byte for byte: the roster's cached {@code model.onnx} and
 * everything keyed by its sha256 (stage persistence, reports) stay valid as long as the importer
 * produces the same bytes. A change to the conversion rules must bump {@code
 * KerasOnnxImporter.IMPORTER_VERSION} and these hashes together.
 */
class ImportedModelBytesTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "mobilenet_v2, 7665e7b8f8a407921310d9529b5443e80dc6f79b9e583eaa75561d660efabe92",
      "inception_v3, a6dec8b78580d4977bcfa1f8fdfb8f76330e690584ce647b6f1ca074278b1832"})
  void aFreshImportHasThePinnedSha256(String name, String sha256) throws Exception {
    Path dir = PretrainedModels.tfjsDir(name);
    assertEquals(sha256, Sha256.of(PretrainedModels.importBytes(name, dir)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"mobilenet_v2", "inception_v3"})
  void theProvisionedFileIsAFreshImport(String name) throws Exception {
    Path onnx = PretrainedModels.onnxFile(name);
    assertEquals(Sha256.of(PretrainedModels.importBytes(name, onnx.getParent())), Sha256.of(onnx));
  }
}
