package org.argus.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.argus.data.FashionMnist;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.Roster;
import org.argus.plan.Pooling;
import org.argus.plan.StagedPlan;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Staged materialization on the real MobileNetV2 and real Fashion-MNIST images: every stage's
 * features equal those of a graph cut straight from the pixels (what a lazy plan computes).
 */
class StagedFeatureExtractionTest {
  private static final List<String> LAYERS =
      List.of("block_3_expand_relu", "block_6_expand_relu", "out_relu");
  private static OnnxModel mobilenet;
  private static PreprocessingSpec spec;

  @BeforeAll
  static void provision() throws Exception {
    FashionMnist.provision();
    mobilenet = OnnxModel.load(PretrainedModels.onnxFile("mobilenet_v2"));
    spec = Roster.get("mobilenet_v2").preprocessing().withSize(64, 64);
  }

  @Test
  void eachStageEqualsTheLayerComputedFromThePixels() throws Exception {
    StagedPlan plan =
        StagedPlan.build(mobilenet, "mobilenet_v2", "input_1", LAYERS, spec, Pooling.parse("max:2"));
    List<long[]> shapes = StageProbe.shapes(plan, 1);
    assertArrayEquals(new long[] {1280, 2, 2}, shapes.get(2));
    Dataset<Row> images =
        FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TEST, 24, 7).repartition(3);
    Map<String, Map<Long, float[]>> staged = new HashMap<>();
    List<Long> rowsPerStage = new ArrayList<>();
    new StagedFeatureExtraction(
            SparkTestSession.get(),
            plan,
            new StagedFeatureExtraction.ExecutionOptions(5, 1, StorageLevel.MEMORY_AND_DISK()),
            ProgressSink.SILENT)
        .run(
            images,
            "image",
            shapes,
            out -> {
              rowsPerStage.add(out.rows());
              Map<Long, float[]> byId = new HashMap<>();
              for (Row r : out.data().select("id", StagedFeatureExtraction.FEATURES).collectAsList()) {
                List<Float> f = r.getList(1);
                float[] v = new float[f.size()];
                for (int i = 0; i < v.length; i++) {
                  v[i] = f.get(i);
                }
                byId.put(r.getLong(0), v);
              }
              staged.put(out.stage().layer(), byId);
            });
    assertEquals(List.of(24L, 24L, 24L), rowsPerStage);

    // lazy reference: cut pixels → layer for each layer, run on the driver
    ImagePreprocessor pre = new ImagePreprocessor(spec);
    for (Row r : images.collectAsList()) {
      Row img = r.getStruct(r.fieldIndex("image"));
      float[] x = new float[spec.floatsPerExample()];
      pre.fill(img.getAs("data"), img.<Integer>getAs("height"), img.<Integer>getAs("width"),
          img.<Integer>getAs("nChannels"), x, 0);
      for (int li = 0; li < LAYERS.size(); li++) {
        String layer = LAYERS.get(li);
        OnnxModel cut = mobilenet.cut(List.of("input_1"), List.of(layer));
        ModelSession s = SessionCache.get(cut.sha256(), cut::toBytes, 1);
        ModelSession.Output o = s.run("input_1", x, spec.batchShape(1), List.of(layer)).get(0);
        long[] sh = shapes.get(li);
        float[] expected = new float[plan.pooling().outputDim((int) sh[0], (int) sh[1], (int) sh[2])];
        plan.pooling().apply(o.values(), 0, (int) sh[0], (int) sh[1], (int) sh[2], expected, 0);
        float[] actual = staged.get(layer).get(r.getLong(r.fieldIndex("id")));
        assertEquals(expected.length, actual.length);
        float scale = 1e-6f;
        float maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
          scale = Math.max(scale, Math.abs(expected[i]));
          maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff / scale <= 1e-4, layer + ": relative difference " + maxDiff / scale);
      }
    }
  }

  @Test
  void layersAreOrderedBottomToTopWhateverOrderTheyAreGivenIn() {
    StagedPlan plan =
        StagedPlan.build(mobilenet, "mobilenet_v2", "input_1",
            List.of("out_relu", "block_3_expand_relu", "block_6_expand_relu"), spec, Pooling.VISTA_DEFAULT);
    assertEquals(LAYERS, plan.layers());
    assertEquals("input_1", plan.stages().get(0).input());
    assertEquals("block_3_expand_relu", plan.stages().get(1).input());
  }

  @Test
  void aLayerInsideAResidualBlockCannotBeAStageBoundary() {
    // block_2_expand_relu lies inside the residual block 2 (block_1_project_BN skips to block_2_add)
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> StagedPlan.build(mobilenet, "mobilenet_v2", "input_1",
                List.of("block_2_expand_relu", "block_2_add"), spec, Pooling.VISTA_DEFAULT));
    assertTrue(e.getMessage().contains("block_2_add") && e.getMessage().contains("block_2_expand_relu"),
        e.getMessage());
  }

  @Test
  void anUnknownLayerIsRefusedNamingTheModel() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> StagedPlan.build(mobilenet, "mobilenet_v2", "input_1",
                List.of("block_99_expand_relu"), spec, Pooling.VISTA_DEFAULT));
    assertTrue(e.getMessage().contains("'block_99_expand_relu' in mobilenet_v2"), e.getMessage());
  }
}
