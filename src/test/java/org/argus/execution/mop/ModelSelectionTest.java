package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaRDD;
import org.argus.ArgusException;
import org.argus.data.FashionMnist;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Families;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Config;
import org.argus.select.space.SearchSpace;
import org.argus.select.space.Seeds;
import org.argus.store.CheckpointStore;
import org.argus.store.RunDirectory;
import org.argus.surfaces.report.ReportJson;
import org.argus.surfaces.report.SelectionReport;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MOP and baselines on 300 Fashion-MNIST images, local[2], a tiny MLP. */
class ModelSelectionTest {
  static JavaRDD<Example> data;
  static final DjlTrainerFactory MLP = DjlTrainerFactory.builtIn("mlp", new long[] {1, 28, 28}, 10);
  static final String SPACE = "lr=choice(0.01,0.003);width=choice(16);depth=choice(1)";
  static final long SEED = 7;

  @TempDir static Path tmp;
  static SelectionResult fault_free;
  static Path dirA;
  /** The same run with one Spark job per unit query (the resume tests drop single units). */
  static SelectionResult perUnit;
  static Path dirU;

  /** @return 300 cached Fashion-MNIST training images as examples (PyTorch on 1 thread): the MOP tests' data */
  static JavaRDD<Example> sample() throws Exception {
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    return Examples.fromImages(
        FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TRAIN, 300, 3), "image", "label").cache();
  }

  @BeforeAll
  static void setUp() throws Exception {
    data = sample();
    dirA = tmp.resolve("a");
    fault_free = run(dirA, SPACE, Execution.MOP, Set.of(), false);
    dirU = tmp.resolve("u");
    perUnit = run(dirU, SPACE, Execution.MOP, Set.of(), false, false);
  }

  static SelectionResult run(Path dir, String space, Execution ex, Set<String> faults, boolean resume)
      throws ArgusException {
    return run(dir, space, ex, faults, resume, true);
  }

  static SelectionResult run(Path dir, String space, Execution ex, Set<String> faults, boolean resume,
      boolean roundJobs) throws ArgusException {
    return ModelSelection.builder()
        .setData(data)
        .setTrainerFactory(MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(space), 2, Goal.maximize("accuracy")))
        .setRunDir(dir.toString())
        .optSpec(Map.of("space", space, "data", "fashion-mnist:300"))
        .optExecution(ex)
        .optWorkers(2)
        .optSeed(SEED)
        .optInjectFailures(faults)
        .optResume(resume)
        .optRoundJobs(roundJobs)
        .build()
        .run();
  }

  static double[] metrics(SelectionResult r) {
    return r.leaderboard().stream().sorted(Comparator.comparingInt(SelectionResult.Entry::trial))
        .mapToDouble(e -> e.valLoss()).toArray();
  }

  @Test
  void mopKeepsCerebrosInvariantsAndWritesTheRunDirectory() throws Exception {
    SelectionResult r = fault_free;
    assertEquals(2, r.leaderboard().size());
    assertEquals(8, r.units().size(), "2 configs x 2 shards x 2 epochs");
    for (int trial = 0; trial < 2; trial++) {
      for (int epoch = 1; epoch <= 2; epoch++) {
        final int t = trial, e = epoch;
        List<Integer> shards = r.units().stream().filter(u -> u.trial() == t && u.epoch() == e)
            .map(UnitRecord::shard).sorted().toList();
        assertEquals(List.of(0, 1), shards, "each config visits every shard once per epoch");
      }
    }
    // a config in one place at a time; a shard runs one unit at a time
    for (UnitRecord a : r.units()) {
      for (UnitRecord b : r.units()) {
        if (a != b && (a.trial() == b.trial() || a.shard() == b.shard())) {
          assertTrue(a.endMs() <= b.startMs() || b.endMs() <= a.startMs(), a + " overlaps " + b);
        }
      }
    }
    assertEquals(240, r.shardRows().stream().mapToLong(Long::longValue).sum(), 40, "~80% train");
    assertTrue(Files.exists(dirA.resolve("best/model.ckpt")));
    assertTrue(Files.readString(dirA.resolve("best/config.txt")).contains(r.best().config()));
    RunDirectory dir = new RunDirectory(dirA.toString());
    var units = dir.table("units").readAll();
    assertEquals(8, units.size());
    assertTrue(units.get(0).get("bytes_written") instanceof Long);
    assertEquals(r.units(), dir.readUnits(), "the units table holds the typed records, in completion order");
    assertEquals(2, dir.readTrials().size());
    // Spark reads the tables too
    assertEquals(4, SparkTestSession.get().read().parquet(dirA.resolve("tables/epochs").toString()).count());
  }

  @Test
  void theSurfaceWritesAVersionedReportWithTheRunsProvenance() throws Exception {
    Path dir = tmp.resolve("report");
    copy(dirA, dir);
    SelectionResult r = new SelectionResult(dir.toUri().toString(), fault_free.spec(), fault_free.procedure(),
        fault_free.execution(), fault_free.goal(), fault_free.leaderboard(), fault_free.rounds(), fault_free.units(),
        fault_free.shardRows(), fault_free.payloadBytes(), fault_free.cachedBytes(), fault_free.test());
    SelectionReport.write(r, SelectionReport.provenance(r, SEED, Map.of("threads", "1")));
    var json = ReportJson.read(Files.readString(dir.resolve("report.json")));
    assertEquals("select", json.path("kind").asText());
    var prov = json.path("provenance");
    assertEquals(SEED, prov.path("seed").asLong());
    assertEquals(0, prov.path("models").size(), "select trains from scratch");
    for (String k : List.of("space", "data", "execution", "procedure", "goal", "seed", "validation_fraction", "trainer",
        "workers", "threads")) {
      assertTrue(prov.path("spec").has(k), k + " missing from " + prov.path("spec"));
    }
    var board = json.path("result").path("leaderboard");
    assertEquals(2, board.size());
    assertEquals(r.best().trial(), board.get(0).path("trial").asInt());
    assertEquals(r.best().valLoss(), board.get(0).path("val_loss").asDouble(), 0);
    assertEquals(8, json.path("result").path("units").asInt());
    assertTrue(Files.readString(dir.resolve("report.md")).contains("| rank |"));
  }

  @Test
  void mopEqualsSequentialSgdOverTheLoggedVisitOrder() throws Exception {
    List<List<Example>> shards = ShardLayout.layout(data, SEED, 0.2, 2, false).get(0).glom().collect();
    for (int trial = 0; trial < 2; trial++) {
      final int t = trial;
      List<UnitRecord> visits = fault_free.units().stream().filter(u -> u.trial() == t && u.error() == null)
          .sorted(Comparator.comparingLong(UnitRecord::startMs)).toList();
      Config c = FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy"))
          .next(List.of()).train().get(trial).config();
      long seed = Seeds.split(SEED, "trial", trial);
      float[] replay;
      try (Trainer tr = MLP.create(new Hyperparameters(c.values()), seed)) {
        for (UnitRecord u : visits) {
          List<Batch> b = Examples.batches(shards.get(u.shard()), tr.batchSize(), seed, u.epoch(), u.shard());
          tr.train(b.iterator());
        }
        replay = floats(tr.exportState());
      }
      float[] mop = floats(new CheckpointStore(dirA.toString()).read(visits.get(visits.size() - 1).outCkpt()));
      assertEquals(replay.length, mop.length);
      for (int i = 0; i < mop.length; i++) {
        assertEquals(replay[i], mop[i], 1e-6, "trial " + trial + " state element " + i);
      }
    }
  }

  @Test
  void eachConfigsValidationInTheRoundsSharedJobEqualsScoringItsCheckpointAlone() throws Exception {
    // the round's configs are validated by one Spark job; each must score as its own checkpoint does
    List<Example> validation = ShardLayout.layout(data, SEED, 0.2, 2, false).get(1).collect();
    for (SelectionResult.Entry e : fault_free.leaderboard()) {
      List<UnitRecord> visits = fault_free.units().stream().filter(u -> u.trial() == e.trial() && u.error() == null)
          .sorted(Comparator.comparingLong(UnitRecord::endMs)).toList();
      Config c = FixedEpochs.grid(SearchSpace.parse(SPACE), 2, Goal.maximize("accuracy"))
          .next(List.of()).train().get(e.trial()).config();
      var alone = UnitQuery.evaluate(validation.iterator(), MLP, new CheckpointStore(dirA.toString()),
          new Hyperparameters(c.values()), Seeds.split(SEED, "trial", e.trial()),
          visits.get(visits.size() - 1).outCkpt());
      assertEquals(validation.size(), alone.examples());
      assertEquals(alone.accuracy(), e.valAccuracy(), 1e-12, e.config());
      assertEquals(alone.loss(), e.valLoss(), 1e-5, e.config());
    }
  }

  static float[] floats(byte[] state) {
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(state);
    float[] out = new float[(state.length - 28) / 4];
    // compare the raw payload after the header as floats (layout is identical for equal shapes)
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getFloat(28 + 4 * i);
    }
    return out;
  }

  @Test
  void inARoundJobAUnitContinuesItsPredecessorsLiveTrainerAndTrainsWhatRestoringTheCheckpointTrains()
      throws Exception {
    long live = fault_free.units().stream().filter(u -> u.inCkpt() != null && u.bytesRead() == 0).count();
    assertTrue(live > 0, "units that continued a live trainer (no bytes read): " + fault_free.units());
    assertTrue(perUnit.units().stream().allMatch(u -> u.inCkpt() == null || u.bytesRead() > 0),
        "one job per unit query reads every input checkpoint");
    assertEquals(0, LiveStates.size(), "a finished job leaves no trainer open");
    for (int trial = 0; trial < 2; trial++) {
      assertArrayEquals(floats(finalState(perUnit, dirU, trial)), floats(finalState(fault_free, dirA, trial)),
          "trial " + trial + ": the final checkpoint, bit for bit");
    }
  }

  /** The state in a trial's last checkpoint. */
  static byte[] finalState(SelectionResult r, Path dir, int trial) throws Exception {
    String last = r.units().stream().filter(u -> u.trial() == trial && u.error() == null)
        .max(Comparator.comparingInt(UnitRecord::epoch).thenComparingLong(UnitRecord::endMs)).orElseThrow().outCkpt();
    return new RunDirectory(dir.toString()).checkpoints().read(last);
  }

  @Test
  void roundJobsTrainWhatOneJobPerUnitQueryTrains() throws Exception {
    assertArrayEquals(metrics(perUnit), metrics(fault_free), 1e-9, "same visit orders => same results");
    assertEquals(visits(perUnit), visits(fault_free));
  }

  @Test
  void aRoundJobResumedAfterItsRecordsWereLostRunsThatRoundAgainWithEqualResults() throws Exception {
    // a driver death at the end of round 2: its units ran, their records (one part) were not written
    Path c = withLastPartsLost(dirA, "resumed-round");
    SelectionResult r = run(c, SPACE, Execution.MOP, Set.of(), true);
    assertEquals(4, r.units().size(), "the round's 2 configs x 2 shards run again");
    assertTrue(r.units().stream().allMatch(u -> u.epoch() == 2 && u.error() == null), r.units().toString());
    assertArrayEquals(metrics(fault_free), metrics(r), 1e-9);
  }

  @Test
  void aRoundJobWithMoreShardsThanSlotsGivesUpAndTheRestRunsOneJobPerUnitWithEqualResults() throws Exception {
    // 3 shards on local[2]: shard 2's task cannot start while shards 0 and 1 run, so a task that
    // waits on it gives up after RoundJob.START_GRACE_MS; what is left runs one job per unit query
    SelectionResult round = ModelSelection.builder().setData(data).setTrainerFactory(MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 1, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("give-up").toString()).optWorkers(3).optSeed(SEED).build().run();
    SelectionResult perUnitJobs = ModelSelection.builder().setData(data).setTrainerFactory(MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 1, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("give-up-per-unit").toString()).optWorkers(3).optSeed(SEED).optRoundJobs(false)
        .build().run();
    assertEquals(6, round.units().size(), "2 configs x 3 shards, each once: " + round.units());
    assertEquals(6, round.units().stream().map(u -> u.trial() + "/" + u.shard()).distinct().count());
    assertArrayEquals(metrics(perUnitJobs), metrics(round), 1e-9);
  }

  /**
   * @return a copy of a finished run directory named {@code name} as a driver dying at its end
   *     leaves it: the last part of the epochs and units tables and the trials table gone
   */
  static Path withLastPartsLost(Path run, String name) throws IOException {
    Path c = tmp.resolve(name);
    copy(run, c);
    deleteLastPart(c.resolve("tables/epochs"));
    deleteLastPart(c.resolve("tables/units"));
    deleteDir(c.resolve("tables/trials"));
    return c;
  }

  /** trial → its units' {@code epoch/shard} in the order recorded. */
  static Map<Integer, List<String>> visits(SelectionResult r) {
    Map<Integer, List<String>> out = new java.util.TreeMap<>();
    for (UnitRecord u : r.units()) {
      out.computeIfAbsent(u.trial(), t -> new java.util.ArrayList<>()).add(u.epoch() + "/" + u.shard());
    }
    return out;
  }

  @Test
  void failedUnitsAreRetriedFromTheirInputCheckpointWithEqualResults() throws Exception {
    SelectionResult r = run(tmp.resolve("faults"), SPACE, Execution.MOP, Set.of("0/1/0", "1/2/1"), false);
    List<UnitRecord> failed = r.units().stream().filter(u -> u.error() != null).toList();
    assertEquals(2, failed.size());
    assertTrue(failed.get(0).error().contains("injected failure"), failed.get(0).error());
    assertEquals(10, r.units().size());
    assertArrayEquals(metrics(fault_free), metrics(r), 1e-9, "same seed => same results, faults or not");
  }

  @Test
  void resumeContinuesFromTheLastCompletedUnitsAndRefusesAnotherSpec() throws Exception {
    // simulate a driver death during epoch 2: drop the epoch-2 metrics, the last unit and the reports
    Path c = withLastPartsLost(dirU, "resumed");
    SelectionResult r = run(c, SPACE, Execution.MOP, Set.of(), true, false);
    assertEquals(1, r.units().size(), "only the lost unit query runs again");
    assertArrayEquals(metrics(fault_free), metrics(r), 1e-9);
    assertEquals(2, new RunDirectory(c.toString()).readTrials().size());
    var ex = assertThrows(ArgusException.class,
        () -> run(c, "lr=choice(0.1);width=choice(16);depth=choice(1)", Execution.MOP, Set.of(), true));
    assertTrue(ex.getMessage().contains("space: run has 'lr=choice(0.01,0.003)"), ex.getMessage());
    var ex2 = assertThrows(ArgusException.class, () -> run(c, SPACE, Execution.MOP, Set.of(), false));
    assertTrue(ex2.getMessage().contains("--resume"), ex2.getMessage());
  }

  @Test
  void trainLossOfAnEpochAfterResumeCountsTheUnitsRunBeforeTheCrash() throws Exception {
    // the driver died after its last unit query ran but before it was recorded and before epoch 2
    // was validated: that config's other epoch-2 unit is recorded, the lost one runs again
    Path c = withLastPartsLost(dirU, "resumed-train-loss");
    UnitRecord lost = perUnit.units().get(perUnit.units().size() - 1);
    assertEquals(2, lost.epoch());
    assertTrue(new RunDirectory(c.toString()).readUnits().stream()
        .anyMatch(u -> u.trial() == lost.trial() && u.epoch() == 2), "a unit of the same epoch is recorded");
    SelectionResult r = run(c, SPACE, Execution.MOP, Set.of(), true, false);
    assertEquals(List.of(lost.shard()), r.units().stream().map(UnitRecord::shard).toList());
    Map<Integer, Double> expected = epoch2TrainLoss(dirU);
    Map<Integer, Double> resumed = epoch2TrainLoss(c);
    assertEquals(expected.keySet(), resumed.keySet());
    for (int trial : expected.keySet()) {
      assertEquals(expected.get(trial), resumed.get(trial), 1e-12, "epoch 2 train_loss of trial " + trial);
    }
  }

  static Map<Integer, Double> epoch2TrainLoss(Path dir) throws IOException {
    Map<Integer, Double> m = new java.util.TreeMap<>();
    for (EpochRecord e : new RunDirectory(dir.toString()).readEpochs()) {
      if (e.epoch() == 2) {
        m.put(e.trial(), e.trainLoss());
      }
    }
    return m;
  }

  @Test
  void baselinesRunThroughTheSameApi() throws Exception {
    String one = "lr=choice(0.01);width=choice(16);depth=choice(1)";
    SelectionResult mop = run(tmp.resolve("b-mop"), one, Execution.MOP, Set.of(), false);
    SelectionResult seq = run(tmp.resolve("b-seq"), one, Execution.SEQUENTIAL, Set.of(), false);
    SelectionResult tp = run(tmp.resolve("b-tp"), one, Execution.TASK_PARALLEL, Set.of(), false);
    SelectionResult bsp = run(tmp.resolve("b-bsp"), one, Execution.BSP, Set.of(), false);
    assertArrayEquals(metrics(mop), metrics(seq), 1e-9, "one config: MOP's visit order is sequential's");
    assertEquals(2 * mop.payloadBytes(), tp.payloadBytes(), "task-parallel stores one copy per worker");
    double measured = (double) tp.cachedBytes() / mop.cachedBytes();
    assertTrue(measured > 1.8 && measured < 2.2, "Spark's block manager: task-parallel / MOP = " + measured);
    assertTrue(mop.cachedBytes() > 0.9 * mop.payloadBytes(), mop.cachedBytes() + " vs " + mop.payloadBytes());
    assertEquals(2, tp.units().size(), "one full-data unit per epoch");
    assertEquals(4, bsp.units().size());
    for (SelectionResult r : List.of(mop, seq, tp, bsp)) {
      assertTrue(r.best().valAccuracy() > 0.2, r.execution() + " " + r.best());
    }
  }

  @Test
  void aThrowingTrainerFailsItsConfigAndTheRunContinues() throws Exception {
    DjlTrainerFactory flaky = new DjlTrainerFactory("flaky", (cfg, classes) -> {
      if (cfg.getInt("width", 0) == 13) {
        throw new IllegalStateException("no model of width 13");
      }
      return Families.get("mlp").build(cfg, classes);
    }, new long[] {1, 28, 28}, 10);
    SelectionResult r = ModelSelection.builder().setData(data).setTrainerFactory(flaky)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse("width=choice(13,16);depth=choice(1)"), 1, Goal.minimize("loss")))
        .setRunDir(tmp.resolve("flaky").toString()).optWorkers(2).optMaxAttempts(2).build().run();
    SelectionResult.Entry bad = r.leaderboard().stream().filter(e -> e.trial() == 0).findFirst().orElseThrow();
    assertTrue(bad.status().contains("no model of width 13"), bad.status());
    assertTrue(Double.isNaN(bad.metric()));
    assertEquals(1, r.best().trial());
    assertThrows(IllegalArgumentException.class, () -> ModelSelection.builder().setData(data.sample(false, 0.001, 1))
        .setTrainerFactory(MLP).setProcedure(FixedEpochs.grid(SearchSpace.parse("width=choice(4)"), 1, Goal.minimize("loss")))
        .setRunDir(tmp.resolve("tiny").toString()).optWorkers(8).build().run());
  }

  @Test
  @Tag(FaultRecorder.TAG)
  void aCorruptedCheckpointFailsItsConfigWithTheReason() throws Exception {
    Path dir = tmp.resolve("corrupt");
    SelectionResult r = ModelSelection.builder().setData(data).setTrainerFactory(MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 1, Goal.maximize("accuracy")))
        .setRunDir(dir.toString()).optWorkers(2).optSeed(SEED).optRoundJobs(false)
        .optListener(u -> {
          if (u.trial() == 0 && u.inCkpt() == null && u.error() == null) {
            try { // flip one payload byte of trial 0's first checkpoint (and drop Hadoop's .crc)
              Path f = dir.resolve(u.outCkpt());
              Files.deleteIfExists(f.resolveSibling("." + f.getFileName() + ".crc"));
              byte[] raw = Files.readAllBytes(f);
              raw[raw.length / 2] ^= 1;
              Files.write(f, raw);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        })
        .build().run();
    SelectionResult.Entry bad = r.leaderboard().stream().filter(e -> e.trial() == 0).findFirst().orElseThrow();
    assertTrue(bad.status().contains("SHA-256 mismatch"), bad.status());
    assertEquals(1, r.best().trial(), "the other config finished");
    List<UnitRecord> failed = r.units().stream().filter(u -> u.error() != null).toList();
    assertTrue(failed.stream().allMatch(u -> u.trial() == 0), "only the corrupted config's units failed: " + failed);
    EpochRecord other = new RunDirectory(dir.toString()).readEpochs().stream().filter(e -> e.trial() == 1)
        .findFirst().orElseThrow();
    EpochRecord clean = new RunDirectory(dirA.toString()).readEpochs().stream()
        .filter(e -> e.trial() == 1 && e.epoch() == 1).findFirst().orElseThrow();
    assertEquals(clean.valLoss(), other.valLoss(), 0.0, "the other config's epoch 1 equals the fault-free run's");
    assertEquals(clean.valAccuracy(), other.valAccuracy(), 0.0);
    FaultRecorder.record(FaultRecorder.Group.PROCESSES,
        "checkpoint corrupted between two unit queries of a selection (one payload byte flipped)",
        "the config's next unit query failed " + failed.size() + " attempts (" + failed.get(0).error()
            .replace("file:" + dir, "RUN") + "); that config is marked " + bad.status().replace("file:" + dir, "RUN")
            + "; the run went on",
        "no: the other config's epoch 1 (val loss " + other.valLoss() + ", accuracy " + other.valAccuracy()
            + ") equals the fault-free run's");
  }

  @Test
  void testRowsScoreEveryFinishedConfigAndEmptyTestRowsScoreNone() throws Exception {
    String space = SPACE;
    JavaRDD<Example> held = data.sample(false, 0.3, 5);
    for (JavaRDD<Example> test : List.of(held, data.filter(e -> false))) {
      SelectionResult r = ModelSelection.builder().setData(data).setTrainerFactory(MLP)
          .setProcedure(FixedEpochs.grid(SearchSpace.parse(space), 1, Goal.maximize("accuracy")))
          .setRunDir(tmp.resolve("test-rows-" + System.nanoTime()).toString()).optWorkers(2)
          .optSeed(SEED).optTestData(test).build().run();
      long rows = test.count();
      assertEquals(rows == 0 ? Set.of() : Set.of(0, 1), r.test().keySet(), rows + " test rows");
      r.test().values().forEach(t -> assertEquals(rows, t.rows()));
    }
  }

  @Test
  void testScoresGiveTheMacroF1OfEachConfigsArgmaxPredictions() throws Exception {
    JavaRDD<Example> test = data.sample(false, 0.3, 11);
    SelectionResult r = ModelSelection.builder().setData(data).setTrainerFactory(MLP)
        .setProcedure(FixedEpochs.grid(SearchSpace.parse(SPACE), 1, Goal.maximize("accuracy")))
        .setRunDir(tmp.resolve("test-f1").toString()).optWorkers(2).optSeed(SEED).optTestData(test).build().run();
    List<Example> rows = test.collect();
    CheckpointStore store = new CheckpointStore(r.runDir());
    for (SelectionResult.Entry e : r.leaderboard()) {
      UnitRecord last = r.units().stream().filter(u -> u.trial() == e.trial() && u.error() == null)
          .max(Comparator.comparingLong(UnitRecord::endMs)).orElseThrow();
      long[] tp = new long[10];
      long[] fp = new long[10];
      long[] fn = new long[10];
      // the architecture of every config of SPACE (lr does not change predictions)
      try (Trainer t = MLP.create(new Hyperparameters(Map.of("width", 16L, "depth", 1L)), 0)) {
        t.importState(store.read(last.outCkpt()));
        float[] p = t.predict(Examples.batch(rows, org.argus.runtime.train.Columns.all()));
        for (int i = 0; i < rows.size(); i++) {
          int pred = 0;
          for (int k = 1; k < 10; k++) {
            pred = p[i * 10 + k] > p[i * 10 + pred] ? k : pred;
          }
          int y = rows.get(i).label();
          if (pred == y) {
            tp[y]++;
          } else {
            fp[pred]++;
            fn[y]++;
          }
        }
      }
      double sum = 0;
      int present = 0;
      for (int k = 0; k < 10; k++) {
        if (tp[k] + fn[k] > 0) { // labels present in the test rows
          present++;
          sum += 2.0 * tp[k] / (2.0 * tp[k] + fp[k] + fn[k]);
        }
      }
      SelectionResult.TestScore s = r.test().get(e.trial());
      assertEquals(sum / present, s.macroF1(), 1e-12, "trial " + e.trial());
      assertEquals(java.util.Arrays.stream(tp).sum() / (double) rows.size(), s.accuracy(), 1e-12);
    }
  }

  @Test
  void macroF1AveragesTheF1OfTheLabelsPresentOnly() {
    long[] c = { // rows: true label 0..3 (3 never occurs); columns: predicted
        2, 1, 0, 0,
        0, 3, 0, 0,
        1, 0, 0, 0,
        0, 0, 0, 0};
    // label 0: P 2/3, R 2/3; label 1: P 3/4, R 1; label 2: never predicted, F1 0; label 3 absent
    assertEquals((2.0 / 3 + 6.0 / 7 + 0) / 3, TestScoring.macroF1(c, 4), 1e-15);
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(d);
        } else {
          Files.copy(p, d);
        }
      }
    }
  }

  static void deleteLastPart(Path dir) throws IOException {
    List<Path> parts = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().startsWith("part-")).forEach(parts::add);
    }
    parts.sort(null);
    Files.delete(parts.get(parts.size() - 1));
  }

  static void deleteDir(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
