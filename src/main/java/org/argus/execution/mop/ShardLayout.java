package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import org.argus.select.space.Seeds;
import scala.Tuple2;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The data of a run on the executors: a seeded validation split, and the training rows shuffled once
 * into {@code k} shards (partition i = shard i, rows sorted by their seeded key; on a local master
 * gathered without a shuffle, the same rows in the same order) or, task-parallel,
 * {@code k} identical full copies; both cached {@code MEMORY_ONLY}. A unit query reads one shard
 * through {@link #shard(int)}.
 */
final class ShardLayout {
  final JavaRDD<Example> shards;
  final JavaRDD<Example> validation;
  /** Training rows per stored partition. */
  final List<Long> shardRows;
  /** Features and labels as float32/int32 ({@code 4·dim + 4} per row), all copies. */
  final long payloadBytes;
  /** Memory + disk size of the cached training partitions, as Spark's block manager reports them. */
  final long cachedBytes;

  private ShardLayout(JavaRDD<Example> shards, JavaRDD<Example> validation, List<Long> shardRows, long payloadBytes,
      long cachedBytes) {
    this.shards = shards;
    this.validation = validation;
    this.shardRows = shardRows;
    this.payloadBytes = payloadBytes;
    this.cachedBytes = cachedBytes;
  }

  /**
   * The layout, not persisted: row {@code i} gets the key {@code split(seed, "row", i)}; it is a
   * validation row when {@code (key >>> 11) · 2^-53 < frac}; training rows go to partition {@code
   * floorMod(key, k)} sorted by key (replicated: {@code k} copies, each sorted the same way).
   *
   * @param data labelled rows
   * @param seed run seed
   * @param frac validation fraction
   * @param k shards (worker slots)
   * @param replicate one full copy per slot (task-parallel)
   * @return {@code [train, validation]}
   */
  static List<JavaRDD<Example>> layout(JavaRDD<Example> data, long seed, double frac, int k, boolean replicate) {
    JavaPairRDD<Long, Example> keyed =
        data.zipWithIndex().mapToPair(t -> new Tuple2<>(Seeds.split(seed, "row", t._2()), t._1()));
    JavaPairRDD<Long, Example> train = keyed.filter(t -> ((t._1() >>> 11) * 0x1.0p-53) >= frac);
    JavaPairRDD<Long, Example> val = keyed.filter(t -> ((t._1() >>> 11) * 0x1.0p-53) < frac);
    if (replicate) {
      train = train.flatMapToPair(t -> {
        List<Tuple2<Long, Example>> out = new ArrayList<>();
        for (int w = 0; w < k; w++) {
          out.add(new Tuple2<>(Math.floorDiv(t._1(), (long) k) * k + w, t._2()));
        }
        return out.iterator();
      });
    }
    JavaRDD<Example> shards = !replicate && data.context().isLocal() ? gathered(train, k) : shuffled(train, k);
    return List.of(shards, val.partitionBy(new HashPartitioner(k)).values());
  }

  /**
   * @return the shards by a shuffle: partition {@code i} holds the rows with {@code floorMod(key, k)
   *     = i}, sorted by key
   */
  static JavaRDD<Example> shuffled(JavaPairRDD<Long, Example> train, int k) {
    return train.repartitionAndSortWithinPartitions(new ModPartitioner(k)).values();
  }

  /**
   * The shards of {@link #shuffled} without a shuffle, for a local master: shard {@code i} is one task that reads every
   * partition of {@code train} (in one JVM, cached rows are read in place, not serialized), keeps
   * the rows with {@code floorMod(key, k) = i} and sorts them by key, so each shard holds the same
   * rows in the same order as the shuffle. On a cluster every shard task would fetch every
   * partition ({@code k} times the data over the network), so clusters shuffle.
   */
  static JavaRDD<Example> gathered(JavaPairRDD<Long, Example> train, int k) {
    List<JavaRDD<Example>> shards = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      final int shard = i;
      shards.add(train.filter(t -> Math.floorMod(t._1(), (long) k) == shard).coalesce(1, false)
          .mapPartitions(it -> {
            List<Tuple2<Long, Example>> rows = new ArrayList<>();
            it.forEachRemaining(rows::add);
            rows.sort(java.util.Comparator.comparing(Tuple2::_1));
            return rows.stream().map(Tuple2::_2).iterator();
          }));
    }
    @SuppressWarnings("unchecked")
    JavaRDD<Example>[] all = shards.toArray(new JavaRDD[0]);
    return new org.apache.spark.api.java.JavaSparkContext(train.context()).union(all);
  }

  /**
   * Lays the data out, caches it and checks it. On a local master both RDDs are also
   * local-checkpointed ({@code RDD.localCheckpoint}: their lineage is cut at the cached blocks, kept
   * in memory and, if evicted, on the local disk), so a unit query's task carries and deserializes
   * no feature-extraction lineage: on the demo workload 2.0 ms instead of 9.3 ms of deserialization
   * per unit query (event log, session 18). On a cluster the lineage stays, so a lost executor's
   * shard can be recomputed.
   *
   * @param validationRows explicit validation rows (then every row of {@code data} trains and
   *     {@code frac} is ignored), or null to split {@code frac} of {@code data} off
   * @throws IllegalArgumentException if a shard or the validation split is empty (nothing stays
   *     cached)
   */
  static ShardLayout prepare(JavaRDD<Example> data, long seed, double frac, int k, boolean replicate,
      JavaRDD<Example> validationRows) {
    // the layout reads its input 1 + k times (zipWithIndex counts it; on a local master each shard's
    // task reads every partition): an uncached input is computed once and kept (memory, else local
    // disk) until the shards are cached
    boolean uncached = data.getStorageLevel().equals(StorageLevel.NONE());
    JavaRDD<Example> source = uncached ? data.persist(StorageLevel.MEMORY_AND_DISK()) : data;
    try {
      return prepareFrom(source, seed, frac, k, replicate, validationRows);
    } finally {
      if (uncached) {
        source.unpersist(false);
      }
    }
  }

  private static ShardLayout prepareFrom(JavaRDD<Example> data, long seed, double frac, int k, boolean replicate,
      JavaRDD<Example> validationRows) {
    List<JavaRDD<Example>> l = layout(data, seed, validationRows == null ? frac : 0, k, replicate);
    JavaRDD<Example> shards = l.get(0).persist(StorageLevel.MEMORY_ONLY());
    JavaRDD<Example> validation = (validationRows == null ? l.get(1)
        : validationRows.getNumPartitions() >= k ? validationRows.coalesce(k, false)
        : validationRows.repartition(k)).persist(StorageLevel.MEMORY_ONLY());
    if (data.context().isLocal()) {
      shards.rdd().localCheckpoint();
      validation.rdd().localCheckpoint();
    }
    try {
      // one job caches and counts both (task i: shard i and validation part i, as a round job zips them)
      List<long[]> stats = shards.zipPartitions(validation, (it, v) -> {
        long n = 0;
        long dim = 0;
        while (it.hasNext()) {
          dim = it.next().x().length;
          n++;
        }
        long nv = 0;
        for (; v.hasNext(); v.next()) {
          nv++;
        }
        return List.of(new long[] {n, dim, nv}).iterator();
      }).collect();
      List<Long> rows = new ArrayList<>();
      long payload = 0;
      long validationRowCount = 0;
      for (long[] s : stats) {
        rows.add(s[0]);
        payload += s[0] * (4 * s[1] + 4);
        validationRowCount += s[2];
      }
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i) == 0) {
          throw new IllegalArgumentException("shard " + i + " of " + k + " is empty: "
              + rows.stream().mapToLong(Long::longValue).sum() + " training rows are too few for " + k
              + " workers (need at least one row per shard)");
        }
      }
      if (validationRowCount == 0) {
        throw new IllegalArgumentException("the validation split (fraction " + frac + ") is empty; use more rows");
      }
      return new ShardLayout(shards, validation, List.copyOf(rows), payload, cachedBytes(shards));
    } catch (RuntimeException e) {
      shards.unpersist(false);
      validation.unpersist(false);
      throw e;
    }
  }

  /** Memory + disk bytes of an RDD's cached blocks (Spark's storage status); 0 if none is cached. */
  static long cachedBytes(JavaRDD<?> rdd) {
    for (RDDInfo info : rdd.context().getRDDStorageInfo()) {
      if (info.id() == rdd.id()) {
        return info.memSize() + info.diskSize();
      }
    }
    return 0;
  }

  /**
   * @param i shard index
   * @return an RDD of the one cached partition holding shard {@code i} (Spark's locality puts its
   *     task on the executor caching it)
   */
  JavaRDD<Example> shard(int i) {
    return new JavaRDD<>(PartitionPruningRDD.create(shards.rdd(), new OnlyPartition(i)),
        ClassTag$.MODULE$.apply(Example.class));
  }

  void unpersist() {
    shards.unpersist(false);
    validation.unpersist(false);
  }

  /** Keeps one partition. */
  static final class OnlyPartition extends AbstractFunction1<Object, Object> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int p;

    OnlyPartition(int p) {
      this.p = p;
    }

    @Override
    public Object apply(Object i) {
      return ((Integer) i) == p;
    }
  }

  /** Partitions long keys by {@code floorMod(key, n)}. */
  static final class ModPartitioner extends org.apache.spark.Partitioner {
    private static final long serialVersionUID = 1L;
    private final int n;

    ModPartitioner(int n) {
      this.n = n;
    }

    @Override
    public int numPartitions() {
      return n;
    }

    @Override
    public int getPartition(Object key) {
      return (int) Math.floorMod((Long) key, (long) n);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ModPartitioner m && m.n == n;
    }

    @Override
    public int hashCode() {
      return n;
    }
  }
}
