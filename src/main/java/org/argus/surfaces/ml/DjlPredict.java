package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.argus.execution.mop.Examples;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainingException;

/**
 * The DJL path of {@link DeepImageClassificationModel} (a {@code cnn}, any family over an image
 * column, or a fine-tuned CNN over its layer L's activations): predicts one partition in batches of {@code batch} rows ({@code [n, F]} or {@code [n, C,
 * H, W]} float32, laid out as in training) with a network built once for the partition from the
 * trained state; appends the probability vector and the prediction to each row.
 */
final class DjlPredict implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private final DeepImageClassificationModel.State state;
  private final TrainerFactory factory;
  private final String column;
  private final int index;
  private final boolean images;
  private final int batch;

  DjlPredict(DeepImageClassificationModel.State state, TrainerFactory factory, String column, int index,
      boolean images, int batch) {
    this.state = state;
    this.factory = factory;
    this.column = column;
    this.index = index;
    this.images = images;
    this.batch = batch;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws TrainingException {
    if (!rows.hasNext()) {
      return rows;
    }
    Trainer t = factory.create(new Hyperparameters(state.hyperparameters()), 0);
    t.importState(state.weights());
    return new Iterator<>() {
      private final List<Row> out = new ArrayList<>();
      private int next;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        if (!rows.hasNext()) {
          t.close();
          return false;
        }
        fill();
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }

      private void fill() {
        out.clear();
        next = 0;
        List<Row> in = new ArrayList<>();
        List<float[]> xs = new ArrayList<>();
        while (rows.hasNext() && in.size() < batch) {
          Row r = rows.next();
          if (r.isNullAt(index)) {
            t.close();
            throw new IllegalArgumentException("a row has a null '" + column + "'; filter or impute it before"
                + " predicting");
          }
          in.add(r);
          xs.add(images ? Examples.pixels(r.getStruct(index)) : Examples.features(r.get(index)));
        }
        int dim = xs.get(0).length;
        float[] x = new float[xs.size() * dim];
        for (int i = 0; i < xs.size(); i++) {
          if (xs.get(i).length != dim) {
            t.close();
            throw new IllegalArgumentException("'" + column + "' has rows of " + dim + " and " + xs.get(i).length
                + " values; the model was trained on " + java.util.Arrays.toString(state.inputShape()));
          }
          System.arraycopy(xs.get(i), 0, x, i * dim, dim);
        }
        float[] p;
        try {
          p = t.predict(new Batch(x, new int[xs.size()]));
        } catch (TrainingException e) {
          t.close();
          throw new IllegalStateException(e.getMessage(), e);
        }
        int k = state.classes();
        for (int i = 0; i < in.size(); i++) {
          double[] prob = new double[k];
          int best = 0;
          for (int c = 0; c < k; c++) {
            prob[c] = p[i * k + c];
            if (prob[c] > prob[best]) {
              best = c;
            }
          }
          Row r = in.get(i);
          Object[] values = new Object[r.size() + 2];
          for (int c = 0; c < r.size(); c++) {
            values[c] = r.get(c);
          }
          values[r.size()] = Vectors.dense(prob);
          values[r.size() + 1] = (double) best;
          out.add(RowFactory.create(values));
        }
      }
    };
  }
}
