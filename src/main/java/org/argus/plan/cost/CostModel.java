package org.argus.plan.cost;

import java.util.ArrayList;
import java.util.List;
import org.argus.plan.MaterializedFormat;

/**
 * The memory and time model of feature-transfer plans, pure Java (no Spark): given a {@link
 * Workload}, {@link Resources} and a complete set of physical choices it estimates, per stage and
 * per executor, peak JVM heap, ONNX Runtime memory, bytes materialized and a relative cost.
 *
 * <p>Structure after Vista (Nakandala &amp; Kumar, "Vista: Optimized System for Declarative Feature
 * Transfer from Deep CNNs at Scale", SIGMOD 2020, §4.2 "memory model" and §4.3 "optimizer"): the
 * executor heap is split into Spark's reserved memory, user memory (where the CNN inference and
 * the rows it builds live) and the unified execution/storage region (where materialized layers
 * live); crashes come from user memory overflowing (too many concurrent tasks × too large
 * in-flight batches) and from a materialized partition that cannot be unrolled, so the optimizer
 * bounds tasks, batch and partition size, and picks a persistence format that keeps what is held
 * within the storage region. The constants below are Spark's documented defaults or Argus's own
 * calibration (said where); the paper's constants were for its TensorFlow/Caffe runtime, not ONNX
 * Runtime.
 *
 * <p>Pooling: feature sizes come from {@code org.argus.plan.Pooling#outputDim}; Vista's published
 * code computed each 2×2 max-pool bin over its last row only, Argus's {@code Pooling} takes every
 * row and column of the bin, so feature values (not sizes) differ from the published code.
 *
 * <h2>Formulas (per executor; {@code t} tasks, {@code b} batch, {@code r} column-batch rows, at most a partition's rows: a column batch ends with its partition)</h2>
 *
 * <p>Sizes of materialized cells come from the plan's {@link MaterializedFormat} — the same value
 * the executor encodes with — so the model charges what runs: a {@code binary} activation is 4
 * bytes a value stored and read back as one {@code byte[]}; an {@code array<float>} activation is
 * read back as boxed {@code Float}s ({@link MaterializedFormat#BOXED_FLOAT_BYTES} each).
 *
 * <ul>
 *   <li>usable heap {@code U = heap − RESERVED_BYTES}; storage region {@code S = U ·
 *       MEMORY_FRACTION · STORAGE_FRACTION}; unified region {@code M = U · MEMORY_FRACTION}.
 *   <li>row bytes of a stage's output in the columnar cache: {@code Σ featureCellBytes(fₗ) +
 *       activationCellBytes(o) (when the next stage reads it) + kept columns + ROW_OVERHEAD_BYTES}.
 *   <li>task heap of a stage reading {@code in} floats per image (from an input row of {@code h}
 *       heap bytes: the decoded image, or {@code activationReadHeapBytes(in)}) and fetching {@code o}
 *       floats of graph outputs per image: {@code b · (h + 4·in + 2·4·o + emitted + encoded) + r ·
 *       row · COLUMN_BUILDER_GROWTH}, where {@code 4·in} is the batch's input buffer, {@code 2·4·o}
 *       ONNX Runtime's output copied to a heap buffer and then to a {@code float[]}, {@code emitted}
 *       the per-row feature and activation arrays the kernel builds (4 bytes a value plus an array
 *       header each), {@code encoded} what Spark allocates encoding and caching the row ({@code
 *       featureEncodeHeapBytes}, {@code activationEncodeHeapBytes}: a JFR allocation profile found
 *       the binary activation copied four times); the last term is the cached column batch being
 *       built. Checked against the per-task allocation measured in every batch cycle ({@code
 *       bench/results/transfer.md}, EXPLAIN ANALYZE).
 *   <li>fits when {@code t · taskHeap ≤ TASK_HEAP_SHARE · (U − held in memory)} and ORT memory
 *       {@code sessions + t·b·peakTensor·4·ORT_WORKSPACE_FACTOR ≤ native budget}.
 *   <li>held bytes: lazy — one layer's output; eager — all layers' features; staged — two
 *       consecutive stages' outputs (features plus the activation the next stage reads).
 *   <li>persistence: {@code MEMORY_AND_DISK} when held·DESERIALIZED_EXPANSION ≤ S, else {@code
 *       MEMORY_AND_DISK_SER} when held ≤ S, else {@code DISK_ONLY}. A cached DataFrame's column
 *       batches are already byte arrays, so serializing them saves only the object overhead and
 *       needs a second copy of the partition while it is unrolled; measured here, a 1 GiB heap
 *       that survived {@code MEMORY_AND_DISK} (spilling) died of {@code OutOfMemoryError} with
 *       {@code MEMORY_AND_DISK_SER} for unpooled MobileNetV2 features. So data larger than the
 *       storage region goes straight to {@code DISK_ONLY}.
 *   <li>partitions: {@code max(2·cores, ⌈rows · rowBytes / PARTITION_TARGET_BYTES⌉)}, capped at rows.
 *   <li>cost: {@code Σ stages FLOPs/image · rows + BYTE_FLOPS · (bytes written + heap bytes read
 *       back)} (+ {@code DISK_BYTE_FLOPS} per byte for DISK_ONLY); joins add {@code BYTE_FLOPS} per
 *       byte shuffled. Read-back is charged at its heap size, so boxed activations cost 5× binary.
 * </ul>
 */
final class CostModel {
  private CostModel() {}

  /** Spark's reserved system memory, 300 MiB ({@code RESERVED_SYSTEM_MEMORY_BYTES}, UnifiedMemoryManager). */
  public static final long RESERVED_BYTES = 300L << 20;

  /** {@code spark.memory.fraction} default: share of usable heap for execution + storage. */
  public static final double MEMORY_FRACTION = 0.6;

  /** {@code spark.memory.storageFraction} default: share of the unified region protected for storage. */
  public static final double STORAGE_FRACTION = 0.5;

  /**
   * Bytes per cached row besides its cells: the id ({@code long}), the split ({@code string},
   * dictionary-encoded) and the label ({@code double}) columns and the null bitmaps (Argus's
   * calibration against Spark's storage status).
   */
  public static final long ROW_OVERHEAD_BYTES = 24;

  /** Column builders of a cached relation grow by doubling: up to 2× the batch's bytes at once. */
  public static final double COLUMN_BUILDER_GROWTH = 2.0;

  /** Share of the heap left to tasks that the optimizer lets them use (headroom for GC and Spark). */
  public static final double TASK_HEAP_SHARE = 0.7;

  /** ORT working memory per image as a multiple of the largest activation (input, output, scratch). */
  public static final double ORT_WORKSPACE_FACTOR = 3.0;

  /** Deserialized cached column batches take ~20 % more than their raw floats (object headers, stats). */
  public static final double DESERIALIZED_EXPANSION = 1.2;

  /** Target bytes of one materialized partition (Vista §4.3 bounds partition size; Argus's value). */
  public static final long PARTITION_TARGET_BYTES = 64L << 20;

  /** Target bytes of one in-memory column batch, so building it never needs more than ~2× this. */
  public static final long COLUMN_BATCH_TARGET_BYTES = 8L << 20;

  /** Spark's default {@code spark.sql.inMemoryColumnarStorage.batchSize}. */
  public static final int SPARK_COLUMN_BATCH_ROWS = 10_000;

  /**
   * FLOP-equivalents per byte materialized or read back through Spark rows (Argus's calibration on
   * a 2-core x86 machine: ORT ≈ 30 GFLOP/s vs ≈ 300 MB/s for boxing, encoding and caching floats).
   */
  public static final double BYTE_FLOPS = 100;

  /** Extra FLOP-equivalents per byte when it goes through the disk ({@code DISK_ONLY} or spills). */
  public static final double DISK_BYTE_FLOPS = 50;

  /** @return usable heap {@code heap − RESERVED_BYTES} */
  public static long usableHeap(Resources r) {
    return r.heapBytesPerExecutor() - RESERVED_BYTES;
  }

  /** @return the protected storage region {@code U·MEMORY_FRACTION·STORAGE_FRACTION} */
  public static long storageRegion(Resources r) {
    return (long) (usableHeap(r) * MEMORY_FRACTION * STORAGE_FRACTION);
  }

  /** @return the unified execution+storage region {@code U·MEMORY_FRACTION} */
  public static long unifiedRegion(Resources r) {
    return (long) (usableHeap(r) * MEMORY_FRACTION);
  }

  /**
   * Transient heap of one inference task (see the class formulas).
   *
   * @param inputRowHeap heap bytes of one input row's image or activation as the task reads it
   * @param inFloats floats of the graph input per image (pixels or the previous activation)
   * @param ortOutFloats floats ONNX Runtime returns per image (every fetched output)
   * @param emittedHeap heap bytes of the arrays the kernel builds per image (features, activation)
   * @param encodedHeap heap bytes Spark allocates per row to encode and cache it
   * @param rowBytes bytes of one output row as cached
   * @param batch images per ORT call
   * @param columnBatchRows rows per cached column batch (0 when the output is not cached)
   * @return bytes
   */
  static long taskHeap(long inputRowHeap, long inFloats, long ortOutFloats, long emittedHeap, long encodedHeap,
      long rowBytes, int batch, int columnBatchRows) {
    double perImage = inputRowHeap + 4.0 * inFloats + 2 * 4.0 * ortOutFloats + emittedHeap + encodedHeap;
    return (long) (batch * perImage + columnBatchRows * rowBytes * COLUMN_BUILDER_GROWTH);
  }

  /** @return the task heap of stage {@code s} at batch {@code b} and column batch {@code r} rows */
  static long taskHeap(StageShape s, int b, int r) {
    return taskHeap(s.inputRowHeap(), s.inFloats(), s.ortOutFloats(), s.emittedHeap(), s.encodedHeap(),
        s.rowBytes(), b, r);
  }

  /**
   * @param rowBytes bytes of one cached row
   * @return rows per column batch so one batch holds about {@link #COLUMN_BATCH_TARGET_BYTES}
   *     (between 1 and Spark's default 10 000)
   */
  public static int columnBatchRows(long rowBytes) {
    long rows = COLUMN_BATCH_TARGET_BYTES / Math.max(1, rowBytes);
    return (int) Math.max(1, Math.min(SPARK_COLUMN_BATCH_ROWS, rows));
  }

  /**
   * @param held bytes held across the cluster
   * @param r resources
   * @return the cheapest persistence whose in-memory footprint fits (see the class formulas)
   */
  public static Persistence persistenceFor(long held, Resources r) {
    double perExec = (double) held / r.executors();
    if (perExec * DESERIALIZED_EXPANSION <= storageRegion(r)) {
      return Persistence.MEMORY_AND_DISK;
    }
    if (perExec <= storageRegion(r)) {
      // fits only without the deserialized objects' overhead
      return Persistence.MEMORY_AND_DISK_SER;
    }
    return Persistence.DISK_ONLY;
  }

  /**
   * @param held bytes held across the cluster
   * @param p persistence
   * @param r resources
   * @return bytes of that held data on one executor's heap
   */
  public static long heldOnHeap(long held, Persistence p, Resources r) {
    double perExec = (double) held / r.executors();
    return switch (p) {
      case MEMORY_AND_DISK -> (long) Math.min(perExec * DESERIALIZED_EXPANSION, unifiedRegion(r));
      case MEMORY_AND_DISK_SER -> (long) Math.min(perExec, storageRegion(r));
      case DISK_ONLY -> 0;
    };
  }

  /**
   * @param rows rows to materialize
   * @param rowBytes bytes per row of the largest materialized layer
   * @param r resources
   * @return {@code max(2·cores, ⌈rows·rowBytes/PARTITION_TARGET_BYTES⌉)}, at most {@code rows}, at least 1
   */
  public static int partitions(long rows, long rowBytes, Resources r) {
    long bySize = (long) Math.ceil((double) rows * rowBytes / PARTITION_TARGET_BYTES);
    long n = Math.max(2L * r.totalCores(), bySize);
    return (int) Math.max(1, Math.min(n, Math.max(1, rows)));
  }

  /** @return {@code bytes} as {@code 12.3 MiB} ({@link ByteSize#format}) */
  static String bytes(long bytes) {
    return ByteSize.format(bytes);
  }

  /**
   * Shape of a plan's stages: for each Spark query, its input, the layers it emits and what it
   * reads, computes, emits and caches per image.
   *
   * @param input the stage's input tensor
   * @param outputs the layers it emits
   * @param fromPixels whether it reads the images
   * @param emitsActivation whether it also materializes its layer's activation (the next stage reads it)
   * @param inFloats floats of the graph input per image
   * @param inputRowHeap heap bytes of one input row's image or activation as read
   * @param ortOutFloats floats ONNX Runtime returns per image
   * @param emittedHeap heap of the arrays the kernel builds per image
   * @param encodedHeap heap Spark allocates per row to encode and cache it
   * @param rowBytes bytes of one output row as cached (format cell sizes + kept columns + overhead)
   * @param readBackHeap heap bytes read back per image from the previous stage (0 from pixels)
   * @param flops FLOPs per image of the stage's cut
   * @param peakTensorFloats the largest activation inside the cut, floats per image
   * @param note why the stage looks this way, or empty
   */
  record StageShape(String input, List<LayerCost> outputs, boolean fromPixels, boolean emitsActivation,
      long inFloats, long inputRowHeap, long ortOutFloats, long emittedHeap, long encodedHeap, long rowBytes,
      long readBackHeap,
      long flops, long peakTensorFloats, String note) {}

  /**
   * @param plan the logical plan
   * @param w the workload
   * @param f how activations are materialized
   * @param keptBytes bytes of the columns every row carries besides its cells (e.g. joined
   *     structured columns), 0 for none
   * @return the queries {@code plan} runs, in order
   */
  static List<StageShape> shapes(LogicalPlan plan, Workload w, MaterializedFormat f, long keptBytes) {
    List<StageShape> out = new ArrayList<>();
    List<LayerCost> ls = w.layers();
    long pixelsHeap = w.imageBytesPerRow();
    long overhead = ROW_OVERHEAD_BYTES + keptBytes;
    switch (plan) {
      case LAZY -> {
        for (LayerCost l : ls) {
          out.add(new StageShape(w.pixelInput(), List.of(l), true, false, w.pixelFloats(), pixelsHeap,
              l.activationFloats(), featureHeap(l.featureFloats()), f.featureEncodeHeapBytes(l.featureFloats()) + overhead,
              f.featureCellBytes(l.featureFloats()) + overhead, 0, l.flopsFromPixels(), l.peakTensorFloats(), ""));
        }
      }
      case EAGER -> {
        LayerCost top = ls.get(ls.size() - 1);
        long act = 0;
        long emitted = 0;
        long encoded = overhead;
        long row = overhead;
        long peak = 0;
        for (LayerCost l : ls) {
          act += l.activationFloats();
          emitted += featureHeap(l.featureFloats());
          encoded += f.featureEncodeHeapBytes(l.featureFloats());
          row += f.featureCellBytes(l.featureFloats());
          peak = Math.max(peak, l.peakTensorFloats());
        }
        out.add(new StageShape(w.pixelInput(), ls, true, false, w.pixelFloats(), pixelsHeap, act, emitted, encoded,
            row, 0, top.flopsFromPixels(), peak, ""));
      }
      case STAGED -> {
        for (int i = 0; i < ls.size(); i++) {
          LayerCost l = ls.get(i);
          boolean last = i == ls.size() - 1;
          boolean fromPixels = l.stagedInput().equals(w.pixelInput());
          boolean emitAct = !last && !ls.get(i + 1).stagedInput().equals(w.pixelInput());
          long in = fromPixels ? w.pixelFloats() : ls.get(i - 1).activationFloats();
          long inHeap = fromPixels ? pixelsHeap : f.activationReadHeapBytes(in);
          String note = fromPixels && i > 0
              ? "fallback: '" + l.layer() + "' is not computable from '" + ls.get(i - 1).layer()
                  + "' alone, cut from the pixels"
              : "";
          long emitted = featureHeap(l.featureFloats()) + (emitAct ? f.activationWriteHeapBytes(l.activationFloats()) : 0);
          boolean laterNeedsPixels = ls.subList(i + 1, ls.size()).stream()
              .anyMatch(x -> x.stagedInput().equals(w.pixelInput()));
          long row = f.featureCellBytes(l.featureFloats()) + (emitAct ? f.activationCellBytes(l.activationFloats()) : 0)
              + overhead + (laterNeedsPixels ? w.imageBytesPerRow() : 0);
          long encoded = f.featureEncodeHeapBytes(l.featureFloats()) + overhead
              + (emitAct ? f.activationEncodeHeapBytes(l.activationFloats()) : 0)
              + (laterNeedsPixels ? w.imageBytesPerRow() : 0);
          out.add(new StageShape(l.stagedInput(), List.of(l), fromPixels, emitAct, in, inHeap, l.activationFloats(),
              emitted, encoded, row, fromPixels ? 0 : inHeap, fromPixels ? l.flopsFromPixels() : l.flopsStaged(),
              l.peakTensorFloats(), note));
        }
      }
      default -> throw new IllegalStateException("unreachable");
    }
    return out;
  }

  /** @return heap of one pooled-features {@code float[]} of {@code floats} values */
  static long featureHeap(long floats) {
    return MaterializedFormat.ARRAY_HEADER_BYTES + 4 * floats;
  }
}
