package org.argus.execution.fusion;

import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Columns;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.Metrics;
import org.argus.runtime.train.Trainer;
import org.argus.runtime.train.TrainerFactory;
import org.argus.runtime.train.TrainingException;

/**
 * Trainers of heads over shared feature rows: a config's trainer is a built-in family ({@code
 * head} or {@code mlp}, {@link org.argus.runtime.train.Families}) on the input {@code [dim +
 * structuredDim]} of the view its {@code layer}/{@code pooling} values select ({@link
 * FeatureViews#view}), fed each mini-batch's slice of that view ({@link FeatureViews#slice(float[],
 * int, FeatureViews.View)}), or batches that hold only those columns ({@link #columns}, what unit
 * queries build). So a unit query reads only its config's feature column, and a head's
 * input dimension equals its layer's pooled dimension by construction.
 */
public final class ViewTrainerFactory implements TrainerFactory {
  private static final long serialVersionUID = 1L;
  private final FeatureViews views;
  private final String family;
  private final int classes;
  private final int threads;

  /**
   * @param views the row layout
   * @param family {@code head} or {@code mlp}
   * @param classes output classes, {@code >= 2}
   * @param threads PyTorch intra-op threads per trainer (0: the JVM's setting)
   * @throws IllegalArgumentException for another family or {@code classes < 2}
   */
  public ViewTrainerFactory(FeatureViews views, String family, int classes, int threads) {
    this.views = Objects.requireNonNull(views, "views");
    checkFamily(family);
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2; found " + classes);
    }
    this.family = family;
    this.classes = classes;
    this.threads = threads;
  }

  /**
   * @param family a family name
   * @throws IllegalArgumentException unless it is {@code head} or {@code mlp}
   */
  public static void checkFamily(String family) {
    if (!"head".equals(family) && !"mlp".equals(family)) {
      throw new IllegalArgumentException("heads over CNN features are family 'head' or 'mlp'; found '" + family + "'");
    }
  }

  /** @return the row layout */
  public FeatureViews views() {
    return views;
  }

  /** @return the head family */
  public String family() {
    return family;
  }

  /** @return output classes */
  public int classes() {
    return classes;
  }

  /**
   * @param config a config
   * @return the per-example input shape its head trains on: {@code [dim + structuredDim]}
   * @throws IllegalArgumentException when the config selects no materialized view
   */
  public long[] inputShape(Hyperparameters config) {
    FeatureViews.View v = views.view(config);
    return new long[] {v.dim() + views.structuredDim()};
  }

  /**
   * @param config a config
   * @return the factory of its head alone (input {@link #inputShape}), e.g. to export or serve it
   */
  public DjlTrainerFactory headFactory(Hyperparameters config) {
    return DjlTrainerFactory.builtIn(family, inputShape(config), classes).withThreads(threads);
  }

  @Override
  public Trainer create(Hyperparameters config, long seed) throws TrainingException {
    FeatureViews.View v = views.view(config);
    return new Sliced(headFactory(config).create(config, seed), views, v);
  }

  /**
   * @param config a config
   * @return its view's columns of a shard row, then the structured columns ({@code [dim +
   *     structuredDim]}): a unit query's batches copy only these
   * @throws IllegalArgumentException when the config selects no materialized view
   */
  @Override
  public Columns columns(Hyperparameters config) {
    FeatureViews.View v = views.view(config);
    int s = views.structuredDim();
    return s == 0 ? new Columns(new int[] {v.offset()}, new int[] {v.dim()})
        : new Columns(new int[] {v.offset(), views.rowDim() - s}, new int[] {v.dim(), s});
  }

  @Override
  public byte[] average(List<byte[]> states) throws TrainingException {
    return DjlTrainerFactory.builtIn(family, new long[] {1}, classes).average(states);
  }

  @Override
  public String describe() {
    return "djl-pytorch " + family + " over views " + views.describe() + " -> " + classes;
  }

  /** A head trainer fed its view's slice of each batch. */
  private static final class Sliced implements Trainer {
    private final Trainer head;
    private final FeatureViews views;
    private final FeatureViews.View view;

    Sliced(Trainer head, FeatureViews views, FeatureViews.View view) {
      this.head = head;
      this.views = views;
      this.view = view;
    }

    /** A batch of whole shard rows is sliced; one already of the view's width passes as it is. */
    private Batch slice(Batch b) {
      if (b.x().length == (long) b.size() * (view.dim() + views.structuredDim())) {
        return b;
      }
      return new Batch(views.slice(b.x(), b.size(), view), b.y());
    }

    private Iterator<Batch> slices(Iterator<Batch> it) {
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Batch next() {
          return slice(it.next());
        }
      };
    }

    @Override
    public int batchSize() {
      return head.batchSize();
    }

    @Override
    public Metrics train(Iterator<Batch> batches) throws TrainingException {
      return head.train(slices(batches));
    }

    @Override
    public Metrics evaluate(Iterator<Batch> batches) throws TrainingException {
      return head.evaluate(slices(batches));
    }

    @Override
    public float[] predict(Batch batch) throws TrainingException {
      return head.predict(slice(batch));
    }

    @Override
    public byte[] exportState() {
      return head.exportState();
    }

    @Override
    public void importState(byte[] state) throws TrainingException {
      head.importState(state);
    }

    @Override
    public void close() {
      head.close();
    }
  }
}
