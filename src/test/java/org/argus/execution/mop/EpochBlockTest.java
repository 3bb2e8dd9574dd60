package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.api.java.JavaRDD;
import org.argus.ArgusException;
import org.argus.plan.mop.EpochRecord;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.SearchSpace;
import org.argus.store.RunDirectory;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MOP rounds the procedure decided ahead (grid search: {@code Round#decided()}) run as one round job
 * over several epochs ({@link EpochBlock}), with the results of one round job per epoch: 300
 * Fashion-MNIST images, local[2], a tiny MLP, 4 epochs.
 */
class EpochBlockTest {
  static final int EPOCHS = 4;
  @TempDir static Path tmp;
  static JavaRDD<Example> data;
  static SelectionResult perRound;
  static SelectionResult blocked;
  static int perRoundJobs;
  static int blockedJobs;

  @BeforeAll
  static void setUp() throws Exception {
    data = ModelSelectionTest.sample();
    AtomicInteger jobs = new AtomicInteger();
    perRound = counted(() -> run("per-round", 0, Set.of(), false), jobs);
    perRoundJobs = jobs.getAndSet(0);
    blocked = counted(() -> run("blocked", Long.MAX_VALUE, Set.of(), false), jobs);
    blockedJobs = jobs.get();
  }

  interface Run {
    SelectionResult run() throws ArgusException;
  }

  /** Runs {@code r} in its own job group and counts the Spark jobs it started. */
  static SelectionResult counted(Run r, AtomicInteger jobs) throws Exception {
    SparkContext sc = SparkTestSession.get().sparkContext();
    String group = "epoch-block-test-" + System.nanoTime();
    SparkListener l = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart e) {
        if (group.equals(e.properties().getProperty("spark.jobGroup.id"))) {
          jobs.incrementAndGet();
        }
      }
    };
    sc.addSparkListener(l);
    sc.setJobGroup(group, "EpochBlockTest", false);
    try {
      return r.run();
    } finally {
      sc.clearJobGroup();
      sc.listenerBus().waitUntilEmpty();
      sc.removeSparkListener(l);
    }
  }

  static SelectionResult run(String name, long roundJobMs, Set<String> faults, boolean resume)
      throws ArgusException {
    return runIn(tmp.resolve(name), roundJobMs, faults, resume);
  }

  static SelectionResult runIn(Path dir, long roundJobMs, Set<String> faults, boolean resume)
      throws ArgusException {
    return builder(dir, roundJobMs, faults, resume).build().run();
  }

  static ModelSelection.Builder builder(Path dir, long roundJobMs, Set<String> faults, boolean resume) {
    String space = ModelSelectionTest.SPACE;
    return ModelSelection.builder().setData(data).setTrainerFactory(ModelSelectionTest.MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(space), EPOCHS, Goal.maximize("accuracy")))
        .setRunDir(dir.toString()).optSpec(Map.of("space", space, "data", "fashion-mnist:300"))
        .optWorkers(2).optSeed(ModelSelectionTest.SEED).optInjectFailures(faults).optMaxAttempts(1)
        .optResume(resume).optRoundJobMs(roundJobMs);
  }

  /** trial/epoch → validation loss, from the run's {@code epochs} table. */
  static Map<String, Double> epochLosses(SelectionResult r) throws Exception {
    Map<String, Double> out = new java.util.TreeMap<>();
    for (EpochRecord e : new RunDirectory(r.runDir()).readEpochs()) {
      out.put(e.trial() + "/" + e.epoch(), e.valLoss());
    }
    return out;
  }

  @Test
  void decidedEpochsInOneRoundJobTrainWhatOneRoundJobPerEpochTrains() throws Exception {
    assertEquals(ModelSelectionTest.visits(perRound), ModelSelectionTest.visits(blocked));
    assertEquals(2 * 2 * EPOCHS, blocked.units().size(), "2 configs x 2 shards x 4 epochs: " + blocked.units());
    assertArrayEquals(ModelSelectionTest.metrics(perRound), ModelSelectionTest.metrics(blocked), 1e-9);
  }

  @Test
  void everyEpochOfTheBlockIsValidatedAndRecordedAsItsOwnRound() throws Exception {
    Map<String, Double> a = epochLosses(perRound);
    Map<String, Double> b = epochLosses(blocked);
    assertEquals(2 * EPOCHS, b.size(), "one epochs row per config and epoch: " + b);
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) {
      assertEquals(a.get(k), b.get(k), 1e-9, "validation loss of " + k);
    }
    assertEquals(EPOCHS, blocked.rounds().size(), "a round's stats per epoch: " + blocked.rounds());
  }

  @Test
  void onALocalMasterEveryDecidedEpochSharesOneSparkJob() {
    // nothing is measured before the first round: the job plans all 4 epochs and stops only at its budget
    assertEquals(EPOCHS - 1, perRoundJobs - blockedJobs,
        "Spark jobs: " + perRoundJobs + " one round job per epoch, " + blockedJobs + " with decided epochs in one");
  }

  @Test
  void aRoundJobOverItsBudgetStopsAtAnEpochAndLaterJobsTrainTheRestWithEqualResults() throws Exception {
    AtomicInteger jobs = new AtomicInteger();
    // 1 ms: the first job, planned over all 4 epochs, stops before its second; later jobs plan 1 epoch each
    SelectionResult r = counted(() -> run("over-budget", 1, Set.of(), false), jobs);
    assertEquals(perRoundJobs, jobs.get(), "one round job per epoch, the first stopped after one of its 4");
    assertEquals(ModelSelectionTest.visits(perRound), ModelSelectionTest.visits(r));
    assertArrayEquals(ModelSelectionTest.metrics(perRound), ModelSelectionTest.metrics(r), 1e-9);
    Map<String, Double> a = epochLosses(perRound);
    Map<String, Double> b = epochLosses(r);
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) {
      assertEquals(a.get(k), b.get(k), 1e-9, "validation loss of " + k);
    }
  }

  @Test
  void theFirstRoundJobPlansEveryDecidedEpochOnlyWhereJobsStopThemselves() {
    List<org.argus.select.procedure.Trial> two = List.of(trial(0), trial(1));
    org.argus.select.procedure.Round r = new org.argus.select.procedure.Round(two, Map.of(), 8);
    assertEquals(8, EpochBlock.epochsFor(r, List.of(0, 1), List.of(), 5_000, true), "a local master");
    assertEquals(1, EpochBlock.epochsFor(r, List.of(0, 1), List.of(), 5_000, false), "a cluster: nothing measured");
    assertEquals(1, EpochBlock.epochsFor(r, List.of(0, 1), List.of(), 0, true), "0 ms: one round per job");
    org.argus.select.procedure.Round many = new org.argus.select.procedure.Round(two, Map.of(), 100);
    assertEquals(EpochBlock.FIRST_JOB_EPOCHS, EpochBlock.epochsFor(many, List.of(0, 1), List.of(), 5_000, true));
  }

  private static org.argus.select.procedure.Trial trial(int id) {
    return new org.argus.select.procedure.Trial(id, new org.argus.select.space.Config(Map.of("lr", 0.1)), -1);
  }

  @Test
  void aConfigFailingInsideTheBlockDropsItsRestAndTheSurvivorsMatchThePerEpochPath() throws Exception {
    Set<String> fault = Set.of("0/2/1"); // trial 0's unit of epoch 2 on shard 1 fails; 1 try allowed
    SelectionResult a = run("fail-per-round", 0, fault, false);
    SelectionResult b = run("fail-blocked", Long.MAX_VALUE, fault, false);
    assertTrue(b.leaderboard().stream().anyMatch(e -> e.trial() == 0 && e.status().startsWith("failed")),
        b.leaderboard().toString());
    assertEquals(ModelSelectionTest.visits(a), ModelSelectionTest.visits(b));
    assertEquals(epochLosses(a).keySet(), epochLosses(b).keySet());
    assertArrayEquals(ModelSelectionTest.metrics(a), ModelSelectionTest.metrics(b), 1e-9);
  }

  @Test
  void aBlockWhoseLastEpochWasNotRecordedResumesThatEpochWithEqualResults() throws Exception {
    // a driver death at the end: the last epoch's units and epochs parts and the trials table lost
    Path c = tmp.resolve("block-resumed");
    ModelSelectionTest.copy(Path.of(java.net.URI.create(blocked.runDir())), c);
    ModelSelectionTest.deleteLastPart(c.resolve("tables/epochs"));
    ModelSelectionTest.deleteLastPart(c.resolve("tables/units"));
    ModelSelectionTest.deleteDir(c.resolve("tables/trials"));
    SelectionResult r = runIn(c, Long.MAX_VALUE, Set.of(), true);
    List<Integer> epochs = r.units().stream().map(u -> u.epoch()).distinct().toList();
    assertEquals(List.of(EPOCHS), epochs, "only the lost epoch runs again: " + r.units());
    assertEquals(4, r.units().size());
    assertArrayEquals(ModelSelectionTest.metrics(blocked), ModelSelectionTest.metrics(r), 1e-9);
  }

  @Test
  void withoutPerEpochValidationOnlyEachConfigsLastEpochIsValidatedWithEqualTraining() throws Exception {
    SelectionResult r = builder(tmp.resolve("last-only"), Long.MAX_VALUE, Set.of(), false)
        .optValidateEveryEpoch(false).build().run();
    Map<String, Double> every = epochLosses(blocked);
    Map<String, Double> last = epochLosses(r);
    assertEquals(every.keySet(), last.keySet(), "an epochs row per config and epoch either way");
    for (String k : every.keySet()) {
      int epoch = Integer.parseInt(k.substring(k.indexOf('/') + 1));
      // epoch 1 is its own job, epochs 2..4 one job; the procedure decided all 4: only epoch 4 is validated
      if (epoch == EPOCHS) {
        assertEquals(every.get(k), last.get(k), 1e-9, "validation loss of " + k);
      } else {
        assertTrue(Double.isNaN(last.get(k)), k + " inside the job is not validated: " + last.get(k));
      }
    }
    assertEquals(ModelSelectionTest.visits(blocked), ModelSelectionTest.visits(r));
    assertArrayEquals(ModelSelectionTest.metrics(blocked), ModelSelectionTest.metrics(r), 1e-9);
  }

  @Test
  void withoutPerEpochValidationOneJobPerEpochValidatesOnlyEachConfigsLastEpoch() throws Exception {
    SelectionResult r = builder(tmp.resolve("last-only-per-round"), 0, Set.of(), false)
        .optValidateEveryEpoch(false).build().run();
    Map<String, Double> every = epochLosses(perRound);
    Map<String, Double> last = epochLosses(r);
    for (String k : every.keySet()) {
      int epoch = Integer.parseInt(k.substring(k.indexOf('/') + 1));
      if (epoch == EPOCHS) {
        assertEquals(every.get(k), last.get(k), 1e-9, "validation loss of " + k);
      } else {
        assertTrue(Double.isNaN(last.get(k)), k + ": the config trains on in the next round job: " + last.get(k));
      }
    }
    assertArrayEquals(ModelSelectionTest.metrics(perRound), ModelSelectionTest.metrics(r), 1e-9);
  }

  @Test
  void withoutPerEpochValidationAJobValidatesOnlyWhenItsConfigsDecidedEpochsEndInIt() {
    assertEquals(RoundJob.Validation.NONE, EpochBlock.validation(false, 3, 8), "they train on after the job");
    assertEquals(RoundJob.Validation.LAST_EPOCH, EpochBlock.validation(false, 3, 3));
    assertEquals(RoundJob.Validation.EVERY_EPOCH, EpochBlock.validation(true, 3, 8));
  }

  @Test
  void withoutPerEpochValidationARoundTheProcedureDecidedAloneIsValidated() throws Exception {
    org.argus.select.procedure.Procedure grid = FixedEpochs.grid(SearchSpace.parse(ModelSelectionTest.SPACE), EPOCHS,
        Goal.maximize("accuracy"));
    org.argus.select.procedure.Procedure oneAtATime = new org.argus.select.procedure.Procedure() {
      @Override
      public String name() {
        return "grid, decided one round at a time";
      }

      @Override
      public Goal goal() {
        return grid.goal();
      }

      @Override
      public org.argus.select.procedure.Round next(List<org.argus.select.procedure.EpochResult> results) {
        org.argus.select.procedure.Round x = grid.next(results);
        return new org.argus.select.procedure.Round(x.train(), x.stopped(), 1);
      }

      @Override
      public List<org.argus.select.procedure.Trial> trials() {
        return grid.trials();
      }
    };
    SelectionResult r = builder(tmp.resolve("adaptive-like"), Long.MAX_VALUE, Set.of(), false)
        .setProcedure(oneAtATime).optValidateEveryEpoch(false).build().run();
    Map<String, Double> every = epochLosses(perRound);
    Map<String, Double> got = epochLosses(r);
    assertEquals(every.keySet(), got.keySet());
    for (String k : every.keySet()) { // a procedure deciding each round from the last needs every epoch's validation
      assertEquals(every.get(k), got.get(k), 1e-9, "validation loss of " + k);
    }
  }
}
