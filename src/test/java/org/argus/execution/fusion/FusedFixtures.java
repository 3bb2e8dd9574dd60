package org.argus.execution.fusion;

import java.nio.file.Path;
import org.argus.execution.transfer.TransferSpec;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;

/** Shared set-up of small fused runs: a grid of 2 epochs per config, 2 workers of 1 thread, seed 42. */
final class FusedFixtures {
  static final long SEED = 42;

  private FusedFixtures() {}

  /**
   * @param t the transfer
   * @param space the joint space
   * @param runDir the run directory
   * @return a builder of the run (refit on: the default)
   */
  static FusedSelection.Builder grid(TransferSpec t, String space, Path runDir) {
    return FusedSelection.builder()
        .setTransfer(t)
        .setSpace(SearchSpace.parse(space))
        .setProcedure(s -> FixedEpochs.grid(s, 2, Goal.maximize("accuracy")))
        .setRunDir(runDir.toString())
        .optWorkers(2)
        .optThreads(1)
        .optSeed(SEED);
  }
}
