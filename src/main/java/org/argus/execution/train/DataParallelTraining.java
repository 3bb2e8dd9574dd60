package org.argus.execution.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.argus.execution.mop.Example;
import org.argus.runtime.train.DataParallelTrainer;
import org.argus.runtime.train.GradientSum;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainerStates;
import org.argus.runtime.train.TrainingException;
import org.argus.store.CheckpointException;
import org.argus.store.CheckpointStore;

/**
 * Data-parallel training of one model on Spark: synchronous mini-batch SGD as MLlib's {@code
 * GradientDescent.runMiniBatchSGD} does it. The driver holds the model's parameters and optimizer
 * state (one {@link DataParallelTrainer}); for every step it broadcasts the weights, each cached
 * partition computes the sum of per-example gradients over its share of the global batch with DJL
 * ({@link Shards} defines the shares), {@code treeAggregate} sums them, and the driver divides by
 * the global batch and takes the optimizer step (the config's Adam or SGD). No example reaches the
 * driver: its peak memory is the model, its optimizer state, one gradient sum and the broadcast.
 *
 * <p>{@code syncEvery K > 1} is local SGD (Stich, "Local SGD converges fast and communicates
 * little", ICLR 2019; Lin et al., "Don't use large mini-batches, use local SGD", ICLR 2020): each
 * partition takes K optimizer steps on its own shares of the next K global batches starting from the
 * broadcast state, then the driver averages the partitions' states (weights and optimizer slots).
 *
 * <p>After every epoch the full state ({@link TrainCheckpoint}) is written to {@code
 * <runDir>/checkpoints/epoch-NNNN.ckpt}; {@code optResume(true)} continues from the newest one. A
 * step job that fails (after Spark's own task retries) is run once more; a second failure stops the
 * run. A non-finite loss stops the run before any parameter changes, naming the step and the last
 * good checkpoint, which is kept.
 */
public final class DataParallelTraining {
  private final Builder b;

  private DataParallelTraining(Builder b) {
    this.b = b;
  }

  /** @return a builder */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link DataParallelTraining}; {@code set…} are required, {@code opt…} optional. */
  public static final class Builder {
    private JavaRDD<Example> data;
    private TrainerFactory factory;
    private Hyperparameters config = Hyperparameters.NONE;
    private int epochs;
    private int batch;
    private String runDir;
    private int partitions;
    private int syncEvery = 1;
    private long seed = 42;
    private boolean shuffle = true;
    private boolean resume;
    private int classes;
    private TrainProgress progress = TrainProgress.SILENT;

    private Builder() {}

    /** @param data the training examples (laid out and cached by the run, never collected) */
    public Builder setData(JavaRDD<Example> data) {
      this.data = data;
      return this;
    }

    /** @param factory builds the model; its trainers must be {@link DataParallelTrainer}s */
    public Builder setTrainerFactory(TrainerFactory factory) {
      this.factory = factory;
      return this;
    }

    /** @param epochs epochs to train in total (a resumed run trains the rest), {@code >= 1} */
    public Builder setEpochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    /** @param batch the global batch: examples per optimizer step over all partitions */
    public Builder setBatch(int batch) {
      this.batch = batch;
      return this;
    }

    /** @param runDir where checkpoints go: a path or Hadoop FS URI reachable from the driver */
    public Builder setRunDir(String runDir) {
      this.runDir = runDir;
      return this;
    }

    /** @param config the model's hyperparameters (optimizer, lr, width, …) [none] */
    public Builder optConfig(Hyperparameters config) {
      this.config = config;
      return this;
    }

    /** @param partitions partitions = workers computing gradients [Spark's default parallelism] */
    public Builder optPartitions(int partitions) {
      this.partitions = partitions;
      return this;
    }

    /** @param k local steps between synchronizations [1: synchronous SGD] */
    public Builder optSyncEvery(int k) {
      this.syncEvery = k;
      return this;
    }

    /** @param seed weight init and shuffle order [42] */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** @param shuffle reshuffle each partition's rows every epoch [true] */
    public Builder optShuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** @param resume continue from the newest checkpoint in the run directory, if any [false] */
    public Builder optResume(boolean resume) {
      this.resume = resume;
      return this;
    }

    /** @param classes the model's class count, recorded in checkpoints [0: not recorded] */
    public Builder optClasses(int classes) {
      this.classes = classes;
      return this;
    }

    /** @param progress receives step and epoch progress [silent] */
    public Builder optProgress(TrainProgress progress) {
      this.progress = progress;
      return this;
    }

    /**
     * @return the run
     * @throws NullPointerException when a required value is missing
     * @throws IllegalArgumentException when epochs, batch or sync-every is below 1, partitions is
     *     negative, or the global batch is smaller than the number of partitions
     */
    public DataParallelTraining build() {
      Objects.requireNonNull(data, "data");
      Objects.requireNonNull(factory, "trainerFactory");
      Objects.requireNonNull(runDir, "runDir");
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(progress, "progress");
      if (epochs < 1) {
        throw new IllegalArgumentException("epochs must be >= 1; found " + epochs);
      }
      if (batch < 1) {
        throw new IllegalArgumentException("global batch must be >= 1; found " + batch);
      }
      if (syncEvery < 1) {
        throw new IllegalArgumentException("sync-every must be >= 1 (1: synchronous SGD); found " + syncEvery);
      }
      if (partitions < 0) {
        throw new IllegalArgumentException("partitions must be >= 1 (0: Spark's default); found " + partitions);
      }
      if (partitions == 0) {
        partitions = data.context().defaultParallelism();
      }
      if (batch < partitions) {
        throw new IllegalArgumentException("global batch " + batch + " is smaller than the "
            + partitions + " partitions: every partition needs at least one example per step; use a"
            + " batch >= " + partitions + " or at most " + batch + " workers");
      }
      return new DataParallelTraining(this);
    }
  }

  /**
   * Trains.
   *
   * @return the epochs trained, the final state and weights
   * @throws TrainingException when the loss becomes non-finite (stops; the message names the epoch,
   *     the step and the last good checkpoint), a step job fails twice, or the engine fails
   * @throws CheckpointException when a checkpoint cannot be written or read
   * @throws IllegalArgumentException when a partition holds fewer rows than its share of one
   *     global batch, or the trainers cannot train data-parallel
   * @throws IllegalStateException when resuming from a checkpoint written with other settings
   */
  public DataParallelResult run() throws TrainingException, CheckpointException {
    CheckpointStore store = new CheckpointStore(b.runDir);
    JavaRDD<Example> shards = Shards.layout(b.data, b.partitions).persist(StorageLevel.MEMORY_AND_DISK());
    StepJobs jobs = new StepJobs(shards, "dp-" + UUID.randomUUID(), b.factory, b.config, b.seed,
        b.batch, b.shuffle);
    try (DataParallelTrainer model = ExecutorTrainers.create(b.factory, b.config, b.seed)) {
      int start = 0;
      String last = null;
      if (b.resume) {
        last = latest(store);
        if (last != null) {
          TrainCheckpoint c = TrainCheckpoint.fromBytes(store.read(last), last);
          checkResumable(c, last);
          model.importState(c.state());
          start = c.epoch();
        }
      }
      int steps = stepsPerEpoch(jobs.rowsPerPartition());
      Loop loop = new Loop(jobs, model, store, steps, last);
      List<EpochMetrics> done = new ArrayList<>();
      for (int e = start + 1; e <= b.epochs; e++) {
        done.add(loop.epoch(e));
      }
      return new DataParallelResult(done, start, model.exportState(), model.weights(), model.step(),
          loop.last, loop.retries, loop.stepLosses);
    } finally {
      try {
        jobs.closeTrainers();
      } finally {
        shards.unpersist(false);
      }
    }
  }

  private int stepsPerEpoch(long[] rows) {
    long steps = Long.MAX_VALUE;
    for (int k = 0; k < rows.length; k++) {
      int share = Shards.share(b.batch, b.partitions, k);
      if (rows[k] < share) {
        throw new IllegalArgumentException("partition " + k + " holds " + rows[k] + " examples, fewer"
            + " than its share " + share + " of the global batch " + b.batch + " (" + b.partitions
            + " partitions): give more data, a smaller batch or fewer workers");
      }
      steps = Math.min(steps, rows[k] / share);
    }
    return (int) steps;
  }

  /** @return the newest {@code checkpoints/epoch-N.ckpt} in the store, null if none */
  private static String latest(CheckpointStore store) throws CheckpointException {
    String found = null;
    for (int e = 1; store.exists(TrainCheckpoint.name(e)); e++) {
      found = TrainCheckpoint.name(e);
    }
    return found;
  }

  private void checkResumable(TrainCheckpoint c, String where) {
    String ours = settings(b.seed, b.batch, b.partitions, b.syncEvery, b.factory.describe(), b.config.toString());
    String theirs = settings(c.seed(), c.globalBatch(), c.partitions(), c.syncEvery(), c.model(), c.config());
    if (!ours.equals(theirs)) {
      throw new IllegalStateException("cannot resume from " + b.runDir + "/" + where + ": it was written"
          + " with " + theirs + "; this run asks for " + ours);
    }
  }

  private static String settings(long seed, int batch, int partitions, int syncEvery, String model, String config) {
    return "seed=" + seed + ", batch=" + batch + ", partitions=" + partitions + ", sync-every="
        + syncEvery + ", model=" + model + ", config={" + config + "}";
  }

  /** The epoch loop's driver side. */
  private final class Loop {
    private final StepJobs jobs;
    private final DataParallelTrainer model;
    private final CheckpointStore store;
    private final int steps;
    private final JavaSparkContext jsc;
    String last;
    int retries;
    final List<StepLoss> stepLosses = new ArrayList<>();

    Loop(StepJobs jobs, DataParallelTrainer model, CheckpointStore store, int steps, String last) {
      this.jobs = jobs;
      this.model = model;
      this.store = store;
      this.steps = steps;
      this.last = last;
      this.jsc = JavaSparkContext.fromSparkContext(b.data.context());
    }

    EpochMetrics epoch(int e) throws TrainingException, CheckpointException {
      long t0 = System.nanoTime();
      Metrics acc = Metrics.EMPTY;
      for (int s = 0; s < steps; ) {
        int k = Math.min(b.syncEvery, steps - s);
        Metrics m = b.syncEvery == 1 ? syncStep(e, s) : localRound(e, s, k);
        acc = acc.plus(m);
        stepLosses.add(new StepLoss(model.step(), m.loss()));
        s += k;
        b.progress.step(e, b.epochs, s, steps, acc.examples() / Math.max((System.nanoTime() - t0) / 1e9, 1e-9));
      }
      String name = TrainCheckpoint.name(e);
      store.write(name, new TrainCheckpoint(e, b.seed, b.batch, b.partitions, b.syncEvery,
          b.factory.describe(), b.config.toString(), b.classes, model.exportState()).toBytes());
      last = name;
      EpochMetrics em = new EpochMetrics(e, steps, acc.examples(), acc.loss(), acc.accuracy(),
          (System.nanoTime() - t0) / 1e9);
      b.progress.epoch(em, name);
      return em;
    }

    private Metrics syncStep(int e, int s) throws TrainingException {
      Broadcast<float[][]> w = jsc.broadcast(model.weights());
      GradientSum g;
      try {
        g = retried(e, s, () -> jobs.gradient(w, e, s));
      } finally {
        w.destroy();
      }
      checkFinite(g.metrics(), e, s);
      float[][] mean = g.sum();
      for (float[] a : mean) {
        for (int j = 0; j < a.length; j++) {
          a[j] /= b.batch;
        }
      }
      model.applyGradient(mean);
      return g.metrics();
    }

    private Metrics localRound(int e, int s, int k) throws TrainingException {
      byte[] state = model.exportState();
      Broadcast<byte[]> bc = jsc.broadcast(state);
      GradientSum g;
      try {
        g = retried(e, s, () -> jobs.localRound(bc, e, s, k));
      } finally {
        bc.destroy();
      }
      checkFinite(g.metrics(), e, s);
      float[][] avg = g.sum();
      for (float[] a : avg) {
        for (int j = 0; j < a.length; j++) {
          a[j] /= b.partitions;
        }
      }
      model.importState(TrainerStates.withArrays(state, avg, model.step() + k));
      return g.metrics();
    }

    private void checkFinite(Metrics m, int e, int s) throws TrainingException {
      if (m.diverged()) {
        throw new TrainingException("loss is not finite (" + m.lossSum() + ") at epoch " + e
            + ", step " + (s + 1) + " of " + steps + " (optimizer step " + (model.step() + 1)
            + "); training stopped before changing the model; "
            + (last == null ? "no checkpoint was written yet"
                : "the last good checkpoint is " + b.runDir + "/" + last), null);
      }
    }

    private GradientSum retried(int e, int s, SparkJob job) throws TrainingException {
      try {
        return job.run();
      } catch (Exception first) {
        retries++;
        try {
          return job.run();
        } catch (Exception second) {
          throw new TrainingException("the job of epoch " + e + ", step " + (s + 1) + " failed twice"
              + " (run again once after Spark's task retries): " + second.getMessage(), second);
        }
      }
    }
  }

  /**
   * A step job. Spark's actions declare no checked exception but can throw {@code SparkException}
   * (checked) undeclared, from Scala; the caller therefore catches {@code Exception}.
   */
  @FunctionalInterface
  private interface SparkJob {
    GradientSum run();
  }
}
