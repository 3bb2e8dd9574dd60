package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.argus.execution.ProgressSink;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.MaterializedFeatures;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;
import org.argus.store.CheckpointStore;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fused selection on the real MobileNetV2 (64×64) and real Fashion-MNIST: every (layer, pooling)
 * column is materialized once however many configs read it, each head reads its own view, MOP over
 * the joint space is sequential SGD over the logged visit order, every finished config is scored
 * on the test split, and the per-layer table holds each layer's best config.
 */
class FusedSelectionTest {
  static final long SEED = 42;
  static final List<String> LAYERS = List.of("block_3_expand_relu", "block_6_expand_relu");
  static final String SPACE =
      "layer=choice(block_6_expand_relu,block_3_expand_relu);pooling=choice(max:2,avg);lr=choice(0.01,0.003)";

  @TempDir static Path tmp;
  static FusedResult result;
  static FusedSelection prepared;

  static TransferSpec.Builder transfer() {
    return TransferSpec.builder().setFashionMnist(160, 60).setModel("mobilenet_v2").optInputSize(64).optSeed(SEED);
  }

  static FusedSelection.Builder selection(String space, String dir) {
    return FusedSelection.builder()
        .setTransfer(transfer().setLayers(LAYERS).build())
        .setSpace(SearchSpace.parse(space))
        .setProcedure(s -> FixedEpochs.grid(s, 2, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve(dir).toString())
        .optWorkers(2)
        .optThreads(1)
        .optSeed(SEED);
  }

  /** Ids of the RDDs cached before the run (other tests share the session). */
  static java.util.Set<Integer> cachedBefore;

  @BeforeAll
  static void run() throws Exception {
    cachedBefore = cachedIds();
    prepared = selection(SPACE, "fused").prepare(SparkTestSession.get());
    result = prepared.run();
    cachedByRun = cachedIds();
    cachedByRun.removeAll(cachedBefore);
  }

  /** Ids of the RDDs the run left cached (its inputs, until released). */
  static java.util.Set<Integer> cachedByRun;

  static java.util.Set<Integer> cachedIds() {
    java.util.Set<Integer> ids = new java.util.HashSet<>();
    for (org.apache.spark.storage.RDDInfo i : SparkTestSession.get().sparkContext().getRDDStorageInfo()) {
      ids.add(i.id());
    }
    return ids;
  }

  @Test
  void eachLayerIsInferredOnceForEightConfigsAndEveryPoolingIsAColumnOfThatPass() {
    assertEquals(8, result.selection().leaderboard().size());
    List<TransferResult.PhaseMetrics> inference =
        result.materialization().phases().stream().filter(TransferResult.PhaseMetrics::inference).toList();
    int expected = prepared.transfer().decision().chosen().logical() == LogicalPlan.EAGER ? 1 : LAYERS.size();
    assertEquals(expected, inference.size(), "inference queries: " + inference);
    assertEquals(4, result.views().views().size(), result.views().describe());
    assertEquals(List.of("block_3_expand_relu", "block_6_expand_relu"), result.views().layers(), "bottom layer first");
    assertEquals(List.of("max:2", "avg"), result.views().poolings());
  }

  @Test
  void theRunLeavesNoFeatureRowsCached() {
    long featureBytes = 0;
    StringBuilder held = new StringBuilder();
    for (org.apache.spark.storage.RDDInfo i : SparkTestSession.get().sparkContext().getRDDStorageInfo()) {
      if (!cachedBefore.contains(i.id())) { // what this run left cached
        held.append(i.name()).append(": ").append(i.memSize() + i.diskSize()).append(" B\n");
        featureBytes += i.memSize() + i.diskSize();
      }
    }
    // the cleaned input images may stay cached (the transfer's inputs); no feature rows, shards or test rows
    assertTrue(featureBytes < result.featureBytes() / 4, held.toString());
  }

  @Test
  void releasingTheSelectionUncachesTheInputsItsTransferCached() {
    assertFalse(cachedByRun.isEmpty(), "the run caches its checked inputs");
    prepared.release();
    java.util.Set<Integer> still = cachedIds();
    still.retainAll(cachedByRun);
    assertEquals(java.util.Set.of(), still, "RDDs of the run still cached after release");
    assertEquals(prepared.transfer().counts().quarantined(), prepared.transfer().quarantine().count(),
        "the quarantine query still runs after release (recomputed from the sources)");
  }

  @Test
  void everyHeadsInputIsItsViewsPooledDimension() {
    ViewTrainerFactory f = new ViewTrainerFactory(result.views(), "head", 10, 1);
    // block_3_expand_relu at 64²: [144, 16, 16]; block_6_expand_relu: [192, 8, 8]
    Map<String, Long> expected = Map.of("block_3_expand_relu/max:2", 144L * 4, "block_3_expand_relu/avg", 144L,
        "block_6_expand_relu/max:2", 192L * 4, "block_6_expand_relu/avg", 192L);
    for (SelectionResult.Entry e : result.selection().leaderboard()) {
      Hyperparameters h = hyper(e.config());
      String key = h.getString("layer", "") + "/" + h.getString("pooling", "");
      assertEquals(expected.get(key), f.inputShape(h)[0], e.config());
    }
  }

  @Test
  void aConfigNamingAnUnmaterializedLayerIsRefusedWithTheValidOnes() {
    var ex = assertThrows(IllegalArgumentException.class,
        () -> result.views().view(new Hyperparameters(Map.of("layer", "out_relu", "pooling", "avg"))));
    assertTrue(ex.getMessage().contains("'out_relu' was not materialized; valid: [block_3_expand_relu, "
        + "block_6_expand_relu]"), ex.getMessage());
  }

  @Test
  void everyFinishedConfigIsScoredOnTheTestSplit() {
    assertEquals(8, result.selection().test().size());
    for (SelectionResult.TestScore t : result.selection().test().values()) {
      assertEquals(60, t.rows());
      assertTrue(t.accuracy() > 0.25, "above chance (0.1) on 60 test images: " + t);
    }
  }

  @Test
  void thePerLayerTableHoldsEachLayersBestConfig() {
    assertEquals(List.of("block_3_expand_relu", "block_6_expand_relu"),
        result.byLayer().stream().map(FusedResult.Best::value).toList());
    for (FusedResult.Best b : result.byLayer()) {
      assertEquals(4, b.configs());
      assertTrue(b.config().contains("layer=" + b.value()), b.toString());
      double bestOfLayer = result.selection().leaderboard().stream()
          .filter(e -> e.config().contains("layer=" + b.value())).mapToDouble(SelectionResult.Entry::metric).max()
          .orElseThrow();
      assertEquals(bestOfLayer, b.metric(), 0.0);
    }
    assertEquals(List.of("max:2", "avg"), result.byPooling().stream().map(FusedResult.Best::value).toList());
  }

  @Test
  void shardsHoldEveryViewOnceAndSparkStoresAboutThatMuch() {
    long payload = result.selection().payloadBytes();
    long cached = result.selection().cachedBytes();
    assertTrue(cached > 0.9 * payload && cached < 1.3 * payload, "cached " + cached + " vs payload " + payload);
    assertTrue(payload < result.featureBytes(), "the shards hold the training part of the split: " + payload
        + " < " + result.featureBytes());
  }

  @Test
  void explainShowsTheMaterializationAndTheMopPlan() {
    String ex = result.explain();
    assertTrue(ex.contains("== materialization (once for every config) =="), ex);
    assertTrue(ex.contains("2 layers".replace("2 layers", "x poolings [max:2, avg] = 4 feature columns")), ex);
    assertTrue(ex.contains("== model selection (MOP over the shared feature rows) =="), ex);
    assertTrue(ex.contains("grid"), ex);
  }

  @Test
  void mopOverTheJointSpaceIsSequentialSgdOverTheLoggedVisitOrder() throws Exception {
    FeatureTransfer ft = FeatureTransfer.prepare(SparkTestSession.get(),
        prepared.transfer().spec(), ProgressSink.SILENT);
    MaterializedFeatures m = ft.materialize();
    try {
      JavaRDD<Example> train = result.standardizer().apply(FeatureRows.examples(m, "train"));
      List<List<Example>> shards = ModelSelection.shards(train, SEED, 0.2, 2);
      ViewTrainerFactory f = new ViewTrainerFactory(result.views(), "head", 10, 1);
      CheckpointStore store = new CheckpointStore(result.selection().runDir());
      Map<Integer, String> configs = new TreeMap<>();
      result.selection().leaderboard().forEach(e -> configs.put(e.trial(), e.config()));
      for (int trial : List.of(0, 5)) {
        List<UnitRecord> visits = result.selection().units().stream().filter(u -> u.trial() == trial && u.error() == null)
            .sorted(Comparator.comparingLong(UnitRecord::startMs)).toList();
        long seed = Seeds.split(SEED, "trial", trial);
        byte[] replay;
        try (Trainer t = f.create(hyper(configs.get(trial)), seed)) {
          for (UnitRecord u : visits) {
            List<Batch> b = Examples.batches(shards.get(u.shard()), t.batchSize(), seed, u.epoch(), u.shard());
            t.train(b.iterator());
          }
          replay = t.exportState();
        }
        byte[] mop = store.read(visits.get(visits.size() - 1).outCkpt());
        assertEquals(replay.length, mop.length);
        java.nio.ByteBuffer a = java.nio.ByteBuffer.wrap(replay);
        java.nio.ByteBuffer c = java.nio.ByteBuffer.wrap(mop);
        for (int i = 28; i + 4 <= mop.length; i += 4) {
          assertEquals(a.getFloat(i), c.getFloat(i), 1e-5, "trial " + trial + " state byte " + i);
        }
      }
    } finally {
      m.unpersist();
    }
  }

  @Test
  void anUnknownLayerIsRefusedBeforeAnyInferenceListingValidOnes() {
    var ex = assertThrows(IllegalArgumentException.class, () -> selection(
        "layer=choice(block_3_expand_relu,block_99_expand_relu);lr=choice(0.01)", "bad-layer")
        .prepare(SparkTestSession.get()));
    assertTrue(ex.getMessage().contains("block_99_expand_relu"), ex.getMessage());
    assertTrue(ex.getMessage().contains("block_6_expand_relu"), "lists valid layers: " + ex.getMessage());
  }

  @Test
  void aContinuousLayerDimensionIsRefused() {
    var ex = assertThrows(IllegalArgumentException.class,
        () -> FusedSpace.of(SearchSpace.parse("layer=uniform(1,3);lr=choice(0.01)"), transfer().setLayers(LAYERS).build()));
    assertTrue(ex.getMessage().contains("'layer' must be a categorical choice(...) of names"), ex.getMessage());
  }

  @Test
  void aSpaceWithoutLayerGetsTheTransfersLayersAsAChoice() {
    FusedSpace f = FusedSpace.of(SearchSpace.parse("lr=choice(0.01)"), transfer().setLayers(LAYERS).build());
    assertEquals(LAYERS, f.layers());
    assertEquals("choice(block_3_expand_relu,block_6_expand_relu)", f.space().domains().get("layer").toString());
  }

  @Test
  void twoSpellingsOfOnePoolingAreRefused() {
    var ex = assertThrows(IllegalArgumentException.class, () -> FusedSpace.of(
        SearchSpace.parse("layer=choice(block_3_expand_relu);pooling=choice(max,max:1)"), transfer().setLayers(LAYERS).build()));
    assertTrue(ex.getMessage().contains("'max:1' is the same pooling as 'max'"), ex.getMessage());
  }

  @Test
  void theWinnerDeployedAsOneGraphGivesTheDjlHeadsProbabilitiesOnStandardizedOrtFeatures() throws Exception {
    int trial = result.selection().best().trial();
    var d = HeadExport.deploy(result, prepared.procedure(), trial, prepared.transfer().model(),
        org.argus.data.FashionMnist.CLASS_NAMES, tmp.resolve("deployed"));
    assertDeployedGraphIsTheDjlHead(d, Tables.hyperparameters("best", prepared.procedure(), trial),
        result.selection(), trial);
  }

  @Test
  void theWinnerIsRefitOnEveryTrainingRowForTheEpochsItReachedAndScoredOnTheTestSplit() {
    SelectionResult.Entry best = result.selection().best();
    FusedResult.Refit f = result.refit();
    assertEquals(best.trial(), f.trial());
    assertEquals(Tables.hyperparameters("best", prepared.procedure(), best.trial()), f.hyperparameters());
    SelectionResult.Entry refit = f.selection().best();
    assertEquals(1, f.selection().leaderboard().size());
    assertEquals(best.epochs(), refit.epochs());
    // every training row trains (the selection held 20 % of them out), the test split validates
    long selected = result.selection().shardRows().stream().mapToLong(Long::longValue).sum();
    long refitRows = f.selection().shardRows().stream().mapToLong(Long::longValue).sum();
    assertEquals(prepared.transfer().trainRows(), refitRows);
    assertTrue(selected < refitRows, selected + " vs " + refitRows);
    assertEquals(refit.valAccuracy(), f.testAccuracy(), 1e-12);
    assertTrue(f.testAccuracy() > 0.25 && f.testMacroF1() > 0, "above chance on 60 test images: " + f);
  }

  @Test
  void theRefitWinnerDeployedAsOneGraphGivesItsDjlHeadsProbabilities() throws Exception {
    FusedResult.Refit f = result.refit();
    var d = HeadExport.deploy(result, f, prepared.transfer().model(), org.argus.data.FashionMnist.CLASS_NAMES,
        tmp.resolve("deployed-refit"));
    assertDeployedGraphIsTheDjlHead(d, f.hyperparameters(), f.selection(), f.selection().best().trial());
  }

  /** The spliced graph on 16 test images' pixels equals the DJL head on their standardized ORT features. */
  private static void assertDeployedGraphIsTheDjlHead(org.argus.runtime.train.HeadDeployment.Deployed d,
      Hyperparameters h, SelectionResult run, int trial) throws Exception {
    assertDeployedGraphIsTheDjlHead(prepared, result, 64, d, h, run, trial);
  }

  /**
   * The spliced graph on 16 test images' pixels equals the DJL head on their standardized ORT
   * features (the featurizer runs the config's CNN at {@code size}²).
   */
  static void assertDeployedGraphIsTheDjlHead(FusedSelection prepared, FusedResult result, int size,
      org.argus.runtime.train.HeadDeployment.Deployed d, Hyperparameters h, SelectionResult run, int trial)
      throws Exception {
    org.argus.model.resolve.ResolvedModel model = prepared.modelOf(result.views().view(h).layer());
    assertDeployedGraphIsTheDjlHead(prepared, result, f -> f.setModelName(model.name()).setImageSize(size), d, h, run,
        trial);
  }

  /**
   * The spliced graph on 16 test images' pixels equals the DJL head on their standardized ORT
   * features, as the featurizer {@code source} configures it (which CNN graph, at which size).
   */
  static void assertDeployedGraphIsTheDjlHead(FusedSelection prepared, FusedResult result,
      java.util.function.UnaryOperator<org.argus.surfaces.ml.DeepImageFeaturizer> source,
      org.argus.runtime.train.HeadDeployment.Deployed d, Hyperparameters h, SelectionResult run, int trial)
      throws Exception {
    FeatureViews.View v = result.views().view(h);
    org.argus.model.resolve.ResolvedModel model = prepared.modelOf(v.layer());
    // 16 test images: pixels for the spliced graph, the featurizer's ORT features for the DJL head
    var imgs = org.argus.data.FashionMnist.sample(SparkTestSession.get(),
        org.argus.data.FashionMnist.Split.TEST, 16, 7).orderBy("id");
    List<org.apache.spark.sql.Row> rows = imgs.collectAsList();
    List<org.apache.spark.sql.Row> feats = source.apply(new org.argus.surfaces.ml.DeepImageFeaturizer())
        .setLayers(FeatureViews.layerOf(v.layer())).setPooling(v.pooling()).setOutputType("array").transform(imgs)
        .orderBy("id").select("features").collectAsList();
    Standardizer z = result.standardizer().slice(result.views(), v);
    float[] x = new float[rows.size() * v.dim()];
    for (int i = 0; i < rows.size(); i++) {
      List<Float> f = feats.get(i).getList(0);
      for (int j = 0; j < v.dim(); j++) {
        x[i * v.dim() + j] = (f.get(j) - z.mean()[j]) * z.invStd()[j];
      }
    }
    float[] djl;
    try (Trainer t = result.factory().headFactory(h).create(h, Seeds.split(SEED, "trial", trial))) {
      t.importState(new CheckpointStore(run.runDir()).read(FusedSelection.lastCheckpoint(run, trial)));
      djl = t.predict(new Batch(x, new int[rows.size()]));
    }
    org.argus.runtime.ImagePreprocessor pre = new org.argus.runtime.ImagePreprocessor(model.preprocessing());
    int per = model.preprocessing().floatsPerExample();
    float[] px = new float[rows.size() * per];
    for (int i = 0; i < rows.size(); i++) {
      org.apache.spark.sql.Row img = rows.get(i).getStruct(rows.get(i).fieldIndex("image"));
      pre.fill(img.getAs("data"), img.<Integer>getAs("height"), img.<Integer>getAs("width"),
          img.<Integer>getAs("nChannels"), px, i * per);
    }
    float[] spliced;
    try (org.argus.runtime.ModelSession s = org.argus.runtime.SessionCache.open("fused-spliced",
        java.nio.file.Files.readAllBytes(d.model()), 1)) {
      spliced = s.run(List.of(new org.argus.runtime.ModelSession.Input(model.pixelInput(), px,
          org.argus.model.onnx.ElementType.FLOAT, model.preprocessing().batchShape(rows.size()))),
          List.of(org.argus.model.splice.HeadSplice.OUTPUT)).get(0).values();
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(djl, spliced, 1e-5f);
    String config = java.nio.file.Files.readString(d.config());
    assertTrue(config.contains("standardization=z-score"), config);
  }

  @Test
  void aResumeWithAnotherSpaceIsRefusedBeforeAnyInferenceNamingTheDifference() {
    var ex = assertThrows(org.argus.ArgusException.class, () -> selection(SPACE.replace("0.003", "0.002"), "fused")
        .optResume(true).prepare(SparkTestSession.get()).run());
    assertTrue(ex.getMessage().contains("fused.space: run has '") && ex.getMessage().contains("0.002"), ex.getMessage());
  }

  @Test
  void aMaterializationNoPlanCanHoldIsRefusedByTheOptimizerSayingWhatWouldFit() {
    // unpooled block_3_expand_relu at 1024² (144 × 256 × 256 floats per image) on a 400 MiB executor
    TransferSpec t = transfer().setLayers(LAYERS).optInputSize(1024)
        .optResources(new org.argus.plan.cost.Resources(1, 2, 400L << 20, 1L << 30, 0)).build();
    var ex = assertThrows(org.argus.plan.cost.NoFeasiblePlanException.class, () -> FusedSelection.builder()
        .setTransfer(t).setSpace(SearchSpace.parse("pooling=choice(none,max:2);lr=choice(0.01)"))
        .setProcedure(s -> FixedEpochs.grid(s, 1, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("no-plan").toString()).prepare(SparkTestSession.get()));
    assertTrue(ex.getMessage().contains("what would fit"), ex.getMessage());
  }

  static Hyperparameters hyper(String config) {
    Map<String, Object> v = new TreeMap<>();
    for (String part : config.split(",")) {
      String[] kv = part.split("=", 2);
      Object value;
      try {
        value = Double.parseDouble(kv[1]);
      } catch (NumberFormatException e) {
        value = kv[1];
      }
      v.put(kv[0], value);
    }
    return new Hyperparameters(v);
  }
}
