package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.argus.data.FashionMnist;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.quantize.CalibrationMethod;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.runtime.train.HeadDeployment;
import org.argus.runtime.train.Hyperparameters;
import org.argus.select.space.SearchSpace;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Precision as a materialization dimension of fused selection (MobileNetV2 64², real
 * Fashion-MNIST): {@code precision=choice(fp32,int8)} materializes the layer once per precision,
 * each config reads its precision's view, and an int8 config deploys on the int8 cut it was trained
 * on.
 */
class FusedPrecisionTest {
  static final long SEED = 42;
  static final String LAYER = "block_3_expand_relu";
  @TempDir static Path tmp;
  static FusedSelection prepared;
  static FusedResult result;

  @BeforeAll
  static void run() throws Exception {
    TransferSpec t = TransferSpec.builder().setFashionMnist(120, 40).setModel("mobilenet_v2").optInputSize(64)
        .optSeed(SEED).setLayers(List.of(LAYER)).optCalibration(new CalibrationSpec(CalibrationMethod.MINMAX, 64, 7))
        .build();
    prepared = FusedFixtures.grid(t, "precision=choice(fp32,int8);lr=choice(0.01)", tmp.resolve("run"))
        .optRefit(false)
        .prepare(SparkTestSession.get());
    result = prepared.run();
  }

  @AfterAll
  static void release() {
    prepared.release();
  }

  @Test
  void theLayerIsMaterializedOncePerPrecisionAndEachConfigReadsItsOwnView() {
    assertEquals(List.of("fp32", "int8"), result.views().precisions());
    assertEquals(2, result.views().views().size(), result.views().describe());
    assertEquals(result.views().views().get(0).dim(), result.views().views().get(1).dim());
    assertEquals(2, prepared.transfers().size());
    assertEquals(2, result.models().size());
    for (FusedResult.PerModel m : result.models()) { // one inference query of the one layer per precision
      assertEquals(1, m.measured().phases().stream().filter(TransferResult.PhaseMetrics::inference).count(),
          m.measured().phases().toString());
    }
    assertEquals(2, result.selection().leaderboard().size());
    java.util.Set<Integer> offsets = new java.util.HashSet<>();
    for (SelectionResult.Entry e : result.selection().leaderboard()) {
      Hyperparameters h = Tables.hyperparameters(e.config(), prepared.procedure(), e.trial());
      FeatureViews.View v = result.views().view(h);
      assertEquals(h.getString("precision", null), v.precision(), e.config());
      offsets.add(v.offset());
    }
    assertEquals(java.util.Set.of(0, result.views().views().get(1).offset()), offsets);
  }

  @Test
  void explainShowsBothPrecisionsAndTheInt8TransfersPlan() {
    String ex = prepared.explain();
    assertTrue(ex.contains("x precisions [fp32, int8] = 2 feature columns"), ex);
    assertTrue(ex.contains("-- model mobilenet_v2, precision int8 --"), ex);
    assertTrue(ex.contains("[int8]"), "the int8 transfer's stages say int8: " + ex);
  }

  @Test
  void theReportHasABestConfigPerPrecision() {
    assertEquals(List.of("fp32", "int8"), result.byPrecision().stream().map(FusedResult.Best::value).toList());
    assertTrue(org.argus.surfaces.report.FusionReport.table(result).contains("Best config per precision"));
  }

  @Test
  void anUnknownPrecisionIsRefusedListingTheValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FusedSpace.precisions(SearchSpace.parse("precision=choice(fp32,fp16)")));
    assertTrue(e.getMessage().contains("fp16") && e.getMessage().contains("int8"), e.getMessage());
  }

  @Test
  void anFp32ConfigDeploysOnTheCnnsOwnCut() {
    FeatureViews.View fp32 = result.views().views().get(0);
    assertNull(prepared.cutOf(fp32));
  }

  @Test
  void anInt8WinnerDeploysOnItsInt8CutAndGivesItsDjlHeadsProbabilities() throws Exception {
    int trial = -1;
    for (SelectionResult.Entry e : result.selection().leaderboard()) {
      if (e.config().contains("precision=int8")) {
        trial = e.trial();
      }
    }
    Hyperparameters h = Tables.hyperparameters("int8", prepared.procedure(), trial);
    FeatureViews.View v = result.views().view(h);
    HeadDeployment.Deployed d = HeadExport.deploy(prepared, result, trial, FashionMnist.CLASS_NAMES,
        tmp.resolve("deployed-int8"));
    String config = Files.readString(d.config());
    assertTrue(config.contains("argus.splice.precision=int8") && config.contains("argus.int8."), config);
    var cut = prepared.cutOf(v);
    assertNotEquals(prepared.transfer().model().cutFromPixels(List.of(LAYER)).sha256(), cut.sha256());
    assertTrue(config.contains("argus.splice.cut_sha256=" + cut.sha256()), config);
    // the int8 cut's ORT features of 16 test images, standardized, through the DJL head = the spliced graph on pixels
    Path cutFile = tmp.resolve("int8-cut.onnx");
    Files.write(cutFile, cut.bytes());
    var model = prepared.transfer().model();
    FusedSelectionTest.assertDeployedGraphIsTheDjlHead(prepared, result,
        f -> f.setModelPath(cutFile.toString()).setPreprocessing(model.preprocessing().compact()), d, h,
        result.selection(), trial);
  }
}
