package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.argus.plan.mop.EpochRecord;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.EpochResult;
import org.argus.select.procedure.Goal;
import org.argus.select.procedure.Round;
import org.argus.select.procedure.Tpe;
import org.argus.select.procedure.Trial;
import org.argus.select.space.SearchSpace;
import org.argus.store.RunDirectory;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TPE end to end through MOP: 240 synthetic 4-feature rows (label = x₀ + x₁ > 0), a linear head, 2
 * shards, 6 trials of 2 epochs, 2 random startup trials, 2 kept training at once.
 */
class TpeOnMopTest {
  static final SearchSpace SPACE = SearchSpace.parse("lr=loguniform(1e-3,3e-1);batch=choice(16,32)");
  static final long SEED = 3;

  @TempDir static Path tmp;
  static SelectionResult result;
  static List<EpochRecord> epochs;

  static Tpe tpe() {
    return new Tpe(SPACE, 6, 2, 2, 2, SEED, Goal.maximize("accuracy"));
  }

  static SelectionResult run(boolean resume) throws Exception {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    SplittableRandom rng = new SplittableRandom(1);
    List<Example> rows = new ArrayList<>();
    for (int i = 0; i < 240; i++) {
      float[] x = new float[4];
      for (int k = 0; k < 4; k++) {
        x[k] = (float) (rng.nextDouble() * 2 - 1);
      }
      rows.add(new Example(x[0] + x[1] > 0 ? 1 : 0, x));
    }
    JavaRDD<Example> data = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext()).parallelize(rows, 2);
    return ModelSelection.builder().setData(data)
        .setTrainerFactory(DjlTrainerFactory.builtIn("head", new long[] {4}, 2).withThreads(1))
        .setProcedure(tpe()).setRunDir(tmp.resolve("tpe").toString()).optExecution(Execution.MOP).optWorkers(2)
        .optSeed(SEED).optResume(resume).build().run();
  }

  @BeforeAll
  static void select() throws Exception {
    result = run(false);
    epochs = new RunDirectory(tmp.resolve("tpe").toString()).readEpochs();
  }

  @Test
  void everyTrialTrainsItsEpochsWithTwoInTrainingAtATime() {
    assertEquals(6, result.leaderboard().size());
    for (SelectionResult.Entry e : result.leaderboard()) {
      assertEquals(2, e.epochs(), e.toString());
      assertEquals("finished 2 epochs", e.status());
    }
    TreeMap<Integer, Long> perRound = new TreeMap<>();
    epochs.forEach(e -> perRound.merge(e.round(), 1L, Long::sum));
    assertTrue(perRound.values().stream().allMatch(n -> n <= 2), "at most 2 trials per round: " + perRound);
    assertEquals("tpe(n=6,startup=2,epochs=2)", result.procedure());
  }

  @Test
  void theRunsTrialsAreTpesProposalsForItsRecordedValidationResults() {
    Tpe fresh = tpe();
    TreeMap<Integer, List<EpochResult>> byRound = new TreeMap<>();
    for (EpochRecord e : epochs) {
      byRound.computeIfAbsent(e.round(), r -> new ArrayList<>()).add(new EpochResult(e.trial(), e.epoch(), e.metric(), e.failed()));
    }
    List<EpochResult> fed = List.of();
    for (List<EpochResult> r : byRound.values()) {
      Round round = fresh.next(fed);
      assertEquals(round.train().stream().map(Trial::id).sorted().toList(),
          r.stream().map(EpochResult::trial).sorted().toList());
      fed = r;
    }
    assertTrue(fresh.next(fed).done());
    List<String> proposed = fresh.trials().stream().map(t -> t.config().toString()).toList();
    for (EpochRecord e : epochs) {
      assertEquals(proposed.get(e.trial()), e.config(), "trial " + e.trial());
    }
  }

  @Test
  void resumingTheFinishedRunReplaysItToTheSameLeaderboard() throws Exception {
    SelectionResult again = run(true);
    assertEquals(result.leaderboard(), again.leaderboard());
  }
}
