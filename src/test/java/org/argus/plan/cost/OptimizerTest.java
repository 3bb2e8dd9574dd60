package org.argus.plan.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The cost model and optimizer on synthetic sizes: no Spark, no model. */
class OptimizerTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  /** Four layers shaped like a small CNN: activation 64·28·28 … 512·3·3, pooled to 2×2. */
  static Workload workload(boolean pooled, long images) {
    long[][] acts = {{64, 28, 28}, {128, 14, 14}, {256, 7, 7}, {512, 3, 3}};
    long[] flops = {100_000_000L, 200_000_000L, 300_000_000L, 400_000_000L};
    List<LayerCost> layers = new java.util.ArrayList<>();
    String prev = "input";
    for (int i = 0; i < acts.length; i++) {
      long act = acts[i][0] * acts[i][1] * acts[i][2];
      long feat = pooled ? acts[i][0] * 4 : act;
      layers.add(new LayerCost("l" + (i + 1), prev, act, feat, flops[i],
          flops[i] - (i == 0 ? 0 : flops[i - 1]), act * 2));
      prev = "l" + (i + 1);
    }
    return new Workload(layers, "input", 3 * 96 * 96, 14 * MIB, images, 1000, 0, 0, images);
  }

  static Resources resources(long heap, int cores) {
    return new Resources(1, cores, heap, 8 * GIB, 10 * MIB);
  }

  @Test
  void pooledFeaturesFitInMemoryAndTheCheapestPlanIsNotLazy() {
    Optimizer.Decision d = Optimizer.optimize(workload(true, 10_000), resources(4 * GIB, 4), Overrides.NONE);
    assertTrue(d.chosen().fits());
    assertTrue(d.chosen().logical() != LogicalPlan.LAZY, d.explain());
    assertEquals(Persistence.MEMORY_AND_DISK, d.chosen().persistence());
    assertEquals(4, d.chosen().tasksPerExecutor());
    assertEquals(1, d.chosen().ortThreads());
    assertEquals(32, d.chosen().batchSize());
    assertEquals(2, d.alternatives().size());
    PhysicalPlan lazy = d.alternatives().stream().filter(p -> p.logical() == LogicalPlan.LAZY).findFirst().orElseThrow();
    assertTrue(lazy.reason().contains("costs"), lazy.reason());
    assertTrue(lazy.cost() > d.chosen().cost());
    String explain = d.explain();
    assertTrue(explain.contains("chosen: ") && explain.contains("rejected: ") && explain.contains("└─"), explain);
  }

  @Test
  void lazyRecomputesTheLowerLayersAndCostsMoreFlopsThanStaged() {
    Workload w = workload(true, 1000);
    Resources r = resources(4 * GIB, 2);
    PhysicalPlan lazy = Optimizer.evaluate(LogicalPlan.LAZY, w, r, Overrides.NONE);
    PhysicalPlan staged = Optimizer.evaluate(LogicalPlan.STAGED, w, r, Overrides.NONE);
    long lazyFlops = lazy.stages().stream().mapToLong(StageEstimate::flopsPerImage).sum();
    long stagedFlops = staged.stages().stream().mapToLong(StageEstimate::flopsPerImage).sum();
    assertEquals(1_000_000_000L, lazyFlops);
    assertEquals(400_000_000L, stagedFlops);
    assertEquals(4, lazy.stages().size());
    assertEquals(1, Optimizer.evaluate(LogicalPlan.EAGER, w, r, Overrides.NONE).stages().size());
  }

  @Test
  void stagedHoldsAtMostTwoStagesAndEagerHoldsAllLayers() {
    Workload w = workload(false, 1000);
    Resources r = resources(64 * GIB, 2);
    PhysicalPlan eager = Optimizer.evaluate(LogicalPlan.EAGER, w, r, Overrides.NONE);
    PhysicalPlan staged = Optimizer.evaluate(LogicalPlan.STAGED, w, r, Overrides.NONE);
    long all = CostModel.ROW_OVERHEAD_BYTES; // id, split, label
    for (LayerCost l : w.layers()) {
      all += 4 + 8 + 8 * ((l.featureFloats() + 63) / 64) + 4 * l.featureFloats(); // array<float> cell
    }
    assertEquals(1000 * all, eager.stages().get(0).heldBytes());
    for (int i = 1; i < staged.stages().size(); i++) {
      assertEquals(staged.stages().get(i).materializedBytes() + staged.stages().get(i - 1).materializedBytes(),
          staged.stages().get(i).heldBytes());
    }
  }

  @Test
  void aSmallHeapShrinksBatchAndTasksAndColumnBatchesInsteadOfCrashing() {
    Workload w = workload(false, 50_000);
    Resources r = resources(600 * MIB, 4);
    PhysicalPlan staged = Optimizer.evaluate(LogicalPlan.STAGED, w, r, Overrides.NONE);
    assertTrue(staged.fits(), staged.reason());
    assertTrue(staged.batchSize() < 32 || staged.tasksPerExecutor() < 4, staged.summary());
    assertTrue(staged.columnBatchRows() < CostModel.SPARK_COLUMN_BATCH_ROWS, staged.summary());
    assertTrue(staged.persistence() != Persistence.MEMORY_AND_DISK, staged.summary());
    // Spark's and ORT's defaults on the same heap are predicted not to fit
    PhysicalPlan defaults = Optimizer.evaluate(LogicalPlan.EAGER, w, r, Overrides.sparkDefaults(LogicalPlan.EAGER, 4));
    assertFalse(defaults.fits());
    assertTrue(defaults.reason().contains("transient heap"), defaults.reason());
  }

  @Test
  void anInt8WorkloadStoresItsActivationsAsUint8CodesUnlessTold() {
    List<LayerCost> ls = List.of(
        new LayerCost("a", "input", 13_824, 1_536, 10, 10, 13_824),
        new LayerCost("b", "a", 20_736, 2_304, 20, 10, 20_736));
    Workload int8 = new Workload(ls, "input", 27_648, MIB, 1000, 848, 0, 0, 1000,
        org.argus.model.quantize.Precision.INT8, 64);
    Workload fp32 = new Workload(ls, "input", 27_648, MIB, 1000, 848, 0, 0, 1000);
    Resources r = resources(8 * GIB, 2);
    assertEquals(org.argus.plan.MaterializedFormat.BINARY_UINT8,
        Optimizer.evaluate(LogicalPlan.STAGED, int8, r, Overrides.NONE).format());
    assertEquals(org.argus.plan.MaterializedFormat.BINARY_FLOAT32,
        Optimizer.evaluate(LogicalPlan.STAGED, fp32, r, Overrides.NONE).format());
    Overrides uint8 = new Overrides(null, null, null, null, null, null, null, null, null,
        org.argus.plan.MaterializedFormat.BINARY_UINT8);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Optimizer.optimize(fp32, r, uint8));
    assertTrue(e.getMessage().contains("runs fp32"), e.getMessage());
  }

  @Test
  void theTaskHeapFormulaIsPinnedPerMaterializedFormat() {
    // stage 2 of a staged plan reading a 13 824-float activation, computing a 20 736-float layer,
    // pooled to 2 304 features, and materializing its activation for stage 3; batch 32, 90-row column batches
    List<LayerCost> ls = List.of(
        new LayerCost("a", "input", 13_824, 1_536, 10, 10, 13_824),
        new LayerCost("b", "a", 20_736, 2_304, 20, 10, 20_736),
        new LayerCost("c", "b", 1_000, 1_000, 30, 10, 1_000));
    Workload w = new Workload(ls, "input", 27_648, MIB, 1000, 848, 0, 0, 1000);
    for (org.argus.plan.MaterializedFormat f : org.argus.plan.MaterializedFormat.values()) {
      CostModel.StageShape s = CostModel.shapes(LogicalPlan.STAGED, w, f, 0).get(1);
      // bytes a value: float32 4, a boxed Float 20 (array<float> read back), a uint8 code 1
      long inHeap = switch (f) {
        case BINARY_FLOAT32 -> 16 + 4 * 13_824;
        case ARRAY_FLOAT -> 16 + 20 * 13_824;
        case BINARY_UINT8 -> 16 + 13_824;
      };
      assertEquals(inHeap, s.inputRowHeap(), f.name());
      assertEquals(inHeap, s.readBackHeap(), f.name());
      long features = 4 + 8 + 8 * 36 + 4 * 2_304;
      long activation = switch (f) {
        case BINARY_FLOAT32 -> 4 + 4 * 20_736;
        case ARRAY_FLOAT -> 4 + 8 + 8 * 324 + 4 * 20_736;
        case BINARY_UINT8 -> 4 + 20_736;
      };
      assertEquals(features + activation + CostModel.ROW_OVERHEAD_BYTES, s.rowBytes(), f.name());
      long emitted = (16 + 4 * 2_304) + (16 + (f == org.argus.plan.MaterializedFormat.BINARY_UINT8 ? 1 : 4) * 20_736);
      assertEquals(emitted, s.emittedHeap(), f.name());
      // Spark's encoding and caching: features converted and copied (2×); a binary activation copied into
      // the row and read back three times by the column builder (4×), an array one converted and copied (2×)
      long encoded = 2 * features + (f.isBinary() ? 4 : 2) * activation
          + CostModel.ROW_OVERHEAD_BYTES;
      assertEquals(encoded, s.encodedHeap(), f.name());
      long perImage = inHeap + 4 * 13_824 + 8 * 20_736 + emitted + encoded;
      assertEquals((long) (32.0 * perImage + 90 * s.rowBytes() * CostModel.COLUMN_BUILDER_GROWTH),
          CostModel.taskHeap(s, 32, 90), f.name());
    }
    // reading a boxed array<float> back costs 5× the bytes of a binary one: the staged plan is cheaper
    // with binary activations
    Resources r = resources(8 * GIB, 2);
    double binary = Optimizer.evaluate(LogicalPlan.STAGED, w, r, Overrides.NONE).cost();
    double array = Optimizer.evaluate(LogicalPlan.STAGED, w, r, new Overrides(null, null, null, null, null, null,
        null, null, null, org.argus.plan.MaterializedFormat.ARRAY_FLOAT)).cost();
    assertTrue(array > binary, array + " vs " + binary);
  }

  @Test
  void aTasksColumnBuilderIsChargedForAtMostItsPartitionsRows() {
    // 1 000 images in 8 partitions = 125 rows a task: a 10 000-row column batch never fills
    List<LayerCost> ls = List.of(new LayerCost("a", "input", 13_824, 1_536, 10, 10, 13_824));
    Workload w = new Workload(ls, "input", 27_648, MIB, 1000, 848, 0, 0, 1000);
    Resources r = resources(8 * GIB, 2);
    CostModel.StageShape s = CostModel.shapes(LogicalPlan.EAGER, w, org.argus.plan.MaterializedFormat.DEFAULT, 0).get(0);
    for (int colRows : new int[] {10_000, 125, 40}) {
      Overrides o = new Overrides(LogicalPlan.EAGER, Persistence.MEMORY_AND_DISK, 8, 2, 1, 32, null, null, colRows);
      PhysicalPlan p = Optimizer.evaluate(LogicalPlan.EAGER, w, r, o);
      assertEquals(colRows, p.columnBatchRows(), "the plan keeps the column batch setting");
      assertEquals(CostModel.taskHeap(s, 32, Math.min(colRows, 125)), p.stages().get(0).taskHeapBytes(),
          "column batch " + colRows);
    }
  }

  @Test
  void persistenceFollowsTheStorageRegion() {
    Resources r = resources(4 * GIB, 2);
    long storage = CostModel.storageRegion(r);
    assertEquals(Persistence.MEMORY_AND_DISK, CostModel.persistenceFor(storage / 2, r));
    assertEquals(Persistence.MEMORY_AND_DISK_SER, CostModel.persistenceFor(storage * 95 / 100, r));
    assertEquals(Persistence.DISK_ONLY, CostModel.persistenceFor(storage * 19 / 10, r));
    assertEquals(Persistence.DISK_ONLY, CostModel.persistenceFor(CostModel.unifiedRegion(r) * 2, r));
    assertEquals((long) ((4 * GIB - 300 * MIB) * 0.3), storage);
  }

  @Test
  void partitionsBoundThePartitionSize() {
    Resources r = resources(4 * GIB, 2);
    assertEquals(4, CostModel.partitions(1000, 1000, r));
    // 100 000 rows of 6 710 880 bytes = 10 000 partitions of 64 MiB
    assertEquals(10_000, CostModel.partitions(100_000, 64 * MIB / 100 * 10, r));
    assertEquals(100, CostModel.partitions(100, 64 * MIB, r), "never more partitions than rows");
    assertEquals(3, CostModel.partitions(3, 1000, r));
  }

  @Test
  void everyDecisionCanBeOverridden() {
    Overrides o = new Overrides(LogicalPlan.LAZY, Persistence.DISK_ONLY, 7, 1, 2, 5,
        JoinPlacement.AFTER_INFERENCE, JoinStrategy.SHUFFLE, 100);
    Workload w = new Workload(workload(true, 1000).layers(), "input", 3 * 96 * 96, 14 * MIB, 1000, 1000, 800, 64, 800);
    Optimizer.Decision d = Optimizer.optimize(w, resources(4 * GIB, 2), o);
    PhysicalPlan p = d.chosen();
    assertEquals(LogicalPlan.LAZY, p.logical());
    assertEquals(Persistence.DISK_ONLY, p.persistence());
    assertEquals(7, p.partitions());
    assertEquals(1, p.tasksPerExecutor());
    assertEquals(2, p.ortThreads());
    assertEquals(5, p.batchSize());
    assertEquals(100, p.columnBatchRows());
    assertEquals(JoinPlacement.AFTER_INFERENCE, p.joinPlacement());
    assertEquals(JoinStrategy.SHUFFLE, p.joinStrategy());
    assertTrue(d.alternatives().get(0).reason().contains("forced"), d.alternatives().get(0).reason());
  }

  @Test
  void joinBeforeInferenceWhenTheJoinDropsImagesAndBroadcastASmallTable() {
    Workload w = new Workload(workload(true, 10_000).layers(), "input", 3 * 96 * 96, 14 * MIB,
        10_000, 30_000, 2_000, 64, 2_000);
    PhysicalPlan p = Optimizer.optimize(w, resources(4 * GIB, 2), Overrides.NONE).chosen();
    assertEquals(JoinPlacement.BEFORE_INFERENCE, p.joinPlacement());
    assertEquals(JoinStrategy.BROADCAST, p.joinStrategy());
    Workload big = new Workload(workload(true, 10_000).layers(), "input", 3 * 96 * 96, 14 * MIB,
        10_000, 30_000, 1_000_000, 1_000, 10_000);
    assertEquals(JoinStrategy.SHUFFLE, Optimizer.optimize(big, resources(4 * GIB, 2), Overrides.NONE).chosen().joinStrategy());
  }

  @Test
  void nothingFitsGivesWhatWouldFit() {
    // 50 M floats per image at the first layer: no heap of 1 GiB holds even one image's boxed row
    List<LayerCost> huge = List.of(new LayerCost("big", "input", 50_000_000L, 50_000_000L, 1_000_000L, 1_000_000L, 50_000_000L));
    Workload w = new Workload(huge, "input", 3 * 96 * 96, 14 * MIB, 1000, 1000, 0, 0, 1000);
    NoFeasiblePlanException e = assertThrows(NoFeasiblePlanException.class,
        () -> Optimizer.optimize(w, resources(1 * GIB, 2), Overrides.NONE));
    assertTrue(e.getMessage().contains("what would fit") && e.getMessage().contains("staged needs ≥"), e.getMessage());
    // forcing a plan that does not fit is obeyed, with a note
    Optimizer.Decision d = Optimizer.optimize(w, resources(1 * GIB, 2), Overrides.NONE.withPlan(LogicalPlan.STAGED));
    assertFalse(d.chosen().fits());
    assertTrue(d.explain().contains("DOES NOT FIT"), d.explain());
  }

  @Test
  void aFallbackCutFromThePixelsIsReported() {
    List<LayerCost> ls = List.of(
        new LayerCost("a", "input", 1000, 100, 10, 10, 1000),
        new LayerCost("b", "input", 1000, 100, 30, 30, 1000));
    Workload w = new Workload(ls, "input", 3 * 32 * 32, MIB, 100, 100, 0, 0, 100);
    PhysicalPlan p = Optimizer.evaluate(LogicalPlan.STAGED, w, resources(2 * GIB, 2), Overrides.NONE);
    assertTrue(p.stages().get(1).note().startsWith("fallback"), p.stages().get(1).note());
    assertEquals(30, p.stages().get(1).flopsPerImage());
    assertTrue(p.notes().get(0).contains("'b' is not computable from 'a'"), p.notes().toString());
  }
}
