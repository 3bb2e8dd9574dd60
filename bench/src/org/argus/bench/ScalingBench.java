package org.argus.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.TransferResult;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.model.roster.PreprocessingSpec.Scaling;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.plan.Pooling;

/**
 * {@code bench/run scaling [--models mobilenet_v2,inception_v3] [--train N] [--test N] [--seeds 1,2,3]
 * [--max-iter N] [--size inception_v3=139,mobilenet_v2=96]} — which input scaling feature transfer
 * should default to: per-layer test accuracy on Fashion-MNIST of every curated layer of each roster
 * model under Keras "tf" scaling ({@code x/127.5 − 1}, what the frozen ImageNet body was trained on)
 * and nsfwjs's {@code x/255} (what the retrained top was trained on), same sample, split, pooling and
 * learner, for a few seeds (each seed draws another sample). Not a timing benchmark: it records
 * accuracies, means over seeds and the per-seed differences.
 */
public final class ScalingBench {
  private ScalingBench() {}

  static final List<Scaling> SCALINGS = List.of(Scaling.TF, Scaling.UNIT);

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        a.put(args[i].substring(2), i + 1 < args.length ? args[++i] : "");
      }
    }
    int train = Integer.parseInt(a.getOrDefault("train", "1000"));
    int test = Integer.parseInt(a.getOrDefault("test", "250"));
    int maxIter = Integer.parseInt(a.getOrDefault("max-iter", "50"));
    List<Long> seeds = new ArrayList<>();
    for (String s : a.getOrDefault("seeds", "1,2,3").split(",")) {
      seeds.add(Long.parseLong(s.trim()));
    }
    Map<String, Integer> size = new LinkedHashMap<>(TransferBench.SIZE);
    for (String kv : a.getOrDefault("size", "").split(",")) {
      if (!kv.isBlank()) {
        String[] p = kv.split("=");
        size.put(p[0], Integer.parseInt(p[1]));
      }
    }
    SparkSession spark = SparkSessions.create("local[*]", "argus-bench-scaling", false);
    StringBuilder md = new StringBuilder(String.format("Fashion-MNIST %d train / %d test per seed (seeds %s: each a "
            + "different sample), pooling max:2, LogisticRegression (maxIter %d, regParam 1e-3), local[%d]. "
            + "Accuracy per layer: mean over seeds (min–max); Δ = unit − tf, mean (per-seed range).%n%n",
        train, test, seeds, maxIter, spark.sparkContext().defaultParallelism()));
    for (String m : a.getOrDefault("models", "mobilenet_v2,inception_v3").split(",")) {
      md.append(model(spark, Roster.get(m), size.get(m), train, test, maxIter, seeds));
    }
    System.out.println(md);
    BenchReport.append("scaling", "bench/run scaling " + String.join(" ", args), md.toString());
    spark.stop();
  }

  /** One model: accuracy[scaling][layer][seed], then the table and the verdict. */
  static String model(SparkSession spark, RosterModel m, int side, int train, int test, int maxIter, List<Long> seeds)
      throws Exception {
    Map<Scaling, Map<String, List<Double>>> acc = new LinkedHashMap<>();
    for (long seed : seeds) {
      for (Scaling s : SCALINGS) {
        PreprocessingSpec pre = m.preprocessing().withScaling(s).withSize(side, side);
        TransferResult r = FeatureTransfer.prepare(spark, TransferSpec.builder()
            .setFashionMnist(train, test)
            .setModel(m.name())
            .optPreprocessing(pre)
            .optInputSize(side)
            .setLayers(m.featureLayers())
            .optPooling(Pooling.VISTA_DEFAULT)
            .optLearner(new LogisticRegression().setMaxIter(maxIter).setRegParam(1e-3))
            .optSeed(seed)
            .build(), ProgressSink.SILENT).run();
        if (!r.model().preprocessing().equals(pre.compact())) {
          throw new IllegalStateException("transfer ran with " + r.model().preprocessing() + ", asked " + pre.compact());
        }
        for (TransferResult.LayerResult l : r.layers()) {
          acc.computeIfAbsent(s, x -> new LinkedHashMap<>()).computeIfAbsent(l.layer(), x -> new ArrayList<>())
              .add(l.accuracy());
          System.out.printf("%s seed %d %s %s: %.4f%n", m.name(), seed, s, l.layer(), l.accuracy());
        }
      }
    }
    StringBuilder md = new StringBuilder("### " + m.name() + " at " + side + "²\n\n"
        + "| layer | tf (x/127.5 − 1) | unit (x/255) | Δ unit − tf |\n|---|---:|---:|---:|\n");
    double sumTf = 0;
    double sumUnit = 0;
    int unitWins = 0;
    double bestTf = 0;
    double bestUnit = 0;
    for (String layer : m.featureLayers()) {
      List<Double> tf = acc.get(Scaling.TF).get(layer);
      List<Double> unit = acc.get(Scaling.UNIT).get(layer);
      List<Double> d = new ArrayList<>();
      for (int i = 0; i < tf.size(); i++) {
        d.add(unit.get(i) - tf.get(i));
      }
      sumTf += mean(tf);
      sumUnit += mean(unit);
      unitWins += mean(unit) > mean(tf) ? 1 : 0;
      bestTf = Math.max(bestTf, mean(tf));
      bestUnit = Math.max(bestUnit, mean(unit));
      md.append(String.format("| `%s` | %.4f (%.4f–%.4f) | %.4f (%.4f–%.4f) | %+.4f (%+.4f…%+.4f) |%n", layer,
          mean(tf), TransferBench.min(tf), TransferBench.max(tf), mean(unit), TransferBench.min(unit),
          TransferBench.max(unit), mean(d), TransferBench.min(d), TransferBench.max(d)));
    }
    int n = m.featureLayers().size();
    md.append(String.format("%nMean over layers: tf %.4f, unit %.4f; best layer: tf %.4f, unit %.4f; unit better on "
        + "%d of %d layers.%n%n", sumTf / n, sumUnit / n, bestTf, bestUnit, unitWins, n));
    return md.toString();
  }

  static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }
}
