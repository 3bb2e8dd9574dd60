package org.argus.surfaces.ml;

import java.io.IOException;
import java.nio.file.Files;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.SelectionResult;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.TrainerFactory;
import org.argus.store.CheckpointException;
import org.argus.store.CheckpointStore;

/**
 * The rows {@code fit} trains on, checked and converted.
 *
 * @param clean rows without null features or labels
 * @param invalid rows dropped for a null feature or label
 * @param classes K
 * @param shape per-example input shape
 * @param examples the rows as {@code [F]} or {@code [C, H, W]} float32 examples
 * @param threads PyTorch intra-op threads per unit query
 * @param fineTuning what is fine-tuned, or null for a built-in family (then {@code examples} are the
 *     rows' own features or pixels; otherwise layer L's activations, persisted until {@link #release})
 */
record TrainingData(Dataset<Row> clean, long invalid, int classes, long[] shape, JavaRDD<Example> examples,
    int threads, FineTuning fineTuning) {
  /**
   * @return the trainer factory for this data: the fine-tuning one when {@code fineTuning} is set,
   *     else the built-in {@code family}'s, with the classifier's threads
   */
  TrainerFactory factory(String family) {
    if (fineTuning != null) {
      return fineTuning.factory(classes, threads);
    }
    return DjlTrainerFactory.builtIn(family, shape, classes).withThreads(threads);
  }

  /** @return the family recorded in the fitted model: {@code finetune} or {@code family} */
  String familyName(String family) {
    return fineTuning != null ? FINETUNE : family;
  }

  /** The family name of a fine-tuned CNN in a fitted model's state. */
  static final String FINETUNE = "finetune";

  /** Drops the materialized activations (fine-tuning) once the shards are built or the fit ended. */
  void release() {
    if (fineTuning != null) {
      examples.unpersist(false);
    }
  }

  /** @return the best config's state in a finished run ({@code best/model.ckpt}) */
  static byte[] bestState(SelectionResult r) {
    try {
      return new CheckpointStore(r.runDir()).read("best/model.ckpt");
    } catch (CheckpointException e) {
      throw new IllegalStateException("cannot read the trained state in " + r.runDir() + ": " + e.getMessage(), e);
    }
  }

  /** @return a new temporary run directory (for a fit or selection without {@code runDir}) */
  static String temporaryRunDir() {
    try {
      return Files.createTempDirectory("argus-fit-").toString();
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary run directory in " + System.getProperty(
          "java.io.tmpdir") + ": " + e.getMessage() + "; set runDir", e);
    }
  }
}
