package org.argus.surfaces.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Task slots per executor and the slots × intra-op threads ≤ cores check. */
class ThreadBudgetTest {
  private static SparkConf conf(String master) {
    return new SparkConf(false).set("spark.master", master);
  }

  @Test
  void slotsFromMasterAndExecutorCores() {
    assertEquals(1, ThreadBudget.taskSlots(conf("local"), 8));
    assertEquals(2, ThreadBudget.taskSlots(conf("local[2]"), 8));
    assertEquals(8, ThreadBudget.taskSlots(conf("local[*]"), 8));
    assertEquals(3, ThreadBudget.taskSlots(conf("local[3,2]"), 8));
    assertEquals(8, ThreadBudget.taskSlots(conf("spark://h:7077"), 8));
    assertEquals(2, ThreadBudget.taskSlots(
        conf("spark://h:7077").set("spark.executor.cores", "4").set("spark.task.cpus", "2"), 8));
  }

  @Test
  void overBudgetFailsNamingTheNumbers() {
    ThreadBudget.check("s", conf("local[2]"), 2, 4);
    ThreadBudget.check("s", conf("local[4]"), 1, 2); // one thread: Spark's slots, not ours
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ThreadBudget.check("DeepImageFeaturizer x", conf("local[2]"), 3, 4));
    assertTrue(e.getMessage().contains("2 task slots") && e.getMessage().contains("3 ONNX")
        && e.getMessage().contains("4 cores") && e.getMessage().contains("at most 2"), e.getMessage());
  }
}
