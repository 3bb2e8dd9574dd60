package org.argus.plan.cost;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.argus.plan.MaterializedFormat;

/**
 * Chooses a {@link PhysicalPlan} for a feature-transfer {@link Workload} on given {@link
 * Resources} (Vista §4.3 "optimizer"): for each logical plan (lazy, eager, staged) it picks the
 * join placement and strategy, the persistence, the column-batch size, the largest number of
 * concurrent tasks and the largest batch that fit the memory model of {@link CostModel}, and the
 * partitions; then it keeps the cheapest plan that fits. Every decision in {@link Overrides} is
 * obeyed as given. When no logical plan fits even at one task, batch 1 and {@code DISK_ONLY}, it
 * throws {@link NoFeasiblePlanException} saying what would fit.
 */
public final class Optimizer {
  private static final int[] BATCHES = {32, 16, 8, 4, 2, 1};

  private Optimizer() {}

  /**
   * The optimizer's choice and the alternatives it rejected.
   *
   * @param chosen the plan to run
   * @param alternatives the other logical plans, each with its estimates and why it was rejected
   *     ({@link PhysicalPlan#reason()})
   * @param workload what was costed
   * @param resources the budget
   */
  public record Decision(
      PhysicalPlan chosen, List<PhysicalPlan> alternatives, Workload workload, Resources resources) {
    /** Copies the list. */
    public Decision {
      alternatives = List.copyOf(alternatives);
    }

    /**
     * @return EXPLAIN text: the chosen plan as a tree of stages with estimated task heap, ORT
     *     memory, bytes materialized and held, then each rejected alternative and why
     */
    public String explain() {
      StringBuilder sb = new StringBuilder();
      double best = Math.max(chosen.cost(), 1);
      sb.append("EXPLAIN feature transfer: ").append(workload.layers().size()).append(" layer(s), ")
          .append(workload.imageRows()).append(" images");
      if (workload.hasTable()) {
        sb.append(", table ").append(workload.structuredRows()).append(" rows (")
            .append(workload.joinedRows()).append(" join)");
      }
      sb.append("\nresources: ").append(resources).append('\n');
      appendPlan(sb, "chosen", chosen, best);
      for (PhysicalPlan p : alternatives) {
        appendPlan(sb, "rejected", p, best);
      }
      return sb.toString();
    }

    private static void appendPlan(StringBuilder sb, String role, PhysicalPlan p, double best) {
      sb.append(String.format("%s: %s%n", role, p.summary()));
      sb.append(String.format(
          "  est. peak heap/executor %s, ORT native/executor %s, materialized %s, relative cost %.2f%s%n",
          CostModel.bytes(p.peakHeapBytesPerExecutor()), CostModel.bytes(p.peakNativeBytesPerExecutor()),
          CostModel.bytes(p.materializedBytes()), p.cost() / best,
          p.fits() ? "" : "  (DOES NOT FIT)"));
      if (!p.reason().isEmpty()) {
        sb.append("  why: ").append(p.reason()).append('\n');
      }
      for (int i = 0; i < p.stages().size(); i++) {
        StageEstimate s = p.stages().get(i);
        sb.append(i == p.stages().size() - 1 ? "  └─ " : "  ├─ ").append(s.label()).append('\n');
        sb.append(i == p.stages().size() - 1 ? "       " : "  │    ")
            .append(String.format("%.1f MFLOP/image, task heap %s, materializes %s, holds %s",
                s.flopsPerImage() / 1e6, CostModel.bytes(s.taskHeapBytes()),
                CostModel.bytes(s.materializedBytes()), CostModel.bytes(s.heldBytes())));
        if (!s.note().isEmpty()) {
          sb.append(" — ").append(s.note());
        }
        sb.append('\n');
      }
      for (String n : p.notes()) {
        sb.append("  note: ").append(n).append('\n');
      }
    }
  }

  /**
   * @param w the workload
   * @param r the resources
   * @param o the user's fixed decisions ({@link Overrides#NONE} for none)
   * @return the chosen plan and the rejected ones
   * @throws NoFeasiblePlanException when no plan is forced and none fits, with what would fit
   * @throws IllegalArgumentException when {@link MaterializedFormat#BINARY_UINT8} activations are
   *     asked of an fp32 workload (uint8 codes are an int8 stage's own quantization)
   */
  public static Decision optimize(Workload w, Resources r, Overrides o) {
    if (o.format() == MaterializedFormat.BINARY_UINT8 && w.precision() != org.argus.model.quantize.Precision.INT8) {
      throw new IllegalArgumentException("activations " + o.format().cliName() + " store an int8 plan's activations "
          + "as their uint8 codes; this transfer runs " + w.precision().paramValue() + ": use precision int8, or "
          + "activations binary-float32 or array-float");
    }
    List<PhysicalPlan> all = new ArrayList<>();
    for (LogicalPlan lp : LogicalPlan.values()) {
      all.add(evaluate(lp, w, r, o));
    }
    PhysicalPlan chosen;
    if (o.plan() != null) {
      chosen = all.stream().filter(p -> p.logical() == o.plan()).findFirst().orElseThrow();
    } else {
      chosen = all.stream().filter(PhysicalPlan::fits)
          // cheapest; on a tie prefer staged, then eager (bounded memory first)
          .min(Comparator.comparingDouble(PhysicalPlan::cost)
              .thenComparingInt(p -> -p.logical().ordinal()))
          .orElse(null);
      if (chosen == null) {
        throw new NoFeasiblePlanException(whatWouldFit(w, r, all));
      }
    }
    List<PhysicalPlan> rejected = new ArrayList<>();
    for (PhysicalPlan p : all) {
      if (p == chosen) {
        continue;
      }
      String why;
      if (o.plan() != null) {
        why = "plan forced to " + o.plan().cliName() + " by the user"
            + (p.fits() ? String.format(" (this one costs %.2f× the forced plan)", p.cost() / Math.max(1, chosen.cost()))
                : "; " + p.reason());
      } else if (!p.fits()) {
        why = p.reason();
      } else {
        why = String.format("fits but costs %.2f× the chosen plan", p.cost() / Math.max(1, chosen.cost()));
      }
      rejected.add(p.withReason(why));
    }
    if (o.plan() != null && !chosen.fits()) {
      List<String> notes = new ArrayList<>(chosen.notes());
      notes.add("forced by the user although the memory model predicts it does not fit: " + chosen.reason());
      chosen = chosen.withNotes(notes);
    }
    return new Decision(chosen, rejected, w, r);
  }

  private static String whatWouldFit(Workload w, Resources r, List<PhysicalPlan> all) {
    StringBuilder sb = new StringBuilder("no feature-transfer plan fits ").append(r)
        .append(" even with 1 task, batch 1 and DISK_ONLY:");
    for (LogicalPlan lp : LogicalPlan.values()) {
      long[] need = minimumNeeds(lp, w);
      sb.append(String.format("%n  %s needs ≥ %s heap and ≥ %s native memory per executor", lp.cliName(),
          CostModel.bytes(need[0]), CostModel.bytes(need[1])));
    }
    sb.append("\nwhat would fit: give executors that much memory (spark.executor.memory / "
        + "spark.executor.memoryOverhead, or -Xmx in local mode), or pool the features (e.g. "
        + "--pooling max:2), use a smaller input size or fewer/lower layers");
    return sb.toString();
  }

  /**
   * @param w the workload
   * @return the activation format a plan uses unless told: {@link MaterializedFormat#BINARY_UINT8}
   *     for int8 workloads (the same values from a quarter of the bytes; measured on the staged demo
   *     workload in {@code bench/results/int8.md}: 0.41× the bytes held, 0.81× the inference seconds),
   *     else {@link MaterializedFormat#DEFAULT}
   */
  static MaterializedFormat defaultFormat(Workload w) {
    return w.precision() == org.argus.model.quantize.Precision.INT8 ? MaterializedFormat.BINARY_UINT8
        : MaterializedFormat.DEFAULT;
  }

  /** @return {heap, native} bytes the plan needs per executor at 1 task, batch 1, DISK_ONLY */
  static long[] minimumNeeds(LogicalPlan lp, Workload w) {
    long heap = 0;
    long nat = 0;
    long sessions = sessionBytes(lp, w);
    for (CostModel.StageShape s : CostModel.shapes(lp, w, defaultFormat(w), 0)) {
      long th = CostModel.taskHeap(s, 1, CostModel.columnBatchRows(s.rowBytes()));
      heap = Math.max(heap, th);
      nat = Math.max(nat, sessions + (long) (s.peakTensorFloats() * 4 * CostModel.ORT_WORKSPACE_FACTOR));
    }
    return new long[] {CostModel.RESERVED_BYTES + (long) (heap / CostModel.TASK_HEAP_SHARE), nat};
  }

  private static long sessionBytes(LogicalPlan lp, Workload w) {
    // SessionCache keeps every cut's session for the JVM's lifetime: lazy caches k prefixes of the
    // model (upper bound k × model bytes), staged and eager about one model's weights in all.
    return lp == LogicalPlan.LAZY ? w.modelBytes() * w.layers().size() : w.modelBytes();
  }

  /**
   * Costs one logical plan with the best physical choices (or the overridden ones).
   *
   * @param lp the logical plan
   * @param w workload
   * @param r resources
   * @param o overrides (its {@code plan} is ignored here)
   * @return the plan with estimates; {@code fits} false with a reason when even the smallest
   *     choices do not fit
   */
  public static PhysicalPlan evaluate(LogicalPlan lp, Workload w, Resources r, Overrides o) {
    if (!w.hasTable()) {
      return evaluate(lp, w, r, o, JoinPlacement.NONE);
    }
    if (o.joinPlacement() != null && o.joinPlacement() != JoinPlacement.NONE) {
      return evaluate(lp, w, r, o, o.joinPlacement());
    }
    PhysicalPlan before = evaluate(lp, w, r, o, JoinPlacement.BEFORE_INFERENCE);
    PhysicalPlan after = evaluate(lp, w, r, o, JoinPlacement.AFTER_INFERENCE);
    if (before.fits() != after.fits()) {
      return before.fits() ? before : after;
    }
    return before.cost() <= after.cost() ? before : after;
  }

  /**
   * What a plan's stages hold and write, before the physical choices.
   *
   * @param held per stage, bytes held across the cluster while it runs
   * @param maxRowBytes the largest row of any stage's output
   * @param maxHeld the most bytes held at once
   * @param materialized bytes written over the run
   * @param readBack heap bytes read back from materialized activations over the run
   */
  private record Sizes(long[] held, long maxRowBytes, long maxHeld, long materialized, long readBack) {}

  private static Sizes sizes(LogicalPlan lp, List<CostModel.StageShape> shapes, long rows) {
    int n = shapes.size();
    long[] held = new long[n];
    long maxRowBytes = 1;
    long maxHeld = 0;
    long materialized = 0;
    long readBack = 0;
    for (int i = 0; i < n; i++) {
      CostModel.StageShape s = shapes.get(i);
      maxRowBytes = Math.max(maxRowBytes, s.rowBytes());
      long out = rows * s.rowBytes();
      materialized += out;
      // staged: two stages held; lazy and eager: the stage's own output
      held[i] = lp == LogicalPlan.STAGED && i > 0 ? out + rows * shapes.get(i - 1).rowBytes() : out;
      readBack += rows * s.readBackHeap();
      maxHeld = Math.max(maxHeld, held[i]);
    }
    return new Sizes(held, maxRowBytes, maxHeld, materialized, readBack);
  }

  private static PhysicalPlan evaluate(LogicalPlan lp, Workload w, Resources r, Overrides o,
      JoinPlacement placement) {
    MaterializedFormat format = o.format() != null ? o.format() : defaultFormat(w);
    long tableBytes = w.structuredRows() * w.structuredBytesPerRow();
    JoinStrategy strategy = placement == JoinPlacement.NONE
        ? JoinStrategy.NONE
        : o.joinStrategy() != null && o.joinStrategy() != JoinStrategy.NONE
            ? o.joinStrategy()
            : tableBytes <= r.broadcastThresholdBytes() ? JoinStrategy.BROADCAST : JoinStrategy.SHUFFLE;
    long rows = placement == JoinPlacement.BEFORE_INFERENCE ? w.joinedRows() : w.imageRows();
    List<CostModel.StageShape> shapes = CostModel.shapes(lp, w, format,
        placement == JoinPlacement.BEFORE_INFERENCE ? w.structuredBytesPerRow() : 0);
    List<String> notes = new ArrayList<>(shapes.stream().map(CostModel.StageShape::note).filter(x -> !x.isEmpty()).toList());
    Sizes z = sizes(lp, shapes, rows);
    Persistence persistence = o.persistence() != null ? o.persistence() : CostModel.persistenceFor(z.maxHeld(), r);
    int colRows = o.columnBatchRows() != null ? o.columnBatchRows() : CostModel.columnBatchRows(z.maxRowBytes());
    int partitions = o.partitions() != null ? o.partitions() : CostModel.partitions(rows, z.maxRowBytes(), r);
    // a task's column builder holds at most its partition's rows, however large the column batch
    int builderRows = (int) Math.min(colRows, Math.max(1, (rows + partitions - 1) / partitions));
    long heldHeap = CostModel.heldOnHeap(z.maxHeld(), persistence, r);
    long inputCache = w.imageRows() * w.imageBytesPerRow() / r.executors();
    long taskBudget = (long) (CostModel.TASK_HEAP_SHARE * Math.max(0, CostModel.usableHeap(r) - heldHeap - inputCache));
    long sessions = sessionBytes(lp, w);
    int cores = r.coresPerExecutor();
    int[] choice = search(shapes, o, cores, builderRows, taskBudget, sessions, r);
    int tasks = choice[0];
    int batch = choice[1];
    boolean fits = choice[2] == 1;
    long maxTaskHeap = 0;
    long maxNative = 0;
    List<StageEstimate> estimates = new ArrayList<>();
    double cost = 0;
    for (int i = 0; i < shapes.size(); i++) {
      CostModel.StageShape s = shapes.get(i);
      long th = CostModel.taskHeap(s, batch, builderRows);
      long nat = sessions + (long) (tasks * batch * s.peakTensorFloats() * 4 * CostModel.ORT_WORKSPACE_FACTOR);
      maxTaskHeap = Math.max(maxTaskHeap, th);
      maxNative = Math.max(maxNative, nat);
      List<String> outs = s.outputs().stream().map(LayerCost::layer).toList();
      String label = String.format("%s %d/%d: %s → %s [%s]", lp == LogicalPlan.LAZY ? "query" : "stage", i + 1,
          shapes.size(), s.input(), String.join(", ", outs), w.precision().paramValue());
      estimates.add(new StageEstimate(label, s.input(), outs, s.flops(), th, nat, rows * s.rowBytes(), z.held()[i],
          s.note()));
      cost += (double) s.flops() * rows * w.flopFactor();
    }
    if (w.calibrationImages() > 0) {
      long top = w.layers().get(w.layers().size() - 1).flopsFromPixels();
      cost += (double) top * w.calibrationImages();
      notes.add(String.format("int8: one fp32 calibration pass over %d images (%.1f GFLOP), stages costed at %.1f× "
          + "their FLOPs", w.calibrationImages(), top * (double) w.calibrationImages() / 1e9, w.flopFactor()));
    }
    cost += CostModel.BYTE_FLOPS * (z.materialized() + z.readBack())
        * (persistence == Persistence.DISK_ONLY ? 1 + CostModel.DISK_BYTE_FLOPS / CostModel.BYTE_FLOPS : 1);
    cost += joinCost(placement, strategy, w, r, rows, tableBytes);
    int threads = o.ortThreads() != null ? o.ortThreads() : Math.max(1, cores / tasks);
    if (tasks * threads > cores) {
      notes.add(String.format("%d tasks × %d ORT threads oversubscribe %d cores", tasks, threads, cores));
    }
    long peakHeap = CostModel.RESERVED_BYTES + inputCache + heldHeap + (long) tasks * maxTaskHeap;
    String reason = fits ? "" : whyNot(tasks, maxTaskHeap, batch, builderRows, taskBudget, maxNative, r);
    return new PhysicalPlan(lp, persistence, partitions, tasks, threads, batch, colRows, format, placement,
        strategy, estimates, peakHeap, maxNative, z.materialized(), cost, fits, reason, notes);
  }

  /** @return {tasks, batch, 1 if it fits else 0}: the most tasks, then the largest batch, that fit */
  private static int[] search(List<CostModel.StageShape> shapes, Overrides o, int cores, int colRows,
      long taskBudget, long sessions, Resources r) {
    int[] taskChoices = o.tasksPerExecutor() != null ? new int[] {o.tasksPerExecutor()} : descending(cores);
    int[] batchChoices = o.batchSize() != null ? new int[] {o.batchSize()} : BATCHES;
    for (int t : taskChoices) {
      for (int b : batchChoices) {
        if (fitsWith(shapes, t, b, colRows, taskBudget, sessions, r)) {
          return new int[] {t, b, 1};
        }
      }
    }
    return new int[] {taskChoices[taskChoices.length - 1], batchChoices[batchChoices.length - 1], 0};
  }

  private static String whyNot(int tasks, long maxTaskHeap, int batch, int colRows, long taskBudget, long maxNative,
      Resources r) {
    long need = (long) tasks * maxTaskHeap;
    return need > taskBudget
        ? String.format("%d task(s) × %s transient heap (batch %d, column batch %d rows) exceed the %s "
            + "left to tasks per executor", tasks, CostModel.bytes(maxTaskHeap), batch, colRows,
            CostModel.bytes(taskBudget))
        : String.format("ONNX Runtime needs %s per executor, %s available", CostModel.bytes(maxNative),
            CostModel.bytes(r.nativeBytesPerExecutor()));
  }

  /** The join's cost (Vista §4.2): a shuffle moves both sides, a broadcast ships the table to every executor. */
  private static double joinCost(JoinPlacement placement, JoinStrategy strategy, Workload w, Resources r, long rows,
      long tableBytes) {
    if (placement == JoinPlacement.BEFORE_INFERENCE) {
      // the structured columns ride along every materialized stage (already in the row bytes)
      return CostModel.BYTE_FLOPS * (strategy == JoinStrategy.SHUFFLE
          ? w.imageRows() * w.imageBytesPerRow() + tableBytes : tableBytes * r.executors());
    }
    if (placement == JoinPlacement.AFTER_INFERENCE) {
      long perLayer = 0;
      for (LayerCost l : w.layers()) {
        perLayer += strategy == JoinStrategy.SHUFFLE
            ? rows * MaterializedFormat.arrayCellBytes(l.featureFloats()) + tableBytes
            : tableBytes * r.executors();
      }
      // inference also ran on images the join then drops
      return CostModel.BYTE_FLOPS * perLayer;
    }
    return 0;
  }

  private static boolean fitsWith(List<CostModel.StageShape> shapes, int t, int b, int colRows,
      long taskBudget, long sessions, Resources r) {
    for (CostModel.StageShape s : shapes) {
      long th = CostModel.taskHeap(s, b, colRows);
      long nat = sessions + (long) (t * b * s.peakTensorFloats() * 4 * CostModel.ORT_WORKSPACE_FACTOR);
      if ((long) t * th > taskBudget || nat > r.nativeBytesPerExecutor()) {
        return false;
      }
    }
    return true;
  }

  private static int[] descending(int cores) {
    int[] out = new int[cores];
    for (int i = 0; i < cores; i++) {
      out[i] = cores - i;
    }
    return out;
  }
}
