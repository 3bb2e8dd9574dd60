package org.argus.testing.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.argus.data.FashionMnist;
import org.argus.model.provision.PretrainedModels;
import org.argus.surfaces.cli.ArgusCli;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code argus} under {@code spark-submit} on the standalone cluster (master + 2 worker JVMs):
 * each CLI job, submitted through {@code org.apache.spark.deploy.SparkSubmit} with the application
 * jar ({@link AppJar}: the thin stand-in for {@code target/argus-app.jar}) on top of a Spark-only
 * classpath, writes the same Parquet as the same command line run in local mode. One job per
 * {@link Job}: a {@code features} job (its Parquet) and a data-parallel {@code train} job (its
 * per-epoch loss and accuracy in {@code metrics.csv}).
 */
class SparkSubmitClusterTest {
  private static StandaloneCluster cluster;
  private static AppJar app;
  @TempDir static Path dir;

  /**
   * One CLI job: its command line (without {@code --out}) and the Parquet folders under OUT that
   * must be equal in both modes, row by row in the order of their {@code key} column.
   *
   * @param args the command line, e.g. {@code features --layers …}
   * @param outputs Parquet folder (relative to OUT) → the column its rows are ordered by
   * @param tolerance largest relative difference of a float (to the max |value| of its array)
   */
  record Job(List<String> args, String outFlag, Map<String, String> outputs, List<String> ignored,
      double tolerance) {
    Job(List<String> args, Map<String, String> outputs, double tolerance) {
      this(args, "--out", outputs, List.of(), tolerance);
    }

    @Override
    public String toString() {
      return String.join(" ", args);
    }
  }

  static Stream<Job> jobs() {
    return Stream.of(new Job(List.of("features", "--train", "12", "--test", "4", "--input-size", "64",
        "--layers", "block_3_expand_relu,block_6_expand_relu", "--pooling", "max:2"),
        Map.of("features", "id", "quarantine", "id"), 1e-5),
        // data-parallel training: the same loss and accuracy per epoch (timings differ)
        new Job(List.of("train", "--family", "mlp", "--width", "16", "--images", "200", "--workers", "2",
            "--epochs", "2", "--batch", "32", "--threads", "1"), "--run-dir", Map.of("metrics.csv", "epoch"),
            List.of("examples_per_s", "seconds"), 1e-5));
  }

  @BeforeAll
  static void up() throws Exception {
    FashionMnist.provision();
    PretrainedModels.onnxFile("mobilenet_v2");
    cluster = StandaloneCluster.shared();
    app = AppJar.thin(dir.resolve("app"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jobs")
  void aJobSubmittedToTheClusterWritesWhatLocalModeWrites(Job job) throws Exception {
    String name = job.args().get(0);
    Path clusterOut = dir.resolve(name + "-cluster");
    Path localOut = dir.resolve(name + "-local");
    List<String> clusterArgs = new ArrayList<>(job.args());
    clusterArgs.addAll(List.of(job.outFlag(), clusterOut.toString()));
    CompletableFuture<SparkSubmitRun> submitted = CompletableFuture.supplyAsync(() -> SparkSubmitRun.submit(
        cluster, app, ArgusCli.class.getName(), clusterArgs, Duration.ofMinutes(5)));
    SparkSession spark = SparkTestSession.get();
    List<String> localArgs = new ArrayList<>(job.args());
    localArgs.addAll(List.of(job.outFlag(), localOut.toString()));
    assertEquals(0, ArgusCli.execute(localArgs.toArray(new String[0])), "local run of " + job);
    SparkSubmitRun run = submitted.join();

    assertEquals(0, run.exitCode(), "spark-submit of " + job + "\n" + run.log());
    assertTrue(Files.exists(clusterOut.resolve("report.json")), run.log());
    String report = Files.readString(clusterOut.resolve("report.json"));
    if (report.contains("\"master\"")) { // a run that records its master ran on the submitted one
      assertTrue(report.contains("\"master\" : \"spark://"), "master recorded by " + job + ": " + report);
    }
    for (Map.Entry<String, String> o : job.outputs().entrySet()) {
      String output = o.getKey();
      List<Row> local = read(spark, localOut.resolve(output), job).orderBy(o.getValue()).collectAsList();
      List<Row> onCluster = read(spark, clusterOut.resolve(output), job).orderBy(o.getValue()).collectAsList();
      assertEquals(local.size(), onCluster.size(), output);
      for (int i = 0; i < local.size(); i++) {
        assertRowsEqual(local.get(i), onCluster.get(i), job.tolerance(), output + " row " + i);
      }
    }
  }

  /** A Parquet folder, or a CSV table with a header; without the job's ignored columns. */
  private static Dataset<Row> read(SparkSession spark, Path p, Job job) {
    Dataset<Row> d = p.toString().endsWith(".csv")
        ? spark.read().option("header", "true").option("inferSchema", "true").csv(p.toString())
        : spark.read().parquet(p.toString());
    return d.drop(job.ignored().toArray(new String[0]));
  }

  /** Exact equality, except floats: relative to the largest |value| of their array. */
  static void assertRowsEqual(Row expected, Row actual, double tolerance, String where) {
    assertEquals(expected.schema(), actual.schema(), where);
    for (int c = 0; c < expected.length(); c++) {
      Object e = expected.get(c);
      Object a = actual.get(c);
      String at = where + ", column " + expected.schema().fields()[c].name();
      double[] ev = floats(e);
      if (ev == null) {
        assertEquals(e, a, at);
        continue;
      }
      double[] av = floats(a);
      assertEquals(ev.length, av.length, at);
      double scale = 1e-12;
      double diff = 0;
      for (int k = 0; k < ev.length; k++) {
        scale = Math.max(scale, Math.abs(ev[k]));
        diff = Math.max(diff, Math.abs(ev[k] - av[k]));
      }
      assertTrue(diff / scale <= tolerance, at + ": relative difference " + diff / scale);
    }
  }

  /** @return the values of a float/double, an array of them or a vector; null for anything else */
  private static double[] floats(Object o) {
    if (o instanceof Float || o instanceof Double) {
      return new double[] {((Number) o).doubleValue()};
    }
    if (o instanceof Vector v) {
      return v.toArray();
    }
    if (o instanceof scala.collection.Seq<?> s && !s.isEmpty()
        && (s.head() instanceof Float || s.head() instanceof Double)) {
      double[] d = new double[s.size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = ((Number) s.apply(i)).doubleValue();
      }
      return d;
    }
    return null;
  }
}
