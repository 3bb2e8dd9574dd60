package org.argus.testing.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.argus.data.FashionMnist;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.inference.Counters;
import org.argus.execution.inference.Emit;
import org.argus.execution.inference.GraphSource;
import org.argus.execution.inference.HandleInvalid;
import org.argus.execution.inference.Inference;
import org.argus.execution.inference.InferenceStage;
import org.argus.execution.inference.TensorSource;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.Roster;
import org.argus.plan.MaterializedFormat;
import org.argus.plan.Pooling;
import org.argus.runtime.SessionCache;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Function1;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * A real standalone cluster (master + 2 worker JVMs on 127.0.0.1, one 1-core executor each):
 * tasks run on both executors, and the staged feature transfer of MobileNetV2 on Fashion-MNIST
 * gives the same features there as in local mode, with one ORT session per stage per executor JVM;
 * a failing job reports its exception back.
 */
class StandaloneClusterTest {
  private static final List<String> LAYERS = List.of("block_6_expand_relu", "out_relu");
  private static final int IMAGES = 100;
  private static final int PARTITIONS = 8;
  private static StandaloneCluster cluster;
  private static CompletableFuture<ClusterChecks.Result> onCluster;
  private static Map<String, Map<Long, float[]>> local;

  /**
   * Starts the cluster and runs every cluster-side check in one driver JVM (one application
   * start); the tests compute their local-mode references meanwhile and join.
   */
  @BeforeAll
  static void up() throws Exception {
    FashionMnist.provision();
    PretrainedModels.onnxFile("mobilenet_v2");
    cluster = StandaloneCluster.shared();
    onCluster = CompletableFuture.supplyAsync(() -> cluster.run(new ClusterChecks()));
    local = ClusterChecks.extract(SparkTestSession.get(), ClusterChecks.plan());
  }

  @AfterAll
  static void down() {
    if (onCluster != null) {
      onCluster.cancel(true);
    }
    // the shared cluster is closed by its JVM shutdown hook, after the other cluster tests
  }

  @Test
  void bothWorkersAreAliveAndTasksRunOnBothExecutorJvms() {
    assertEquals(2, cluster.aliveWorkers());
    long testPid = ProcessHandle.current().pid();
    ArrayList<String> seen = new ArrayList<>(onCluster.join().whereTasksRan());
    // "executorId pid" of every task, deduplicated; the last element is the driver's pid
    long driverPid = Long.parseLong(seen.remove(seen.size() - 1));
    Set<String> executorIds = seen.stream().map(s -> s.split(" ")[0]).collect(Collectors.toSet());
    Set<Long> pids = seen.stream().map(s -> Long.parseLong(s.split(" ")[1])).collect(Collectors.toSet());
    assertEquals(2, executorIds.size(), "executors that ran tasks: " + seen);
    assertEquals(2, pids.size(), "executor JVMs that ran tasks: " + seen);
    assertTrue(!pids.contains(driverPid) && !pids.contains(testPid), seen + " vs " + driverPid);
    assertNotEquals(testPid, driverPid);
  }

  @Test
  void stagedFeatureTransferOnTheClusterEqualsLocalMode() throws Exception {
    ClusterChecks.Result onCluster = StandaloneClusterTest.onCluster.join();

    assertEquals(LAYERS, new ArrayList<>(onCluster.byLayer().keySet()).stream().sorted().toList());
    for (String layer : LAYERS) {
      Map<Long, float[]> c = onCluster.byLayer().get(layer);
      Map<Long, float[]> l = local.get(layer);
      assertEquals(IMAGES, c.size(), layer);
      assertEquals(l.keySet(), c.keySet(), layer);
      for (Map.Entry<Long, float[]> e : l.entrySet()) {
        float[] expected = e.getValue();
        float[] actual = c.get(e.getKey());
        assertEquals(expected.length, actual.length, layer + " row " + e.getKey());
        float scale = 1e-6f;
        float maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
          scale = Math.max(scale, Math.abs(expected[i]));
          maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff / scale <= 1e-5,
            layer + " row " + e.getKey() + ": relative difference " + maxDiff / scale);
      }
    }

    // every executor JVM holds exactly one session per stage, created by the stage tasks and
    // found again (not re-created) by later tasks of other jobs
    Map<String, ExecutorSessions> sessions = onCluster.sessionsByExecutor();
    assertEquals(2, sessions.size(), "executors seen by the session probe: " + sessions);
    for (ExecutorSessions s : sessions.values()) {
      assertEquals(LAYERS.size(), s.cacheSize(), "sessions in executor JVM " + s);
      assertEquals(LAYERS.size(), s.stageSessions().size(), s.toString());
      assertEquals(1, s.distinctIdentitiesPerStage(), "one session object per stage: " + s);
    }
  }

  @Test
  void aFailingJobComesBackWithItsExceptionAndTheClusterStaysUsable() {
    onCluster.join(); // one application at a time: the first holds every core
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                cluster.run(
                    spark -> {
                      long n = spark.range(10).count();
                      throw new IllegalArgumentException("counted " + n + ", then failed");
                    }));
    assertTrue(e.getMessage().contains("IllegalArgumentException: counted 10, then failed"),
        e.getMessage());
    assertInstanceOf(IllegalArgumentException.class, e.getCause());
    assertEquals(2, cluster.aliveWorkers());
  }

  /**
   * What one executor JVM's session cache held across probe tasks.
   *
   * @param executorId Spark's executor id
   * @param cacheSize {@link SessionCache#size()}
   * @param stageSessions stage sha256 → identity hashes of the session object seen by probe tasks
   */
  record ExecutorSessions(String executorId, int cacheSize, HashMap<String, HashSet<Integer>> stageSessions)
      implements Serializable {
    int distinctIdentitiesPerStage() {
      return stageSessions.values().stream().mapToInt(Set::size).max().orElse(0);
    }
  }

  /**
   * The cluster side of both tests, in one application: which JVM a task in each executor slot
   * runs in, then the staged MobileNetV2 feature transfer on 100 Fashion-MNIST images, then two
   * rounds of a session probe in every executor slot.
   */
  static final class ClusterChecks implements ClusterJob<ClusterChecks.Result> {
    private static final long serialVersionUID = 1L;

    /**
     * @param whereTasksRan "executorId pid" of every task (deduplicated), then the driver's pid
     * @param byLayer features by layer and image id
     * @param sessionsByExecutor the session probe by executor id
     */
    record Result(
        ArrayList<String> whereTasksRan,
        HashMap<String, Map<Long, float[]>> byLayer,
        HashMap<String, ExecutorSessions> sessionsByExecutor)
        implements Serializable {}

    /** The staged cuts: pixels → block_6_expand_relu, block_6_expand_relu → out_relu (64²). */
    static List<GraphCut> plan() throws Exception {
      ResolvedModel m = ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(64),
          ResolvedModel.LOCAL_FILES);
      return List.of(m.cutFromPixels(List.of(LAYERS.get(0))), m.cut(List.of(LAYERS.get(0)), List.of(LAYERS.get(1))));
    }

    /** Features of every stage by layer and image id, computed on {@code spark} by the inference kernel. */
    static HashMap<String, Map<Long, float[]>> extract(SparkSession spark, List<GraphCut> cuts) throws Exception {
      Dataset<Row> images =
          FashionMnist.sample(spark, FashionMnist.Split.TEST, IMAGES, 7).repartition(PARTITIONS);
      Emit features = new Emit.Features(Pooling.parse("max:2"), false);
      StructType in = images.schema();
      long[] shape = cuts.get(0).model().inferShapes(Map.of("input_1", new long[] {1, 64, 64, 3}))
          .get(LAYERS.get(0)).shape();
      InferenceStage first = new InferenceStage("stage 1", graph(spark, cuts.get(0)),
          List.of(new InferenceStage.Input("input_1", new TensorSource.Images(in.fieldIndex("image"), false,
              Roster.get("mobilenet_v2").preprocessing().withSize(64, 64)))),
          List.of(new InferenceStage.Output("f", LAYERS.get(0), features),
              new InferenceStage.Output("act", LAYERS.get(0), new Emit.Activation(MaterializedFormat.DEFAULT))),
          new int[] {in.fieldIndex("id")}, 0, 8, 1, HandleInvalid.ERROR, null);
      Dataset<Row> s1 = Inference.apply(images, first, Counters.none()).persist(StorageLevel.MEMORY_AND_DISK());
      InferenceStage second = new InferenceStage("stage 2", graph(spark, cuts.get(1)),
          List.of(new InferenceStage.Input(LAYERS.get(0), new TensorSource.Activations(2,
              java.util.Arrays.copyOfRange(shape, 1, shape.length), MaterializedFormat.DEFAULT))),
          List.of(new InferenceStage.Output("f", LAYERS.get(1), features)), new int[] {0}, 0, 8, 1,
          HandleInvalid.ERROR, null);
      HashMap<String, Map<Long, float[]>> byLayer = new HashMap<>();
      long t0 = System.nanoTime();
      byLayer.put(LAYERS.get(0), byId(s1));
      System.err.printf("stage %s: %d rows in %.1f s%n", LAYERS.get(0), byLayer.get(LAYERS.get(0)).size(),
          (System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      byLayer.put(LAYERS.get(1), byId(Inference.apply(s1, second, Counters.none())));
      System.err.printf("stage %s: %d rows in %.1f s%n", LAYERS.get(1), byLayer.get(LAYERS.get(1)).size(),
          (System.nanoTime() - t0) / 1e9);
      s1.unpersist();
      return byLayer;
    }

    private static GraphSource graph(SparkSession spark, GraphCut cut) {
      return GraphSource.broadcast(cut.sha256(),
          spark.sparkContext().broadcast(cut.bytes(), scala.reflect.ClassTag$.MODULE$.apply(byte[].class)));
    }

    private static Map<Long, float[]> byId(Dataset<Row> d) {
      HashMap<Long, float[]> byId = new HashMap<>();
      for (Row r : d.select("id", "f").collectAsList()) {
        List<Float> f = r.getList(1);
        float[] v = new float[f.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = f.get(i);
        }
        byId.put(r.getLong(0), v);
      }
      return byId;
    }

    /** Code run in an executor slot; serializable so that it ships to the executors. */
    interface SlotProbe<T> extends Serializable {
      T run() throws Exception;
    }

    /**
     * Runs {@code probe} once in every executor slot, all at the same time: a barrier stage
     * (Spark's barrier execution mode, SPARK-24374) of {@code spark.cores.max} tasks is launched
     * only when every one of its tasks has a free slot, and fails when the cluster has fewer
     * slots. With one core per executor, each executor therefore runs exactly one of the tasks —
     * no sleeps, no reliance on how fast tasks finish.
     *
     * @return the probe's results, one per slot
     */
    static <T> List<T> onEverySlot(SparkSession spark, SlotProbe<T> probe) {
      int slots = spark.sparkContext().getConf().getInt("spark.cores.max", 0);
      if (slots < 1) {
        throw new IllegalStateException(
            "spark.cores.max = " + slots + "; StandaloneCluster.driverConf() sets it to the"
                + " cluster's total cores (valid: >= 1)");
      }
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Function1<Iterator<Integer>, Iterator<T>> once =
          (Function1<Iterator<Integer>, Iterator<T>> & Serializable)
              partition -> CollectionConverters.asScala(List.of(runProbe(probe)).iterator());
      @SuppressWarnings("unchecked")
      ClassTag<T> tag = (ClassTag<T>) ClassTag$.MODULE$.apply(Object.class);
      return jsc.parallelize(IntStream.range(0, slots).boxed().toList(), slots)
          .rdd()
          .barrier()
          .mapPartitions(once, false, tag)
          .toJavaRDD()
          .collect();
    }

    private static <T> T runProbe(SlotProbe<T> probe) {
      try {
        return probe.run();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(
            "probe failed on executor " + SparkEnv.get().executorId() + ": " + e, e);
      }
    }

    @Override
    public Result run(SparkSession spark) throws Exception {
      long t0 = System.nanoTime();
      ArrayList<String> where =
          new ArrayList<>(
              new LinkedHashSet<>(
                  onEverySlot(
                      spark,
                      () -> SparkEnv.get().executorId() + " " + ProcessHandle.current().pid())));
      where.add(String.valueOf(ProcessHandle.current().pid()));
      System.err.printf("where tasks run: %.1f s%n", (System.nanoTime() - t0) / 1e9);

      List<GraphCut> plan = plan();
      System.err.printf("plan built: %.1f s%n", (System.nanoTime() - t0) / 1e9);
      HashMap<String, Map<Long, float[]>> byLayer = extract(spark, plan);
      List<String> shas = plan.stream().map(GraphCut::sha256).toList();
      HashMap<String, ExecutorSessions> byExecutor = new HashMap<>();
      for (int round = 0; round < 2; round++) {
        List<ExecutorSessions> seen =
            onEverySlot(
                spark,
                () -> {
                  HashMap<String, HashSet<Integer>> ids = new HashMap<>();
                  for (String sha : shas) {
                    // a session that is not cached yet would be created: fail instead
                    try (SessionCache.Lease l =
                        SessionCache.acquire(
                            sha,
                            () -> {
                              throw new IllegalStateException(
                                  "executor " + SparkEnv.get().executorId()
                                      + " holds no session for stage graph " + sha);
                            },
                            1)) {
                      ids.put(sha, new HashSet<>(Set.of(System.identityHashCode(l.session()))));
                    }
                  }
                  return new ExecutorSessions(SparkEnv.get().executorId(), SessionCache.size(), ids);
                });
        for (ExecutorSessions s : seen) {
          byExecutor.merge(
              s.executorId(),
              s,
              (a, b) -> {
                b.stageSessions().forEach((k, v) -> a.stageSessions().get(k).addAll(v));
                return new ExecutorSessions(
                    a.executorId(), Math.max(a.cacheSize(), b.cacheSize()), a.stageSessions());
              });
        }
      }
      System.err.printf("session probe done: %.1f s%n", (System.nanoTime() - t0) / 1e9);
      return new Result(where, byLayer, byExecutor);
    }
  }
}
