package org.argus.execution.mop;

import java.io.IOException;
import org.argus.ArgusException;
import org.argus.plan.mop.SelectionState;
import org.argus.select.procedure.Goal;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;

/**
 * A run's best config as the run directory keeps it: {@code best/model.ckpt} (a copy of the config's
 * last checkpoint, the trainer's full state) and {@code best/config.txt} (its hyperparameters, seed,
 * trainer, metric and epochs), so the winner can be reloaded and says how it was made.
 */
final class BestModel {
  private BestModel() {}

  /**
   * Writes {@code best/model.ckpt} and {@code best/config.txt}.
   *
   * @param best the leaderboard's first entry
   * @param state the run's state (the config's checkpoint and seed)
   * @param trainer the trainer factory's description ({@code TrainerFactory#describe})
   * @param goal the run's goal (names the metric)
   * @param store the run's checkpoint store
   * @param dir the run directory
   * @throws ArgusException when the checkpoint cannot be read or either file written, naming the run
   *     directory
   */
  static void write(SelectionResult.Entry best, SelectionState state, String trainer, Goal goal,
      CheckpointStore store, RunDirectory dir) throws ArgusException {
    try {
      store.write("best/model.ckpt", store.read(state.checkpoint(best.trial())));
      dir.writeText("best/config.txt", best.config() + "\nseed=" + state.seed(best.trial()) + "\ntrainer="
          + trainer + "\n" + goal.metric() + "=" + best.metric() + "\nepochs=" + best.epochs() + "\n");
    } catch (IOException e) {
      throw new ArgusException("cannot write best/config.txt in " + dir.root() + ": " + e.getMessage(), e);
    }
  }
}
