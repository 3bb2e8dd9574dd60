package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.runtime.train.Hyperparameters;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A space over two real CNNs (MobileNetV2 at 64², InceptionV3 at 75²) on real Fashion-MNIST: the
 * {@code model} dimension folds into {@code layer} ({@code LAYER@MODEL}), each CNN is materialized
 * once by its own plan, heads read their CNN's view, the report has a per-model table, and a config
 * of either CNN deploys as one graph over that CNN.
 */
class FusedModelsTest {
  static final String SPACE = "model=choice(mobilenet_v2,inception_v3);"
      + "layer=choice(block_6_expand_relu@mobilenet_v2,mixed2@inception_v3);pooling=choice(avg);lr=choice(0.01)";
  static final Map<String, Integer> SIZE = Map.of("mobilenet_v2", 64, "inception_v3", 75);

  @TempDir static Path tmp;
  static FusedSelection prepared;
  static FusedResult result;

  @BeforeAll
  static void run() throws Exception {
    prepared = FusedSelection.builder()
        .setTransfer(TransferSpec.builder().setFashionMnist(160, 60).setModel("mobilenet_v2").optInputSize(64)
            .setTopLayers(1).optSeed(42).build())
        .setSpace(SearchSpace.parse(SPACE))
        .setProcedure(s -> FixedEpochs.grid(s, 2, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("models").toString())
        .optInputSize(SIZE::get)
        .optWorkers(2)
        .optThreads(1)
        .optSeed(42)
        .prepare(SparkTestSession.get());
    result = prepared.run();
  }

  @Test
  void theModelDimensionFoldsIntoQualifiedLayers() {
    assertEquals("choice(block_6_expand_relu@mobilenet_v2,mixed2@inception_v3)",
        prepared.space().domains().get("layer").toString());
    assertTrue(!prepared.space().domains().containsKey("model"), prepared.space().toString());
    assertEquals(List.of("block_6_expand_relu@mobilenet_v2", "mixed2@inception_v3"), result.views().layers());
  }

  @Test
  void eachCnnIsMaterializedOnceByItsOwnPlan() {
    assertEquals(2, prepared.transfers().size());
    assertEquals(List.of("mobilenet_v2", "inception_v3"), result.models().stream().map(m -> m.model().name()).toList());
    for (FusedResult.PerModel m : result.models()) {
      long inference = m.measured().phases().stream().filter(TransferResult.PhaseMetrics::inference).count();
      assertEquals(1, inference, m.model().name() + ": one layer, one inference query");
    }
    assertTrue(prepared.explain().contains("-- model inception_v3 --"), prepared.explain());
  }

  @Test
  void everyHeadReadsItsCnnsPooledView() {
    ViewTrainerFactory f = new ViewTrainerFactory(result.views(), "head", 10, 1);
    // avg pooling: block_6_expand_relu has 192 channels, Inception's mixed2 288
    assertEquals(192, f.inputShape(new Hyperparameters(Map.of("layer", "block_6_expand_relu@mobilenet_v2")))[0]);
    assertEquals(288, f.inputShape(new Hyperparameters(Map.of("layer", "mixed2@inception_v3")))[0]);
    assertEquals(192 + 288, result.views().rowDim());
  }

  @Test
  void thePerModelTableHoldsEachCnnsBestConfig() {
    assertEquals(List.of("mobilenet_v2", "inception_v3"), result.byModel().stream().map(FusedResult.Best::value).toList());
    for (FusedResult.Best b : result.byModel()) {
      assertTrue(b.trial() >= 0 && b.config().contains("@" + b.value()), b.toString());
      assertTrue(b.testAccuracy() > 0.25, "above chance on 60 test images: " + b);
    }
    String table = org.argus.surfaces.report.FusionReport.table(result);
    assertTrue(table.startsWith("Best config per model:"), table);
  }

  @Test
  void aConfigOfTheSecondCnnDeploysAsOneGraphOverThatCnn() throws Exception {
    SelectionResult.Entry e = result.selection().leaderboard().stream()
        .filter(x -> x.config().contains("@inception_v3")).findFirst().orElseThrow();
    Hyperparameters h = Tables.hyperparameters(e.config(), prepared.procedure(), e.trial());
    assertEquals("inception_v3", prepared.modelOf(h.getString("layer", "")).name());
    var d = HeadExport.deploy(result, prepared.procedure(), e.trial(), prepared.modelOf(h.getString("layer", "")),
        org.argus.data.FashionMnist.CLASS_NAMES, tmp.resolve("deployed-inception"));
    FusedSelectionTest.assertDeployedGraphIsTheDjlHead(prepared, result, 75, d, h, result.selection(), e.trial());
  }

  @Test
  void anExplicitPreprocessingLeavesEachRosterModelItsOwnWhenTheSpaceHasSeveral() throws Exception {
    FusedSelection withSpec = FusedSelection.builder()
        .setTransfer(TransferSpec.builder().setFashionMnist(160, 60).setModel("mobilenet_v2").optInputSize(64)
            .optPreprocessing(org.argus.model.roster.PreprocessingSpec.parse("64:bgr:tf:nhwc"))
            .setTopLayers(1).optSeed(42).build())
        .setSpace(SearchSpace.parse(SPACE))
        .setProcedure(s -> FixedEpochs.grid(s, 2, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("preprocessing").toString())
        .optInputSize(SIZE::get)
        .prepare(SparkTestSession.get());
    for (int i = 0; i < 2; i++) {
      assertEquals(prepared.transfers().get(i).model().preprocessing(), withSpec.transfers().get(i).model().preprocessing(),
          withSpec.transfers().get(i).model().name());
    }
  }

  @Test
  void anUnqualifiedLayerBesideAModelDimensionIsRefusedNamingTheForm() {
    var ex = assertThrows(IllegalArgumentException.class, () -> FusedSpace.layersByModel(SearchSpace.parse(
        "model=choice(mobilenet_v2,inception_v3);layer=choice(block_6_expand_relu,mixed2@inception_v3)")));
    assertTrue(ex.getMessage().contains("layer 'block_6_expand_relu'") && ex.getMessage().contains("LAYER@MODEL")
        && ex.getMessage().contains("[mobilenet_v2, inception_v3]"), ex.getMessage());
  }

  @Test
  void aModelWithoutALayerIsRefused() {
    var ex = assertThrows(IllegalArgumentException.class, () -> FusedSpace.layersByModel(SearchSpace.parse(
        "model=choice(mobilenet_v2,inception_v3);layer=choice(mixed2@inception_v3)")));
    assertTrue(ex.getMessage().contains("model 'mobilenet_v2' has no layer"), ex.getMessage());
  }

  @Test
  void aLayerOfAModelOutsideTheDimensionIsRefused() {
    var ex = assertThrows(IllegalArgumentException.class, () -> FusedSpace.layersByModel(SearchSpace.parse(
        "model=choice(mobilenet_v2);layer=choice(block_6_expand_relu@mobilenet_v2,mixed2@inception_v3)")));
    assertTrue(ex.getMessage().contains("layer 'mixed2@inception_v3'"), ex.getMessage());
  }
}
