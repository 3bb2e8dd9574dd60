package org.argus.execution.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Examples;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;

/**
 * Evaluates a trained state on labelled examples where they lie: the state is broadcast, every
 * partition predicts its rows in batches (inference mode) and counts a confusion matrix; the
 * matrices are summed with {@code treeAggregate}. No example reaches the driver.
 *
 * @param confusion {@code confusion[label][predicted]} counts; {@code classes × classes}
 */
public record Evaluation(long[][] confusion) implements Serializable {
  /**
   * @param data the labelled examples; labels in {@code [0, classes)}
   * @param factory builds the model
   * @param config its config
   * @param state the trained state ({@link Trainer#exportState()})
   * @param classes the model's classes
   * @param batch examples per prediction batch, {@code >= 1}
   * @return the confusion matrix
   * @throws IllegalArgumentException if a label is outside {@code [0, classes)} (named, with its
   *     value) or {@code batch < 1}
   */
  public static Evaluation of(JavaRDD<Example> data, TrainerFactory factory, Hyperparameters config,
      byte[] state, int classes, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1; found " + batch);
    }
    Broadcast<byte[]> bc = JavaSparkContext.fromSparkContext(data.context()).broadcast(state);
    try {
      long[] flat = data.mapPartitions(it -> {
            long[] counts = new long[classes * classes];
            if (!it.hasNext()) {
              return List.of(counts).iterator();
            }
            try (Trainer t = factory.create(config, 0)) {
              t.importState(bc.value());
              List<Example> chunk = new ArrayList<>(batch);
              while (it.hasNext()) {
                chunk.add(it.next());
                if (chunk.size() == batch || !it.hasNext()) {
                  count(t, Examples.batch(chunk), classes, counts);
                  chunk.clear();
                }
              }
            }
            return List.of(counts).iterator();
          })
          .treeAggregate(new long[classes * classes], Evaluation::add, Evaluation::add, 2);
      long[][] m = new long[classes][classes];
      for (int i = 0; i < classes; i++) {
        m[i] = Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
      }
      return new Evaluation(m);
    } finally {
      bc.destroy();
    }
  }

  private static void count(Trainer t, Batch b, int classes, long[] counts) throws TrainingException {
    float[] p = t.predict(b);
    for (int i = 0; i < b.size(); i++) {
      int y = b.y()[i];
      if (y < 0 || y >= classes) {
        throw new IllegalArgumentException("label " + y + " is outside the model's classes [0, " + classes + ")");
      }
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (p[i * classes + c] > p[i * classes + best]) {
          best = c;
        }
      }
      counts[y * classes + best]++;
    }
  }

  private static long[] add(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  /** @return examples evaluated */
  public long examples() {
    long n = 0;
    for (long[] row : confusion) {
      for (long v : row) {
        n += v;
      }
    }
    return n;
  }

  /** @return fraction of examples whose arg-max class equals the label; NaN for none */
  public double accuracy() {
    long right = 0;
    for (int i = 0; i < confusion.length; i++) {
      right += confusion[i][i];
    }
    return examples() == 0 ? Double.NaN : (double) right / examples();
  }

  /** @return per class: true positives ÷ predicted as the class; NaN when never predicted */
  public double[] precision() {
    double[] p = new double[confusion.length];
    for (int c = 0; c < p.length; c++) {
      long predicted = 0;
      for (long[] row : confusion) {
        predicted += row[c];
      }
      p[c] = predicted == 0 ? Double.NaN : (double) confusion[c][c] / predicted;
    }
    return p;
  }

  /** @return per class: true positives ÷ examples of the class; NaN when the class is absent */
  public double[] recall() {
    double[] r = new double[confusion.length];
    for (int c = 0; c < r.length; c++) {
      long n = support()[c];
      r[c] = n == 0 ? Double.NaN : (double) confusion[c][c] / n;
    }
    return r;
  }

  /** @return per class: examples with that label */
  public long[] support() {
    long[] s = new long[confusion.length];
    for (int c = 0; c < s.length; c++) {
      s[c] = Arrays.stream(confusion[c]).sum();
    }
    return s;
  }

  /**
   * @return the unweighted mean over classes present in the labels of F1 = 2PR/(P+R) (a class
   *     never predicted counts as F1 0), NaN when no class is present
   */
  public double macroF1() {
    double[] p = precision();
    double[] r = recall();
    long[] s = support();
    double sum = 0;
    int n = 0;
    for (int c = 0; c < p.length; c++) {
      if (s[c] == 0) {
        continue;
      }
      double pc = Double.isNaN(p[c]) ? 0 : p[c];
      sum += pc + r[c] == 0 ? 0 : 2 * pc * r[c] / (pc + r[c]);
      n++;
    }
    return n == 0 ? Double.NaN : sum / n;
  }
}
