package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Columns;
import org.argus.select.space.Seeds;

/** Converts Spark rows to training {@link Example}s, and examples to mini-batches. */
public final class Examples {
  private Examples() {}

  /**
   * Images in Spark's image struct (e.g. {@code FashionMnist.read}) → {@code [C, H, W]} float32 in
   * [0, 1] (pixel / 255; channel order as stored, BGR for colour). All images must share one size.
   *
   * @param rows dataset with an int {@code label} column and an image struct column
   * @param imageCol the image column
   * @param labelCol the label column
   * @return the examples
   */
  public static JavaRDD<Example> fromImages(Dataset<Row> rows, String imageCol, String labelCol) {
    return rows.select(labelCol, imageCol).javaRDD()
        .map(r -> new Example(((Number) r.get(0)).intValue(), pixels(r.getStruct(1))));
  }

  /**
   * One image struct → {@code [C, H, W]} float32 in [0, 1] (pixel / 255; channel order as
   * stored), the layout {@link #fromImages} trains on.
   *
   * @param img Spark's image struct ({@code height, width, nChannels, data} used; by name when the
   *     row has a schema, else by the struct's fixed positions 1, 2, 3, 5)
   * @return {@code C·H·W} floats
   */
  public static float[] pixels(Row img) {
    // a nested struct may reach a task without its schema: Spark's image struct has a fixed field
    // order (origin, height, width, nChannels, mode, data)
    boolean named = img.schema() != null;
    int h = img.getInt(named ? img.fieldIndex("height") : 1);
    int w = img.getInt(named ? img.fieldIndex("width") : 2);
    int c = img.getInt(named ? img.fieldIndex("nChannels") : 3);
    byte[] d = (byte[]) img.get(named ? img.fieldIndex("data") : 5);
    float[] x = new float[c * h * w];
    for (int y = 0; y < h; y++) {
      for (int xx = 0; xx < w; xx++) {
        for (int ch = 0; ch < c; ch++) {
          x[ch * h * w + y * w + xx] = (d[(y * w + xx) * c + ch] & 0xff) / 255f;
        }
      }
    }
    return x;
  }

  /**
   * Feature columns → {@code [F]} float32: an ML {@code Vector} or numeric array column.
   *
   * @param rows dataset
   * @param featuresCol features column (vector or array of float/double)
   * @param labelCol integer-valued label column
   * @return the examples
   * @throws IllegalArgumentException if the features column has another type
   */
  public static JavaRDD<Example> fromFeatures(Dataset<Row> rows, String featuresCol, String labelCol) {
    DataType t = rows.schema().apply(featuresCol).dataType();
    boolean array = t instanceof ArrayType;
    if (!array && !t.typeName().equals("vector")) {
      throw new IllegalArgumentException(
          "features column " + featuresCol + " has type " + t.simpleString() + "; expected vector or array<float|double>");
    }
    return rows.select(labelCol, featuresCol).javaRDD()
        .map(r -> new Example(((Number) r.get(0)).intValue(), features(r.get(1))));
  }

  /**
   * One feature value → {@code [F]} float32, the layout {@link #fromFeatures} trains on.
   *
   * @param value an ML {@code Vector}, a list or Scala sequence of numbers (Spark's array value), or
   *     a {@code float[]} / {@code double[]} (a row straight from the inference kernel)
   * @return the floats (a new array)
   * @throws IllegalArgumentException for another kind of value
   */
  public static float[] features(Object value) {
    if (value instanceof Vector v) {
      double[] d = v.toArray();
      float[] x = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        x[i] = (float) d[i];
      }
      return x;
    }
    if (value instanceof float[] f) {
      return f.clone(); // a row straight from the inference kernel, not yet through an encoder
    }
    if (value instanceof double[] d) {
      float[] x = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        x[i] = (float) d[i];
      }
      return x;
    }
    if (value instanceof List<?> l) {
      float[] x = new float[l.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = ((Number) l.get(i)).floatValue();
      }
      return x;
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      return features(scala.jdk.javaapi.CollectionConverters.asJava(seq));
    }
    throw new IllegalArgumentException("a feature value must be a vector or an array of numbers; found "
        + (value == null ? "null" : value.getClass().getName()));
  }

  /**
   * The mini-batches of one visit (a unit query's sub-epoch): rows in an order shuffled by {@code
   * split(seed, "order", epoch × 65536 + shard)} (Fisher–Yates), cut into batches of {@code
   * batchSize} (the last may be smaller).
   *
   * @param rows the shard's rows in storage order, all of one feature length
   * @param batchSize examples per batch, {@code >= 1}
   * @param seed trial seed
   * @param epoch 1-based epoch
   * @param shard shard index (task-parallel: 0)
   * @return the batches ({@link #batch})
   * @throws IllegalArgumentException if {@code batchSize < 1}
   */
  public static List<Batch> batches(List<Example> rows, int batchSize, long seed, int epoch, int shard) {
    List<Batch> out = new ArrayList<>();
    batchIterator(rows, batchSize, seed, epoch, shard).forEachRemaining(out::add);
    return out;
  }

  /**
   * The batches of {@link #batches}, in the same order, each built when asked for: a unit query
   * holds one batch of its shard at a time, not a second copy of the whole shard.
   *
   * @param rows the shard's rows in storage order, all of one feature length
   * @param batchSize examples per batch, {@code >= 1}
   * @param seed trial seed
   * @param epoch 1-based epoch
   * @param shard shard index (task-parallel: 0)
   * @return an iterator over the batches ({@link #batch})
   * @throws IllegalArgumentException if {@code batchSize < 1}
   */
  public static java.util.Iterator<Batch> batchIterator(List<Example> rows, int batchSize, long seed, int epoch,
      int shard) {
    return batchIterator(rows, batchSize, seed, epoch, shard, Columns.all());
  }

  /**
   * The batches of {@link #batchIterator(List, int, long, int, int)}, each holding only the given
   * columns of its rows ({@link #batch(List, Columns)}).
   *
   * @param rows the shard's rows in storage order, all of one feature length
   * @param batchSize examples per batch, {@code >= 1}
   * @param seed trial seed
   * @param epoch 1-based epoch
   * @param shard shard index (task-parallel: 0)
   * @param columns the columns the trainer reads
   * @return an iterator over the batches
   * @throws IllegalArgumentException if {@code batchSize < 1}
   */
  public static java.util.Iterator<Batch> batchIterator(List<Example> rows, int batchSize, long seed, int epoch,
      int shard, Columns columns) {
    return batchIterator(rows, batchSize, seed, epoch, shard, columns, false);
  }

  /**
   * The batches of {@link #batchIterator(List, int, long, int, int, Columns)}, built into one pair
   * of arrays reused from batch to batch (the last, smaller batch gets its own): a batch is valid
   * only until the next call to {@code next()}. For a consumer that copies each batch before asking
   * for the next, as {@link org.argus.runtime.train.Trainer#train} does; a unit query then allocates
   * and zeroes no {@code [batch, W]} float32 array per step (in profiles of {@code bench/run fusion
   * mop} on the 2-core development machine, building batches was about a third of the heads' unit
   * time, most of it in those allocations).
   *
   * @param rows the shard's rows in storage order, all of one feature length
   * @param batchSize examples per batch, {@code >= 1}
   * @param seed trial seed
   * @param epoch 1-based epoch
   * @param shard shard index (task-parallel: 0)
   * @param columns the columns the trainer reads
   * @return an iterator over the batches, each valid until the next {@code next()}
   * @throws IllegalArgumentException if {@code batchSize < 1}
   */
  public static java.util.Iterator<Batch> reusingBatchIterator(List<Example> rows, int batchSize, long seed,
      int epoch, int shard, Columns columns) {
    return batchIterator(rows, batchSize, seed, epoch, shard, columns, true);
  }

  private static java.util.Iterator<Batch> batchIterator(List<Example> rows, int batchSize, long seed, int epoch,
      int shard, Columns columns, boolean reuse) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1; found " + batchSize);
    }
    int n = rows.size();
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    SplittableRandom r = new SplittableRandom(Seeds.split(seed, "order", epoch * 65536L + shard));
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return new java.util.Iterator<>() {
      private int start;
      private Batch reused; // reuse: the arrays of the full-size batches

      @Override
      public boolean hasNext() {
        return start < n;
      }

      @Override
      public Batch next() {
        if (start >= n) {
          throw new java.util.NoSuchElementException();
        }
        int end = Math.min(n, start + batchSize);
        Batch into = reuse && end - start == batchSize ? reused : null;
        Batch b = batch(rows, idx, start, end, columns, into);
        reused = reuse && into == null && end - start == batchSize ? b : reused;
        start = end;
        return b;
      }
    };
  }

  /**
   * @param rows examples, at least one, all of one feature length {@code F}
   * @return a batch: {@code x} is {@code [n, F]} float32 row-major in the given order, {@code y}
   *     the labels
   * @throws IllegalArgumentException if {@code rows} is empty or the feature lengths differ
   */
  public static Batch batch(List<Example> rows) {
    return batch(rows, Columns.all());
  }

  /**
   * @param rows examples, at least one, all of one feature length {@code F}
   * @param columns the columns to keep, of width {@code W} ({@link Columns#width})
   * @return a batch: {@code x} is {@code [n, W]} float32 row-major in the given order (each row's
   *     columns), {@code y} the labels
   * @throws IllegalArgumentException if {@code rows} is empty, the feature lengths differ or a
   *     column lies past {@code F}
   */
  public static Batch batch(List<Example> rows, Columns columns) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one example");
    }
    return batch(rows, null, 0, rows.size(), columns, null);
  }

  /**
   * The batch of rows {@code order[from] … order[to - 1]} (or rows {@code from … to - 1} when
   * {@code order} is null), built without an intermediate list: a unit query builds one per step;
   * into {@code into}'s arrays when given (of the same size), else into new ones.
   */
  private static Batch batch(List<Example> rows, int[] order, int from, int to, Columns columns, Batch into) {
    int dim = rows.get(order == null ? from : order[from]).x().length;
    int w = columns.width(dim);
    int n = to - from;
    float[] x = into != null ? into.x() : new float[n * w];
    int[] y = into != null ? into.y() : new int[n];
    for (int k = 0; k < n; k++) {
      Example e = rows.get(order == null ? from + k : order[from + k]);
      float[] v = e.x();
      if (v.length != dim) {
        throw new IllegalArgumentException(
            "example " + k + " has " + v.length + " features; the batch's first has " + dim);
      }
      columns.copy(v, x, k * w);
      y[k] = e.label();
    }
    return into != null ? into : new Batch(x, y);
  }
}
