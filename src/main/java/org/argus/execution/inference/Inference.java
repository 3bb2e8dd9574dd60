package org.argus.execution.inference;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * The facade of the one inference kernel: every surface that runs a graph over rows — feature
 * transfer's lazy, eager and staged plans, {@code DeepImageFeaturizer}, {@code
 * DeepImagePredictor}, {@code OnnxTransformer}, the batched SQL node and per-row SQL calls — goes
 * through {@link #apply} (a Spark {@code mapPartitions}) or a {@link Batches} runner, so batching,
 * session caching, {@code handleInvalid} and the invalid-input reasons are the same everywhere.
 */
public final class Inference {
  private Inference() {}

  /**
   * Runs {@code stage} over every partition of {@code input} (lazily: nothing runs until an
   * action).
   *
   * @param input rows with the columns the stage's sources read
   * @param stage what to run
   * @param counters where to count rows and invalid rows
   * @return the output rows ({@link InferenceStage#outputSchema})
   * @throws IllegalArgumentException when the output schema is invalid (a duplicated column)
   */
  public static Dataset<Row> apply(Dataset<Row> input, InferenceStage stage, Counters counters) {
    return input.mapPartitions(new PartitionFunction(stage, counters),
        Encoders.row(stage.outputSchema(input.schema())));
  }

  /**
   * As {@link #apply(Dataset, InferenceStage, Counters)}, with at most {@code tasksPerJvm} of the
   * stage's tasks running ONNX Runtime at once in an executor JVM (the optimizer's {@code
   * tasksPerExecutor}, which Spark cannot set per stage).
   *
   * @param tasksPerJvm concurrent tasks per JVM (≥ 1)
   */
  public static Dataset<Row> apply(Dataset<Row> input, InferenceStage stage, Counters counters, int tasksPerJvm) {
    if (tasksPerJvm < 1) {
      throw new IllegalArgumentException("tasks per JVM must be ≥ 1, found " + tasksPerJvm);
    }
    return input.mapPartitions(new ConcurrencyLimit(stage, counters, tasksPerJvm),
        Encoders.row(stage.outputSchema(input.schema())));
  }

  /**
   * @param stage what to run
   * @param counters where to count
   * @return a serializable runner of single batches (for SQL kernels and per-row calls); it builds
   *     its kernel on first use in each JVM
   */
  public static Batches batches(InferenceStage stage, Counters counters) {
    return new Batches(stage, counters);
  }

  /** Runs one batch of rows at a time through a stage (see {@link #batches}). */
  public static final class Batches implements Serializable {
    private static final long serialVersionUID = 1L;
    private final InferenceStage stage;
    private final Counters counters;
    private transient InferenceKernel kernel;

    Batches(InferenceStage stage, Counters counters) {
      this.stage = stage;
      this.counters = counters;
    }

    /** @return the stage this runner runs */
    public InferenceStage stage() {
      return stage;
    }

    /**
     * @param rows 1 or more input rows (any number: the kernel runs them as one batch)
     * @return the output rows in order (skipped rows left out)
     * @throws IllegalArgumentException for an invalid row under {@link HandleInvalid#ERROR}
     * @throws IllegalStateException when ONNX Runtime fails
     */
    public synchronized List<Row> run(List<Row> rows) {
      if (kernel == null) {
        kernel = new InferenceKernel(stage, counters);
      }
      return kernel.run(rows);
    }
  }

  private static final class PartitionFunction implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final InferenceStage stage;
    private final Counters counters;

    PartitionFunction(InferenceStage stage, Counters counters) {
      this.stage = stage;
      this.counters = counters;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      return new InferenceKernel(stage, counters).apply(rows);
    }
  }
}
