package org.argus.execution.train;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.argus.runtime.train.DataParallelTrainer;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;

/**
 * The trainers of one executor JVM, pooled per run: a step task borrows one (building it on first
 * use: the model is built once per concurrent task slot, not once per step), overwrites its weights
 * or state from the broadcast, computes, and gives it back. Each trainer is used by one task at a
 * time. {@link #close(String)} frees a run's trainers (native memory) at its end.
 */
final class ExecutorTrainers {
  private static final Map<String, ConcurrentLinkedDeque<DataParallelTrainer>> POOLS =
      new ConcurrentHashMap<>();

  private ExecutorTrainers() {}

  /**
   * @param run the run's id
   * @param factory builds the trainer
   * @param config the config
   * @param seed the seed (weight init; overwritten by the broadcast anyway)
   * @return a trainer owned by the caller until {@link #giveBack}
   * @throws TrainingException if the factory fails
   * @throws IllegalArgumentException if the factory's trainers cannot train data-parallel
   */
  static DataParallelTrainer borrow(String run, TrainerFactory factory, Hyperparameters config, long seed)
      throws TrainingException {
    DataParallelTrainer t = POOLS.computeIfAbsent(run, r -> new ConcurrentLinkedDeque<>()).pollFirst();
    return t != null ? t : create(factory, config, seed);
  }

  /**
   * @param factory builds the trainer
   * @param config the config
   * @param seed the seed
   * @return a fresh data-parallel trainer
   * @throws TrainingException if the factory fails
   * @throws IllegalArgumentException if the factory's trainers are not {@link DataParallelTrainer}s
   */
  static DataParallelTrainer create(TrainerFactory factory, Hyperparameters config, long seed)
      throws TrainingException {
    Trainer t = factory.create(config, seed);
    if (t instanceof DataParallelTrainer d) {
      return d;
    }
    t.close();
    throw new IllegalArgumentException("trainers of " + factory.describe() + " ("
        + t.getClass().getSimpleName() + ") cannot train data-parallel; supported: the DJL families "
        + "mlp, cnn, head and finetune (bn=moving)");
  }

  static void giveBack(String run, DataParallelTrainer t) {
    POOLS.computeIfAbsent(run, r -> new ConcurrentLinkedDeque<>()).addFirst(t);
  }

  /** Closes and forgets every pooled trainer of {@code run}. */
  static void close(String run) {
    ConcurrentLinkedDeque<DataParallelTrainer> pool = POOLS.remove(run);
    if (pool != null) {
      pool.forEach(Trainer::close);
    }
  }
}
