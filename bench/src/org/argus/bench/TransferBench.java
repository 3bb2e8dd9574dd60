package org.argus.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.plan.Pooling;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.plan.cost.PhysicalPlan;
import org.argus.plan.cost.StageEstimate;

/**
 * {@code bench/run transfer [--models mobilenet_v2,inception_v3] [--train N] [--test N] [--max-iter N]
 * [--reps R] [--size inception_v3=299,mobilenet_v2=96]} — end-to-end seconds (min / median / max over
 * R ≥ 2 repetitions, every plan warmed up first, the plans' order rotated each repetition) of the lazy,
 * eager and staged plans and of the optimizer's choice on the same Fashion-MNIST sample, split and
 * learner, plus EXPLAIN ANALYZE (estimated vs measured held bytes and task heap per stage) (InceptionV3
 * {mixed5, mixed7, mixed9, mixed10} at 139² unless {@code --size} says otherwise, e.g. its native
 * 299², MobileNetV2 {block_6_expand_relu, block_13_expand_relu, block_16_project_BN, out_relu} at
 * 96²), with the per-layer accuracy table and ratios against staged.
 *
 * <p>{@code bench/run transfer --crash [--heap 1g] [--train N] [--test N]}: the "no crash where the
 * baselines crash" workload — unpooled features in child JVMs with a capped heap: the eager plan
 * with Spark's and ORT's defaults (batch 32, one task per core, 10 000-row column batches) versus the
 * optimizer's plan on the same heap, and the optimizer's plan uncapped for the metrics check. The
 * baseline's failure output is captured in the results.
 */
public final class TransferBench {
  private TransferBench() {}

  static final Map<String, List<String>> LAYERS = new LinkedHashMap<>();
  /** Input size per model (the Fashion-MNIST defaults of {@code argus transfer}); {@code --size} overrides. */
  static final Map<String, Integer> SIZE = new LinkedHashMap<>(Map.of("mobilenet_v2", 96, "inception_v3", 139));

  static {
    LAYERS.put("mobilenet_v2", List.of("block_6_expand_relu", "block_13_expand_relu", "block_16_project_BN", "out_relu"));
    LAYERS.put("inception_v3", List.of("mixed5", "mixed7", "mixed9", "mixed10"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
        a.put(args[i].substring(2), flag ? "true" : args[++i]);
      }
    }
    int train = Integer.parseInt(a.getOrDefault("train", "2000"));
    int test = Integer.parseInt(a.getOrDefault("test", "500"));
    int maxIter = Integer.parseInt(a.getOrDefault("max-iter", "50"));
    if (a.containsKey("child")) {
      child(a, train, test, maxIter);
      return;
    }
    if (a.containsKey("crash")) {
      crash(a, train, test, maxIter, String.join(" ", args));
      return;
    }
    List<String> models = List.of(a.getOrDefault("models", "mobilenet_v2,inception_v3").split(","));
    for (String kv : a.getOrDefault("size", "").split(",")) {
      if (!kv.isBlank()) {
        String[] p = kv.split("=");
        if (p.length != 2 || !SIZE.containsKey(p[0])) {
          throw new IllegalArgumentException("--size expects MODEL=PIXELS[,…] with MODEL in " + SIZE.keySet() + ", found '" + kv + "'");
        }
        SIZE.put(p[0], Integer.parseInt(p[1]));
      }
    }
    int reps = Integer.parseInt(a.getOrDefault("reps", "2"));
    SparkSession spark = SparkSessions.create("local[*]", "argus-bench-transfer", false);
    StringBuilder md = new StringBuilder();
    md.append(String.format("Fashion-MNIST %d train / %d test (seed 42), pooling max:2, LogisticRegression (maxIter %d, "
            + "regParam 1e-3), local[%d]; every plan warmed up once (200/50 images), then %d repetitions with the "
            + "plans' order rotated; seconds end to end from the driver (prepare + run).%n%n",
        train, test, maxIter, spark.sparkContext().defaultParallelism(), reps));
    for (String m : models) {
      md.append(model(spark, m, train, test, maxIter, reps));
    }
    System.out.println(md);
    BenchReport.append("transfer", "bench/run transfer " + String.join(" ", args), md.toString());
    spark.stop();
  }

  static final List<String> PLANS = List.of("lazy", "eager", "staged", "auto");

  /** One model: warm-up, rotated repetitions, the timing table, EXPLAIN ANALYZE and the metrics check. */
  static String model(SparkSession spark, String m, int train, int test, int maxIter, int reps) throws Exception {
    for (String plan : PLANS) { // warm-up: JIT, ONNX Runtime sessions of every plan's cuts
      FeatureTransfer.prepare(spark, spec(m, 200, 50, maxIter, Pooling.VISTA_DEFAULT, overrides(plan)),
          ProgressSink.SILENT).run();
    }
    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    Map<String, List<Double>> inference = new LinkedHashMap<>();
    Map<String, TransferResult> last = new LinkedHashMap<>();
    String chosen = "";
    String explain = "";
    for (int rep = 0; rep < reps; rep++) {
      for (int k = 0; k < PLANS.size(); k++) {
        String plan = PLANS.get((k + rep) % PLANS.size());
        long t0 = System.nanoTime();
        FeatureTransfer ft = FeatureTransfer.prepare(spark, spec(m, train, test, maxIter, Pooling.VISTA_DEFAULT,
            overrides(plan)), ProgressSink.SILENT);
        TransferResult r = ft.run();
        double s = (System.nanoTime() - t0) / 1e9;
        if (plan.equals("auto")) {
          chosen = r.decision().chosen().logical().cliName();
          explain = ft.explain();
        }
        seconds.computeIfAbsent(plan, x -> new ArrayList<>()).add(s);
        inference.computeIfAbsent(plan, x -> new ArrayList<>()).add(r.measured().phases().stream()
            .filter(TransferResult.PhaseMetrics::inference).mapToDouble(TransferResult.PhaseMetrics::seconds).sum());
        last.put(plan, r);
        System.out.printf("%s %s rep %d: %.1f s (%s)%n", m, plan, rep + 1, s, r.decision().chosen().summary());
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("### ").append(m).append(" ").append(LAYERS.get(m)).append(" at ").append(SIZE.get(m)).append("²\n\n");
    md.append("| plan | end-to-end s min / median / max | inference s min / median | median ÷ staged median |\n"
        + "|---|---|---|---:|\n");
    double staged = median(seconds.get("staged"));
    for (String plan : PLANS) {
      List<Double> s = seconds.get(plan);
      md.append(String.format("| %s | %.1f / %.1f / %.1f | %.1f / %.1f | %.2f |%n",
          plan.equals("auto") ? "optimizer (chose " + chosen + ")" : plan, min(s), median(s), max(s),
          min(inference.get(plan)), median(inference.get(plan)), median(s) / staged));
    }
    List<Double> auto = seconds.get("auto");
    List<Double> same = seconds.get(chosen);
    boolean agree = Math.abs(median(auto) - median(same))
        <= Math.max(0.1 * median(same), (max(same) - min(same)) + (max(auto) - min(auto)));
    md.append(String.format("%nlazy ÷ staged (medians) = %.2f×, staged ÷ eager = %.2f×; the optimizer chose %s: "
            + "its median %.1f s vs %s's %.1f s — %s%n%n", median(seconds.get("lazy")) / staged,
        staged / median(seconds.get("eager")), chosen, median(auto), chosen, median(same),
        agree ? "agree within noise (≤ 10 % or the runs' ranges)" : "**DISAGREE** beyond noise"));
    md.append(analyze(last));
    md.append(metrics(last));
    md.append("EXPLAIN (optimizer):\n\n```\n").append(explain).append("```\n\n");
    return md.toString();
  }

  /** EXPLAIN ANALYZE of every plan's last run: per stage estimated vs measured held bytes and task heap. */
  static String analyze(Map<String, TransferResult> last) {
    StringBuilder md = new StringBuilder("EXPLAIN ANALYZE (last repetition of each plan): held = bytes of the "
        + "persisted layers at the stage's end (Spark storage status); task heap = the most heap a task "
        + "allocated in one batch cycle (JVM per-thread allocation counter); peak heap = the executor's (the "
        + "driver's, local mode) live heap after GC.\n\n"
        + "| plan | stage | est. held | meas. held | est./meas. | est. task heap | meas. task heap | est./meas. |\n"
        + "|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (Map.Entry<String, TransferResult> e : last.entrySet()) {
      if (e.getKey().equals("auto")) {
        continue;
      }
      PhysicalPlan p = e.getValue().decision().chosen();
      int i = 0;
      for (TransferResult.PhaseMetrics m : e.getValue().measured().phases()) {
        if (!m.inference()) {
          continue;
        }
        StageEstimate s = p.stages().get(i++);
        md.append(String.format("| %s | %s | %s | %s | %.2f | %s | %s | %s |%n", e.getKey(), m.label(),
            mib(s.heldBytes()), mib(m.heldBytes()), (double) s.heldBytes() / m.heldBytes(), mib(s.taskHeapBytes()),
            m.taskBatchCycleBytes() < 0 ? "–" : mib(m.taskBatchCycleBytes()),
            m.taskBatchCycleBytes() < 0 ? "–" : String.format("%.2f", (double) s.taskHeapBytes() / m.taskBatchCycleBytes())));
      }
      TransferResult.Measured meas = e.getValue().measured();
      md.append(String.format("| %s | run: est. peak heap %s, measured live %s (%.2f) | | | | | | |%n", e.getKey(),
          mib(p.peakHeapBytesPerExecutor()), mib(meas.peakLiveHeapBytes()),
          (double) p.peakHeapBytesPerExecutor() / meas.peakLiveHeapBytes()));
    }
    return md.append('\n').toString();
  }

  static String metrics(Map<String, TransferResult> last) {
    TransferResult ref = last.values().iterator().next();
    StringBuilder md = new StringBuilder("| layer | feature dim | accuracy | macro-F1 | same on every plan |\n|---|---:|---:|---:|---|\n");
    for (int i = 0; i < ref.layers().size(); i++) {
      TransferResult.LayerResult l = ref.layers().get(i);
      boolean same = true;
      for (TransferResult r : last.values()) {
        same &= Math.abs(r.layers().get(i).accuracy() - l.accuracy()) < 1e-12;
      }
      md.append(String.format("| `%s` | %d | %.4f | %.4f | %s |%n", l.layer(), l.featureDim(), l.accuracy(),
          l.macroF1(), same ? "yes" : "NO"));
    }
    return md.append('\n').toString();
  }

  static Overrides overrides(String plan) {
    return plan.equals("auto") ? Overrides.NONE : Overrides.NONE.withPlan(LogicalPlan.parse(plan));
  }

  static String mib(long b) {
    return String.format("%.1f MiB", b / 1048576.0);
  }

  static double min(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  static double max(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    int n = s.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static TransferSpec spec(String model, int train, int test, int maxIter, Pooling pooling, Overrides o) {
    return TransferSpec.builder()
        .setFashionMnist(train, test)
        .setModel(model)
        .optInputSize(SIZE.get(model))
        .setLayers(LAYERS.get(model))
        .optPooling(pooling)
        .optLearner(new LogisticRegression().setMaxIter(maxIter).setRegParam(1e-3))
        .optOverrides(o)
        .build();
  }

  /** One transfer in this JVM: prints RESULT lines; a crash ends the JVM with a non-zero status. */
  static void child(Map<String, String> a, int train, int test, int maxIter) throws Exception {
    SparkSession spark = SparkSessions.create("local[2]", "argus-bench-child", false);
    String model = a.getOrDefault("model", "mobilenet_v2");
    List<String> layers = List.of(a.getOrDefault("layers", "block_3_expand_relu,block_6_expand_relu").split(","));
    LAYERS.put(model, layers);
    Overrides o = a.get("child").equals("baseline")
        ? Overrides.sparkDefaults(LogicalPlan.parse(a.getOrDefault("plan", "eager")), spark.sparkContext().defaultParallelism())
        : Overrides.NONE;
    FeatureTransfer ft = FeatureTransfer.prepare(spark, spec(model, train, test, maxIter, Pooling.parse("none"), o), ProgressSink.SILENT);
    System.out.println("PLAN " + ft.decision().chosen().summary() + (ft.decision().chosen().fits() ? "" : " (predicted not to fit: " + ft.decision().chosen().reason() + ")"));
    long t0 = System.nanoTime();
    TransferResult r = ft.run();
    for (TransferResult.LayerResult l : r.layers()) {
      System.out.printf("RESULT %s dim %d accuracy %.6f macroF1 %.6f%n", l.layer(), l.featureDim(), l.accuracy(), l.macroF1());
    }
    System.out.printf("DONE %.1f s, measured peak heap %d MiB, spilled %d MiB%n", (System.nanoTime() - t0) / 1e9,
        r.measured().peakHeapBytes() >> 20, (r.measured().memoryBytesSpilled() + r.measured().diskBytesSpilled()) >> 20);
    spark.stop();
  }

  record Child(int exit, String output, double seconds) {}

  static Child spawn(String heap, String mode, int train, int test, int maxIter, String layers) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-Xmx") && !arg.startsWith("-Xms")) {
        cmd.add(arg);
      }
    }
    cmd.add("-Xmx" + heap);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(TransferBench.class.getName());
    cmd.addAll(List.of("--child", mode, "--plan", "eager", "--train", Integer.toString(train), "--test",
        Integer.toString(test), "--max-iter", Integer.toString(maxIter), "--layers", layers));
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.MINUTES)) {
      p.destroyForcibly();
    }
    return new Child(p.exitValue(), new String(out, StandardCharsets.UTF_8), (System.nanoTime() - t0) / 1e9);
  }

  static void crash(Map<String, String> a, int train, int test, int maxIter, String args) throws Exception {
    String heap = a.getOrDefault("heap", "1g");
    String layers = a.getOrDefault("layers", "block_3_expand_relu,block_6_expand_relu");
    Child base = spawn(heap, "baseline", train, test, maxIter, layers);
    Child opt = spawn(heap, "optimizer", train, test, maxIter, layers);
    Child ref = spawn("6g", "optimizer", train, test, maxIter, layers);
    StringBuilder md = new StringBuilder();
    md.append(String.format("No crash where the baseline crashes: MobileNetV2 at 96², layers %s, pooling **none** "
        + "(unpooled features), %d train / %d test Fashion-MNIST images, local[2], child JVMs.%n%n", layers, train, test));
    md.append("| run | heap | exit | seconds |\n|---|---|---:|---:|\n");
    md.append(String.format("| eager with Spark/ORT defaults (batch 32, 2 tasks, 10 000-row column batches) | %s | %d | %.1f |%n", heap, base.exit(), base.seconds()));
    md.append(String.format("| optimizer's plan | %s | %d | %.1f |%n", heap, opt.exit(), opt.seconds()));
    md.append(String.format("| optimizer's plan, uncapped reference | 6g | %d | %.1f |%n%n", ref.exit(), ref.seconds()));
    md.append("Baseline output:\n\n```\n").append(grep(base.output())).append("\n```\n\n");
    md.append("Optimizer (capped):\n\n```\n").append(grep(opt.output())).append("\n```\n\n");
    md.append("Optimizer (uncapped reference):\n\n```\n").append(grep(ref.output())).append("\n```\n\n");
    boolean same = results(opt.output()).equals(results(ref.output())) && !results(ref.output()).isEmpty();
    md.append("Same per-layer metrics capped and uncapped: ").append(same ? "**yes**" : "**no**").append('\n');
    System.out.println(md);
    BenchReport.append("transfer", "bench/run transfer " + args, md.toString());
  }

  static String tail(String s, int n) {
    String[] lines = s.strip().split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
  }

  static String grep(String s) {
    if (!s.contains("DONE ")) {
      return tail(s.replaceAll("(?m)^\\s+at .*\\n", ""), 20);
    }
    StringBuilder sb = new StringBuilder();
    for (String l : s.split("\n")) {
      if (l.startsWith("PLAN") || l.startsWith("RESULT") || l.startsWith("DONE")) {
        sb.append(l).append('\n');
      }
    }
    return sb.length() == 0 ? tail(s, 15) : sb.toString().strip();
  }

  static List<String> results(String s) {
    List<String> out = new ArrayList<>();
    for (String l : s.split("\n")) {
      if (l.startsWith("RESULT")) {
        out.add(l);
      }
    }
    return out;
  }
}
