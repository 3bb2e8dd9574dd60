package org.argus.execution.fusion;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.runtime.train.Columns;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.store.CheckpointStore;

/** Confusion counts of a trained config on held-out rows, computed on the executors. */
final class Scoring {
  private Scoring() {}

  /**
   * A trained config to score.
   *
   * @param config the config
   * @param seed the trial's seed
   * @param checkpoint the checkpoint to score
   */
  record Scored(Hyperparameters config, long seed, String checkpoint) implements java.io.Serializable {}

  /**
   * @param rows held-out rows
   * @param factory the run's trainer factory
   * @param store the run's checkpoints
   * @param config the config
   * @param seed the trial's seed
   * @param checkpoint the checkpoint to score
   * @param classes K
   * @return {@code [K·K]} counts, row = true label, column = predicted (argmax; one Spark job,
   *     K² longs per partition reach the driver)
   */
  static long[] confusion(JavaRDD<Example> rows, TrainerFactory factory, CheckpointStore store, Hyperparameters config,
      long seed, String checkpoint, int classes) {
    return confusions(rows, factory, store, List.of(new Scored(config, seed, checkpoint)), classes).get(0);
  }

  /**
   * The confusion counts of several checkpoints in one Spark job: each task scores every checkpoint
   * on its partition.
   *
   * @param rows held-out rows
   * @param factory the run's trainer factory
   * @param store the run's checkpoints
   * @param scored the checkpoints, at least one
   * @param classes K
   * @return per checkpoint, in order, {@code [K·K]} counts, row = true label, column = predicted
   *     (argmax); {@code |scored|·K²} longs per partition reach the driver
   */
  static List<long[]> confusions(JavaRDD<Example> rows, TrainerFactory factory, CheckpointStore store,
      List<Scored> scored, int classes) {
    List<Scored> all = List.copyOf(scored);
    long[][] sums = rows.mapPartitions((Iterator<Example> it) -> {
      long[][] c = new long[all.size()][classes * classes];
      List<Example> part = new ArrayList<>();
      it.forEachRemaining(part::add);
      for (int j = 0; j < all.size() && !part.isEmpty(); j++) {
        Scored x = all.get(j);
        Columns columns = factory.columns(x.config());
        try (Trainer t = factory.create(x.config(), x.seed())) {
          t.importState(store.read(x.checkpoint()));
          for (int s = 0; s < part.size(); s += 256) {
            List<Example> b = part.subList(s, Math.min(part.size(), s + 256));
            float[] p = t.predict(Examples.batch(b, columns));
            for (int i = 0; i < b.size(); i++) {
              int best = 0;
              for (int k = 1; k < classes; k++) {
                if (p[i * classes + k] > p[i * classes + best]) {
                  best = k;
                }
              }
              c[j][b.get(i).label() * classes + best]++;
            }
          }
        }
      }
      return List.<long[][]>of(c).iterator();
    }).reduce((a, b) -> {
      long[][] s = new long[a.length][];
      for (int j = 0; j < a.length; j++) {
        s[j] = new long[a[j].length];
        for (int i = 0; i < s[j].length; i++) {
          s[j][i] = a[j][i] + b[j][i];
        }
      }
      return s;
    });
    return List.of(sums);
  }

  /**
   * @param c {@code [K·K]} confusion counts (row = true label)
   * @param classes K
   * @return the unweighted mean over the labels present in the rows of per-label F1 (as the
   *     transfer's Spark learner reports it)
   */
  static double macroF1(long[] c, int classes) {
    double sum = 0;
    int labels = 0;
    for (int k = 0; k < classes; k++) {
      long actual = 0;
      long predicted = 0;
      for (int j = 0; j < classes; j++) {
        actual += c[k * classes + j];
        predicted += c[j * classes + k];
      }
      if (actual == 0) {
        continue;
      }
      labels++;
      long tp = c[k * classes + k];
      double precision = predicted == 0 ? 0 : (double) tp / predicted;
      double recall = (double) tp / actual;
      sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
    return labels == 0 ? 0 : sum / labels;
  }
}
