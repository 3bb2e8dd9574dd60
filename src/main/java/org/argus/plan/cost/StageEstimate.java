package org.argus.plan.cost;

import java.util.List;

/**
 * The cost model's estimate for one stage (one Spark query) of a physical plan.
 *
 * @param label what runs, e.g. {@code stage 2/4 block_6_expand_relu → block_13_expand_relu}
 * @param input the stage's input tensor (pixel input or a layer)
 * @param outputs the layers the stage emits
 * @param flopsPerImage FLOPs of the stage's cut per image
 * @param taskHeapBytes transient JVM heap of one task of this stage
 * @param nativeBytesPerExecutor ONNX Runtime memory per executor while this stage runs
 * @param materializedBytes bytes this stage writes to storage (cluster total, before expansion)
 * @param heldBytes bytes held in storage across the cluster while this stage runs (this stage's
 *     output plus whatever earlier output is still persisted)
 * @param note why the stage looks this way (e.g. a fallback cut from the pixels), or empty
 */
public record StageEstimate(
    String label,
    String input,
    List<String> outputs,
    long flopsPerImage,
    long taskHeapBytes,
    long nativeBytesPerExecutor,
    long materializedBytes,
    long heldBytes,
    String note) {
  /** Copies the list. */
  public StageEstimate {
    outputs = List.copyOf(outputs);
  }
}
