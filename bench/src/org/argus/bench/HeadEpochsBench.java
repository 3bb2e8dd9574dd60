package org.argus.bench;

import static org.apache.spark.sql.functions.col;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.execution.SparkSessions;
import org.argus.execution.fusion.HeadTransfer;
import org.argus.execution.fusion.Standardizer;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.ModelSelection;
import org.argus.plan.mop.EpochRecord;
import org.argus.runtime.train.DjlTrainerFactory;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Goal;
import org.argus.select.space.Config;
import org.argus.store.RunDirectory;

/**
 * {@code bench/run headEpochs --features DIR --layers L1,L2,… [--epochs N] [--set k=v,…]}: how many epochs the
 * default transfer head ({@link HeadTransfer.HeadSpec#DEFAULT}: multinomial LR, Adam lr 1e-3, batch
 * 64, L2 1e-3, z-scored features) needs to match Spark ML's {@code LogisticRegression} (regParam
 * 1e-3, maxIter 100, standardization) on the same features. {@code DIR} is the {@code features}
 * table of {@code argus features} (columns {@code label}, {@code split}, one array column per layer).
 * Per layer: spark-lr's test accuracy, then the head trained by MOP (2 shards) for {@code N} epochs,
 * validated on the test split after every epoch: its test accuracy at epochs 8, 16, 32, … and its
 * mean training cross-entropy there (a head whose rate decays over the run, as the default's, runs once per
 * mark instead, decayed over that mark's steps; spark-lr's at its optimum beside: a converged head has about the
 * same; a much lower one means weights larger than the regularized optimum's). {@code --set k=v,…} overrides hyperparameters of the default
 * head (e.g. {@code --set lr=0.003}). Appends to {@code bench/results/head-epochs.md}.
 */
public final class HeadEpochsBench {
  private HeadEpochsBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String dir = a.get("features");
    if (dir == null || !a.containsKey("layers")) {
      throw new IllegalArgumentException("usage: bench/run headEpochs --features DIR --layers L1,L2,… [--epochs N] [--set k=v,…]");
    }
    int epochs = Integer.parseInt(a.getOrDefault("epochs", "128"));
    Map<String, Object> head = new LinkedHashMap<>(HeadTransfer.HeadSpec.DEFAULT.config()); // --set decay=none: one run
    if (a.containsKey("set")) { // k=v,…: numbers where they parse
      for (String kv : a.get("set").split(",")) {
        String[] p = kv.split("=", 2);
        Object v;
        try {
          v = p[1].matches("-?\\d+") ? (Object) Long.parseLong(p[1]) : (Object) Double.parseDouble(p[1]);
        } catch (NumberFormatException e) {
          v = p[1];
        }
        head.put(p[0], v);
      }
    }
    SparkSession spark = SparkSessions.create(null, "bench-head-epochs", false);
    Dataset<Row> df = spark.read().parquet(dir).cache();
    Dataset<Row> tr = df.filter(col("split").equalTo("train"));
    Dataset<Row> te = df.filter(col("split").equalTo("test"));
    StringBuilder md = new StringBuilder(String.format(Locale.ROOT,
        "### Head %s vs spark-lr by epochs: %s, %d train / %d test rows%n%n", head, dir, tr.count(), te.count()));
    List<Integer> marks = new ArrayList<>();
    for (int e = 8; e <= epochs; e *= 2) {
      marks.add(e);
    }
    md.append("| layer | spark-lr acc (L-BFGS iterations, train CE) |");
    marks.forEach(e -> md.append(" head @").append(e).append(" (train CE) |"));
    md.append("\n|---|---|").append("---|".repeat(marks.size())).append("\n");
    for (String layer : a.get("layers").split(",")) {
      LogisticRegressionModel lr = new LogisticRegression().setMaxIter(100).setRegParam(1e-3)
          .setFamily("multinomial").fit(vectors(tr, layer));
      Dataset<Row> p = lr.transform(vectors(te, layer));
      double lrAcc = p.filter(col("prediction").equalTo(col("label"))).count() / (double) p.count();
      // spark-lr's mean training cross-entropy at its optimum: a converged head reaches about the same
      double lrCe = lr.transform(vectors(tr, layer)).select("probability", "label").javaRDD()
          .mapToDouble(r -> -Math.log(Math.max(1e-300,
              ((org.apache.spark.ml.linalg.Vector) r.get(0)).apply((int) r.getDouble(1))))).mean();
      JavaRDD<Example> train = examples(tr, layer);
      Standardizer z = Standardizer.fit(train);
      JavaRDD<Example> trs = z.apply(train).cache();
      JavaRDD<Example> tes = z.apply(examples(te, layer)).cache();
      int dim = trs.first().x().length;
      md.append(String.format(Locale.ROOT, "| %s | %.4f (%d, %.4f) |", layer, lrAcc, lr.summary().totalIterations(), lrCe));
      if ("cosine".equals(String.valueOf(head.get("decay"))) && !head.containsKey("decay_steps")) {
        long rows = trs.count(); // the rate decays over the run: one run per mark, decayed over its own steps
        for (int e : marks) {
          Map<String, Object> c = new HeadTransfer.HeadSpec("head", head, e, 0, 0).configFor(rows);
          EpochRecord r = train(trs, tes, dim, c, e).get(e);
          md.append(String.format(Locale.ROOT, " %.4f (%.4f) |", r.valAccuracy(), r.trainLoss()));
        }
      } else {
        Map<Integer, EpochRecord> byEpoch = train(trs, tes, dim, head, epochs);
        for (int e : marks) {
          EpochRecord r = byEpoch.get(e);
          md.append(String.format(Locale.ROOT, " %.4f (%.4f) |", r.valAccuracy(), r.trainLoss()));
        }
      }
      md.append("\n");
      trs.unpersist();
      tes.unpersist();
    }
    System.out.print(md);
    BenchReport.append("head-epochs", "bench/run headEpochs " + String.join(" ", args), md.toString());
    spark.stop();
  }

  /** Trains one head by MOP (2 shards) validating on {@code tes} every epoch; its epoch records by epoch. */
  static Map<Integer, EpochRecord> train(JavaRDD<Example> trs, JavaRDD<Example> tes, int dim, Map<String, Object> config,
      int epochs) throws Exception {
    Path run = Files.createTempDirectory("bench-head-epochs");
    Files.delete(run);
    ModelSelection.builder().setData(trs)
        .setTrainerFactory(DjlTrainerFactory.builtIn("head", new long[] {dim}, 10).withThreads(1))
        .setProcedure(FixedEpochs.of(List.of(new Config(config)), epochs, Goal.maximize("accuracy")))
        .setRunDir(run.toString()).optWorkers(2).optSeed(42).optValidationData(tes).build().run();
    Map<Integer, EpochRecord> byEpoch = new TreeMap<>();
    new RunDirectory(run.toString()).readEpochs().forEach(e -> byEpoch.put(e.epoch(), e));
    return byEpoch;
  }

  static Dataset<Row> vectors(Dataset<Row> d, String layer) {
    return d.select(org.apache.spark.ml.functions.array_to_vector(col(layer)).as("features"),
        col("label").cast("double").as("label"));
  }

  static JavaRDD<Example> examples(Dataset<Row> d, String layer) {
    return d.select(layer, "label").javaRDD().map(r -> {
      List<Float> l = r.getList(0);
      float[] x = new float[l.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = l.get(i);
      }
      return new Example(((Number) r.get(1)).intValue(), x);
    });
  }
}
