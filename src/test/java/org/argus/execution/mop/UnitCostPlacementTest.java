package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Columns;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MOP places configs by their trainer factory's unit costs: a config that costs as much as the
 * others together has its shard to itself at every step of every epoch (300 Fashion-MNIST images,
 * local[2], a tiny MLP).
 */
class UnitCostPlacementTest {
  static final DjlTrainerFactory MLP = DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10);

  /** The tiny MLP, with configs of {@code lr} 0.01 costing 5 and the others 1. */
  static final class Costed implements TrainerFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public Trainer create(Hyperparameters config, long seed) throws TrainingException {
      return MLP.create(config, seed);
    }

    @Override
    public byte[] average(List<byte[]> states) throws TrainingException {
      return MLP.average(states);
    }

    @Override
    public Columns columns(Hyperparameters config) {
      return MLP.columns(config);
    }

    @Override
    public double unitCost(Hyperparameters config) {
      return config.getDouble("lr", 0) == 0.01 ? 5 : 1;
    }

    @Override
    public String describe() {
      return MLP.describe() + " (lr 0.01 costs 5)";
    }
  }

  @Test
  void theCostliestConfigHasItsShardToItselfAtEveryStep(@TempDir Path dir) throws Exception {
    JavaRDD<Example> data = ModelSelectionTest.sample();
    String space = "lr=choice(0.01,0.003,0.002,0.001);width=choice(16);depth=choice(1)";
    SelectionResult r = ModelSelection.builder()
        .setData(data)
        .setTrainerFactory(new Costed())
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(space), 3, Goal.maximize("accuracy")))
        .setRunDir(dir.toString())
        .optWorkers(2)
        .optSeed(7)
        .build()
        .run();
    data.unpersist();
    int costly = r.leaderboard().stream().filter(e -> e.config().contains("lr=0.01")).findFirst().orElseThrow().trial();
    assertEquals(4 * 3 * 2, r.units().size(), "4 configs x 3 epochs x 2 shards");
    for (int epoch = 1; epoch <= 3; epoch++) {
      for (int step = 0; step < 2; step++) {
        int mine = shardAt(r.units(), costly, epoch, step);
        for (SelectionResult.Entry e : r.leaderboard()) {
          if (e.trial() != costly) {
            assertNotEquals(mine, shardAt(r.units(), e.trial(), epoch, step),
                "epoch " + epoch + " step " + step + ": trial " + e.trial() + " queues with the costliest config");
          }
        }
      }
    }
  }

  /** The shard a config visits at {@code step} of {@code epoch}: its units of the epoch in start order. */
  static int shardAt(List<UnitRecord> units, int trial, int epoch, int step) {
    return units.stream().filter(u -> u.trial() == trial && u.epoch() == epoch && u.error() == null)
        .sorted(Comparator.comparingLong(UnitRecord::startMs)).toList().get(step).shard();
  }
}
