package org.argus.execution.train;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.DataParallelTrainer;
import org.argus.runtime.train.GradientSum;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;

/**
 * Wraps a factory whose trainers fail the next {@link #failures} gradient computations of partition
 * 0 in this JVM with {@code injected failure} (local mode: the tasks run here), so each failure
 * fails one step job.
 */
final class FailingFactory implements TrainerFactory {
  private static final long serialVersionUID = 1L;
  static final AtomicInteger failures = new AtomicInteger();
  private final TrainerFactory inner;

  FailingFactory(TrainerFactory inner) {
    this.inner = inner;
  }

  @Override
  public DataParallelTrainer create(Hyperparameters config, long seed) throws TrainingException {
    DataParallelTrainer t = (DataParallelTrainer) inner.create(config, seed);
    return new DataParallelTrainer() {
      @Override
      public float[][] weights() {
        return t.weights();
      }

      @Override
      public void setWeights(float[][] weights) {
        t.setWeights(weights);
      }

      @Override
      public GradientSum gradientSum(Batch batch) throws TrainingException {
        if (TaskContext.getPartitionId() == 0 && failures.getAndDecrement() > 0) {
          throw new TrainingException("injected failure", null);
        }
        return t.gradientSum(batch);
      }

      @Override
      public void applyGradient(float[][] meanGradient) throws TrainingException {
        t.applyGradient(meanGradient);
      }

      @Override
      public long step() {
        return t.step();
      }

      @Override
      public int batchSize() {
        return t.batchSize();
      }

      @Override
      public Metrics train(Iterator<Batch> batches) throws TrainingException {
        return t.train(batches);
      }

      @Override
      public Metrics evaluate(Iterator<Batch> batches) throws TrainingException {
        return t.evaluate(batches);
      }

      @Override
      public float[] predict(Batch batch) throws TrainingException {
        return t.predict(batch);
      }

      @Override
      public byte[] exportState() {
        return t.exportState();
      }

      @Override
      public void importState(byte[] state) throws TrainingException {
        t.importState(state);
      }

      @Override
      public void close() {
        t.close();
      }
    };
  }

  @Override
  public byte[] average(List<byte[]> states) throws TrainingException {
    return inner.average(states);
  }

  @Override
  public String describe() {
    return inner.describe();
  }
}
