package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.argus.plan.mop.SelectionState;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.store.CheckpointStore;

/**
 * Scores finished trials on held-out test rows in one Spark job: each task restores every trial's
 * last checkpoint once and computes, on its partition, the loss and accuracy sums ({@link
 * Trainer#evaluate}) and the confusion counts of the argmax predictions ({@link Trainer#predict}),
 * from which {@link #macroF1} follows. The counts of all partitions reach the driver ({@code
 * trials · K²} longs per task), never the rows.
 */
final class TestScoring {
  private TestScoring() {}

  /** One partition's sums for one trial: metrics and {@code [K·K]} counts (row = true label; empty for no rows). */
  private record Part(Metrics metrics, long[] confusion) implements java.io.Serializable {
    Part plus(Part o) {
      if (confusion.length == 0) {
        return new Part(metrics.plus(o.metrics), o.confusion);
      }
      long[] c = confusion.clone();
      for (int i = 0; i < o.confusion.length; i++) {
        c[i] += o.confusion[i];
      }
      return new Part(metrics.plus(o.metrics), c);
    }
  }

  /**
   * @param rows test rows
   * @param trials trials with a checkpoint
   * @param state the run's state (configs, seeds, checkpoints)
   * @param factory the trainer factory
   * @param store the checkpoints
   * @return per trial with at least one scored row, its test score (a failed job throws)
   */
  static Map<Integer, SelectionResult.TestScore> score(JavaRDD<Example> rows, List<Integer> trials,
      SelectionState state, TrainerFactory factory, CheckpointStore store) {
    final List<Hyperparameters> cfg = trials.stream().map(t -> new Hyperparameters(state.config(t).values())).toList();
    final long[] seeds = trials.stream().mapToLong(state::seed).toArray();
    final List<String> ck = trials.stream().map(state::checkpoint).toList();
    Part[] sums = rows.mapPartitions(it -> {
      List<Example> part = new ArrayList<>();
      it.forEachRemaining(part::add);
      Part[] p = new Part[cfg.size()];
      for (int i = 0; i < p.length; i++) {
        p[i] = part.isEmpty() ? new Part(Metrics.EMPTY, new long[0])
            : score(part, factory, store, cfg.get(i), seeds[i], ck.get(i));
      }
      return List.<Part[]>of(p).iterator();
    }).reduce((a, b) -> {
      Part[] c = new Part[a.length];
      for (int i = 0; i < c.length; i++) {
        c[i] = a[i].plus(b[i]);
      }
      return c;
    });
    Map<Integer, SelectionResult.TestScore> out = new LinkedHashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      Metrics m = sums[i].metrics();
      if (m.examples() > 0) {
        int k = (int) Math.round(Math.sqrt(sums[i].confusion().length));
        out.put(trials.get(i), new SelectionResult.TestScore(m.examples(), m.accuracy(), m.loss(),
            macroF1(sums[i].confusion(), k)));
      }
    }
    return out;
  }

  private static Part score(List<Example> part, TrainerFactory factory, CheckpointStore store, Hyperparameters config,
      long seed, String ckpt) throws org.argus.ArgusException {
    List<Batch> batches = UnitQuery.batches(part, factory.columns(config));
    try (Trainer t = factory.create(config, seed)) {
      t.importState(store.read(ckpt));
      Metrics m = t.evaluate(batches.iterator());
      long[] c = null;
      int k = 0;
      for (Batch b : batches) {
        float[] p = t.predict(b);
        if (c == null) {
          k = p.length / b.size();
          c = new long[k * k];
        }
        for (int i = 0; i < b.size(); i++) {
          int best = 0;
          for (int j = 1; j < k; j++) {
            if (p[i * k + j] > p[i * k + best]) {
              best = j;
            }
          }
          int y = b.y()[i];
          if (y < 0 || y >= k) {
            throw new IllegalArgumentException("test label " + y + " outside the model's " + k + " classes [0, "
                + (k - 1) + "] (config " + config + ")");
          }
          c[y * k + best]++;
        }
      }
      return new Part(m, c);
    }
  }

  /**
   * Macro-averaged F1: the unweighted mean, over the labels present in the rows, of each label's
   * F1 = 2·precision·recall / (precision + recall) (0 when both are 0), as {@code argus transfer
   * --learner spark-lr} reports it (the macro-averaged F-score of Sokolova &amp; Lapalme, "A
   * systematic analysis of performance measures for classification tasks", Inf. Process. Manage.
   * 45(4), 2009; Spark ML's evaluator metric {@code f1} is the label-frequency-weighted mean instead).
   *
   * @param c {@code [K·K]} counts, row = true label, column = predicted
   * @param classes K
   * @return macro-F1 in [0, 1]; NaN for no rows
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
    return labels == 0 ? Double.NaN : sum / labels;
  }
}
