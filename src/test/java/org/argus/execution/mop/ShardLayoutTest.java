package org.argus.execution.mop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.argus.select.space.Seeds;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** A local master gathers the shards without a shuffle: the same rows, in the same order, as the shuffle. */
class ShardLayoutTest {
  @Test
  void gatheredShardsHoldTheShuffledShardsRowsInTheSameOrder() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    List<Tuple2<Long, Example>> rows = new ArrayList<>();
    for (int i = 0; i < 301; i++) {
      rows.add(new Tuple2<>(Seeds.split(5, "row", i), new Example(i % 7, new float[] {i, -i})));
    }
    JavaPairRDD<Long, Example> train = sc.parallelizePairs(rows, 5);
    for (int k : new int[] {1, 2, 3}) {
      List<List<Example>> shuffled = ShardLayout.shuffled(train, k).glom().collect();
      List<List<Example>> gathered = ShardLayout.gathered(train, k).glom().collect();
      assertEquals(k, gathered.size());
      for (int s = 0; s < k; s++) {
        assertEquals(shuffled.get(s).size(), gathered.get(s).size(), "shard " + s + " of " + k);
        for (int r = 0; r < shuffled.get(s).size(); r++) {
          assertArrayEquals(shuffled.get(s).get(r).x(), gathered.get(s).get(r).x(), "shard " + s + " row " + r);
        }
      }
    }
  }
}
