package org.argus.surfaces.ml;

import java.io.IOException;
import java.nio.file.Files;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.SelectionResult;
import org.argus.runtime.train.DjlTrainerFactory;
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
 */
record TrainingData(Dataset<Row> clean, long invalid, int classes, long[] shape, JavaRDD<Example> examples,
    int threads) {
  /** @return the trainer factory of {@code family} for this data, with the classifier's threads */
  DjlTrainerFactory factory(String family) {
    return DjlTrainerFactory.builtIn(family, shape, classes).withThreads(threads);
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
