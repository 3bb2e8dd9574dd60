package org.argus.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.argus.data.OnnxTestData;
import org.argus.surfaces.conformance.BackendCase;
import org.argus.surfaces.conformance.OnnxConformance;
import org.argus.surfaces.conformance.OnnxConformance.CaseResult;
import org.argus.surfaces.conformance.OnnxConformance.Verdict;

/**
 * {@code bench/run conformance [--suites node,pytorch-operator,pytorch-converted,simple] [--limit N]}:
 * every case of ONNX's backend test data (Debian {@code libonnx-testdata}) through {@code
 * OnnxTransformer} on Spark (local[1]) and through a plain ONNX Runtime session, classified by
 * {@link OnnxConformance}. Appends to {@code bench/results/conformance.md}: counts of Argus's
 * verdict × raw ONNX Runtime's, the refusal reasons grouped, and every case Argus does not pass
 * although ONNX Runtime itself does (the unexplained ones, the goal being none).
 */
public final class ConformanceBench {
  private ConformanceBench() {}

  public static void main(String[] args) throws Exception {
    List<String> suites = List.of("node", "pytorch-operator", "pytorch-converted", "simple");
    int limit = Integer.MAX_VALUE;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--suites" -> suites = List.of(args[i + 1].split(","));
        case "--limit" -> limit = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; valid: --suites a,b --limit N");
      }
    }
    Path root = OnnxTestData.root();
    List<BackendCase> cases = new ArrayList<>();
    for (BackendCase c : BackendCase.list(root)) {
      if (suites.contains(c.suite()) && cases.size() < limit) {
        cases.add(c);
      }
    }
    SparkSession spark = SparkSession.builder().master("local[1]").appName("conformance")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    List<CaseResult> results = new ArrayList<>();
    long t0 = System.nanoTime();
    for (BackendCase c : cases) {
      CaseResult r = OnnxConformance.run(spark, c);
      results.add(r);
      if (results.size() % 50 == 0) {
        System.out.printf(Locale.ROOT, "%d / %d cases, %.0f s%n", results.size(), cases.size(),
            (System.nanoTime() - t0) / 1e9);
      }
    }
    spark.stop();
    BenchReport.append("conformance", "bench/run conformance " + String.join(" ", args), report(root, results));
    // every case's verdicts, for the record (overwritten by each run)
    StringBuilder tsv = new StringBuilder("case\targus\traw_ort\tdetail\n");
    for (CaseResult r : results) {
      tsv.append(r.id()).append('\t').append(r.argus()).append('\t').append(r.raw()).append('\t')
          .append(r.detail().replace('\t', ' ')).append('\n');
    }
    java.nio.file.Files.writeString(Path.of("bench", "results", "conformance-cases.tsv"), tsv);
  }

  static String report(Path root, List<CaseResult> results) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "%d cases of %s (test_data_set_0 each); tolerance |a − e| ≤ %.0e + %.0e·|e|.%n%n",
        results.size(), root, OnnxConformance.ATOL, OnnxConformance.RTOL));
    md.append("| Argus (OnnxTransformer on Spark) \\ raw ONNX Runtime |");
    for (Verdict v : Verdict.values()) {
      md.append(' ').append(v.name().toLowerCase(Locale.ROOT)).append(" |");
    }
    md.append(" total |\n|---|");
    md.append("---:|".repeat(Verdict.values().length + 1)).append('\n');
    for (Verdict a : Verdict.values()) {
      long total = results.stream().filter(r -> r.argus() == a).count();
      if (total == 0) {
        continue;
      }
      md.append("| ").append(a.name().toLowerCase(Locale.ROOT)).append(" |");
      for (Verdict raw : Verdict.values()) {
        md.append(' ').append(results.stream().filter(r -> r.argus() == a && r.raw() == raw).count()).append(" |");
      }
      md.append(' ').append(total).append(" |\n");
    }
    Map<String, Integer> reasons = new TreeMap<>();
    for (CaseResult r : results) {
      if (r.argus() == Verdict.REFUSED) {
        reasons.merge(reasonKey(r.detail()), 1, Integer::sum);
      }
    }
    md.append("\nRefusals (before any job) by reason:\n\n| reason | cases |\n|---|---:|\n");
    reasons.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    md.append("\nCases Argus does not pass although raw ONNX Runtime does (unexplained):\n\n");
    long n = 0;
    for (CaseResult r : results) {
      if (r.argus() != Verdict.PASS && r.raw() == Verdict.PASS) {
        md.append("- `").append(r.id()).append("` ").append(r.argus().name().toLowerCase(Locale.ROOT)).append(": ")
            .append(r.detail().replace("|", "\\|")).append('\n');
        n++;
      }
    }
    if (n == 0) {
      md.append("none\n");
    }
    md.append("\nNumeric mismatches (Argus):\n\n");
    long m = 0;
    for (CaseResult r : results) {
      if (r.argus() == Verdict.MISMATCH) {
        md.append("- `").append(r.id()).append("` (raw ORT: ").append(r.raw().name().toLowerCase(Locale.ROOT))
            .append("): ").append(r.detail()).append('\n');
        m++;
      }
    }
    if (m == 0) {
      md.append("none\n");
    }
    return md.toString();
  }

  /** @return the refusal's kind, without the case's paths and names */
  static String reasonKey(String detail) {
    String d = detail.replaceAll("/\\S+", "PATH").replaceAll("'[^']*'", "'…'");
    if (d.contains("has element type")) {
      return d.replaceAll(".*has element type (\\w+).*", "element type $1 (supported: the nine Argus types)");
    }
    if (d.contains("not a tensor")) {
      return d.replaceAll(".* is a (\\w+), not a tensor.*", "$1 input or output, not a tensor");
    }
    if (d.contains("uses ONNX opset")) {
      return "opset below 7";
    }
    if (d.contains("ONNX Runtime cannot load")) {
      return "ONNX Runtime cannot load the model";
    }
    return d.length() > 160 ? d.substring(0, 160) + "…" : d;
  }
}
