package org.argus.execution.transfer;

import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.NaiveBayes;
import org.apache.spark.sql.SparkSession;
import org.argus.plan.Pooling;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;

/**
 * Test fixture, run as a child JVM by {@link CrashVersusCompletesTest}: one feature transfer of
 * unpooled MobileNetV2 features on Fashion-MNIST in {@code local[2]}, either with Spark's and ONNX
 * Runtime's defaults forced ({@code --mode baseline}: {@link Overrides#sparkDefaults}) or with the
 * optimizer's plan ({@code --mode optimizer}). It prints machine-readable lines on stdout:
 *
 * <pre>
 * PLAN &lt;summary&gt;
 * PREPARED &lt;seconds since start&gt;
 * ESTIMATED vs MEASURED … (the run checked against the cost model, several lines)
 * RESULT &lt;layer&gt; dim &lt;d&gt; accuracy &lt;a&gt; macroF1 &lt;f&gt;     (one per layer, 6 decimals)
 * DONE heap-max &lt;bytes&gt; peak-heap &lt;bytes&gt; spilled &lt;bytes&gt; seconds &lt;s&gt;
 * FAILED &lt;exception class&gt;: &lt;message&gt; | caused by …     (instead of DONE; exit status 3)
 * </pre>
 *
 * A {@link OutOfMemoryError} thrown in a Spark task thread ends the JVM through Spark's uncaught
 * exception handler (exit status 52) before FAILED can be printed.
 */
public final class CappedHeapTransfer {
  private CappedHeapTransfer() {}

  /**
   * @param args {@code --mode baseline|optimizer --train N --test N --size PIXELS --layers A,B
   *     --learner nb|lr [--cores K]} ({@code local[K]}, default 2)
   */
  public static void main(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    long t0 = System.nanoTime();
    try {
      SparkSession spark = SparkSessions.create("local[" + a.getOrDefault("cores", "2") + "]", "argus-capped-heap", false);
      TransferSpec spec = spec(a.get("mode"), Integer.parseInt(a.get("train")), Integer.parseInt(a.get("test")),
          Integer.parseInt(a.get("size")), List.of(a.get("layers").split(",")), a.getOrDefault("learner", "nb"),
          spark.sparkContext().defaultParallelism());
      FeatureTransfer ft = FeatureTransfer.prepare(spark, spec, ProgressSink.SILENT);
      System.out.println("PLAN " + ft.decision().chosen().summary());
      System.out.printf("PREPARED %.1f s%n", (System.nanoTime() - t0) / 1e9);
      TransferResult r = ft.run();
      System.out.print(r.estimatedVsMeasured());
      for (String line : resultLines(r)) {
        System.out.println(line);
      }
      System.out.printf("DONE heap-max %d peak-heap %d spilled %d seconds %.1f%n", Runtime.getRuntime().maxMemory(),
          r.measured().peakHeapBytes(), r.measured().memoryBytesSpilled() + r.measured().diskBytesSpilled(),
          (System.nanoTime() - t0) / 1e9);
      System.out.flush();
      spark.stop();
      System.exit(0);
    } catch (Throwable e) {
      StringBuilder sb = new StringBuilder("FAILED ");
      for (Throwable c = e; c != null; c = c.getCause()) {
        String m = String.valueOf(c.getMessage());
        int nl = m.indexOf('\n');
        sb.append(c == e ? "" : " | caused by ").append(c.getClass().getName()).append(": ")
            .append(nl < 0 ? m : m.substring(0, nl));
        if (c.getCause() == c) {
          break;
        }
      }
      System.out.println(sb);
      System.out.flush();
      Runtime.getRuntime().halt(3);
    }
  }

  /**
   * The workload: pooling none, seed 42, downstream {@code nb} = NaiveBayes (multinomial; ReLU
   * features are non-negative; one pass over the data) or {@code lr} = LogisticRegression (5
   * iterations).
   *
   * @param mode {@code baseline} (Spark's defaults, eager) or {@code optimizer}
   * @param cores cores of the executor (for the baseline's one-task-per-core default)
   */
  static TransferSpec spec(String mode, int train, int test, int size, List<String> layers, String learner, int cores) {
    Overrides o = switch (mode) {
      case "baseline" -> Overrides.sparkDefaults(LogicalPlan.EAGER, cores);
      case "optimizer" -> Overrides.NONE;
      default -> throw new IllegalArgumentException("mode must be baseline or optimizer, found " + mode);
    };
    return TransferSpec.builder()
        .setFashionMnist(train, test)
        .setModel("mobilenet_v2")
        .optInputSize(size)
        .setLayers(layers)
        .optPooling(Pooling.parse("none"))
        .optLearner(learner.equals("nb") ? new NaiveBayes() : new LogisticRegression().setMaxIter(5).setRegParam(1e-3))
        .optOverrides(o)
        .build();
  }

  /** @return one {@code RESULT} line per layer, as the child prints them */
  static List<String> resultLines(TransferResult r) {
    return r.layers().stream()
        .map(l -> String.format("RESULT %s dim %d accuracy %.6f macroF1 %.6f", l.layer(), l.featureDim(),
            l.accuracy(), l.macroF1()))
        .toList();
  }
}
