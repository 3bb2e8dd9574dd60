package org.argus.execution.train;

import java.util.SplittableRandom;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.argus.execution.mop.Example;
import org.argus.select.space.Seeds;
import scala.Tuple2;

/**
 * How data-parallel training lays the examples out and cuts the global batch; pure functions of
 * the data order, the partition count and the seed, so local mode, a cluster and a resumed run see
 * the same batches.
 *
 * <ul>
 *   <li>Layout: example {@code i} (in the input RDD's order, {@code zipWithIndex}) goes to partition
 *       {@code i mod p}; a partition holds its examples in ascending {@code i}.
 *   <li>Share of the global batch {@code B}: partition {@code k} takes {@code B / p} examples per
 *       step, plus one when {@code k < B mod p}.
 *   <li>Order within an epoch: a Fisher–Yates permutation of the partition's rows driven by {@code
 *       split(seed, "dp-order", epoch × 65536 + k)} (identity when shuffling is off); step {@code
 *       s} takes positions {@code [s·b_k, (s+1)·b_k)} of it. Rows past the last full step of the
 *       epoch are not seen in that epoch (a new permutation next epoch).
 * </ul>
 */
final class Shards {
  private Shards() {}

  /**
   * @param data the examples
   * @param partitions the partition count {@code p}
   * @return the examples laid out as documented (not cached)
   */
  static JavaRDD<Example> layout(JavaRDD<Example> data, int partitions) {
    return data.zipWithIndex()
        .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
        .repartitionAndSortWithinPartitions(new Modulo(partitions))
        .values();
  }

  /**
   * @param global the global batch {@code B}
   * @param partitions {@code p}
   * @param k the partition index
   * @return partition {@code k}'s examples per step
   */
  static int share(int global, int partitions, int k) {
    return global / partitions + (k < global % partitions ? 1 : 0);
  }

  /**
   * @param seed the run's seed
   * @param epoch 1-based epoch
   * @param k partition index
   * @param n rows in the partition
   * @param shuffle false for the storage order
   * @return the partition's row order for the epoch
   */
  static int[] order(long seed, int epoch, int k, int n, boolean shuffle) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    if (shuffle) {
      SplittableRandom r = new SplittableRandom(Seeds.split(seed, "dp-order", epoch * 65536L + k));
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
    }
    return idx;
  }

  /** Partition of a row index: {@code index mod p}. */
  static final class Modulo extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;

    Modulo(int partitions) {
      this.partitions = partitions;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    @Override
    public int getPartition(Object key) {
      return (int) Math.floorMod((Long) key, (long) partitions);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Modulo m && m.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }
}
