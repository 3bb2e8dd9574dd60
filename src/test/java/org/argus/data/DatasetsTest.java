package org.argus.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The catalog behind {@code argus datasets list|fetch} (uses the real cache under ArgusHome). */
class DatasetsTest {
  @Test
  void listNamesEveryDataSet() {
    List<Datasets.DatasetInfo> all = Datasets.list();
    assertEquals(List.of("fashion-mnist", "darknet-photos"),
        all.stream().map(Datasets.DatasetInfo::name).toList());
  }

  @Test
  void fetchFashionMnistProvisionsIt() throws Exception {
    Datasets.DatasetInfo info = Datasets.fetch("fashion-mnist");
    assertTrue(info.provisioned());
    assertEquals(FashionMnist.defaultLocation(), info.location());
    assertEquals("dataset-fashion-mnist", info.debianPackage());
  }

  @Test
  void fetchDarknetPhotosCopiesTheJpegs() throws Exception {
    Datasets.DatasetInfo info = Datasets.fetch("darknet-photos");
    assertTrue(info.provisioned());
    assertTrue(info.files() >= 7, "files " + info.files());
    assertTrue(Files.isRegularFile(info.location().resolve("photos/dog.jpg")));
  }

  @Test
  void unknownNameListsTheValidOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Datasets.info("mnist"));
    assertTrue(e.getMessage().contains("'mnist'") && e.getMessage().contains("fashion-mnist"));
  }
}
