/**
 * Fused model selection: the layer (and pooling) of a pretrained CNN chosen together with the head
 * trained on it, in one search space. Vista's optimizer materializes the union of (layer, pooling)
 * feature columns the space can draw once ({@code execution.transfer}), the rows are sharded once
 * with every column of a row in the same shard, and Cerebro's model hopper parallelism ({@code
 * execution.mop}) trains every config's head on its own column ({@link
 * org.argus.execution.fusion.ViewTrainerFactory}). Cerebro's authors (Nakandala, Zhang, Kumar, VLDB
 * 2020, §7) name feature transfer as a workload model selection should absorb; {@link
 * org.argus.execution.fusion.FusedSelection} is that loop, and {@link
 * org.argus.execution.fusion.HeadTransfer} is {@code argus transfer --learner head}: one config per
 * layer over the same machinery.
 */
package org.argus.execution.fusion;
