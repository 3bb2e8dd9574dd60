package org.argus.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.store.RunDirectory;
import org.argus.surfaces.cli.ArgusCli;

/**
 * {@code bench/run procedure [--trials N] [--startup S] [--seeds K] [--first-seed X] [--out DIR] --
 * SELECT_ARGS…}: random search ({@code random:N}) against TPE ({@code tpe:N} or {@code tpe:N,S}) at
 * equal budget — the same N trials of the same {@code --epochs}, the same data, workers and space —
 * for K seeds (default 3: X, X+1, …; X default 42). Each run is {@code argus select SELECT_ARGS
 * --procedure P --seed SEED --run-dir DIR/SEED-P}, run in this JVM through {@link ArgusCli}, so
 * whatever flags {@code argus select} takes work here; the harness reads the run's epochs and units
 * tables back.
 *
 * <p>Per run: unit queries spent (successful ones), and the best validation accuracy (at a trial's
 * last epoch, as the leaderboard ranks) among its first trials in id order whose unit queries fit in
 * 25 / 50 / 75 / 100 % of the seed's budget (the larger of the two runs' unit counts), plus the whole
 * curve (unit queries → best so far, at every trial that improved it). Trials are counted in id
 * order — TPE's proposal order — rather than by round, because random search trains all its configs
 * at once on the per-epoch template and would otherwise finish every trial in its last round. Both
 * procedures draw their first configs from the same seed's sampler (TPE's random startup trials are
 * random search's first configs, with the same trial seeds); their accuracies can still differ a
 * little, since MOP's shard visit order depends on which configs share a round. Appends the table to
 * {@code bench/results/procedure.md}.
 */
public final class ProcedureBench {
  private ProcedureBench() {}

  /** One finished selection run, as its tables recorded it. */
  private record Run(String procedure, long seed, int units, List<double[]> curve, String best, double seconds) {
    /** @return the best validation accuracy of trials finished within {@code budget} unit queries (NaN if none) */
    double bestWithin(double budget) {
      double b = Double.NaN;
      for (double[] p : curve) {
        if (p[0] <= budget + 1e-9) {
          b = p[1];
        }
      }
      return b;
    }
  }

  public static void main(String[] args) throws Exception {
    int trials = 20;
    int seeds = 3;
    long firstSeed = 42;
    String startup = null;
    Path out = Path.of("bench", "out", "procedure");
    int dash = Arrays.asList(args).indexOf("--");
    if (dash < 0) {
      throw new IllegalArgumentException("usage: bench/run procedure [--trials N] [--startup S] [--seeds K] "
          + "[--first-seed X] [--out DIR] -- ARGUS_SELECT_ARGS… (e.g. -- --data parquet:PATH --family head --epochs 2)");
    }
    for (int i = 0; i < dash; i += 2) {
      String v = i + 1 < dash ? args[i + 1] : null;
      switch (args[i]) {
        case "--trials" -> trials = Integer.parseInt(v);
        case "--startup" -> startup = v;
        case "--seeds" -> seeds = Integer.parseInt(v);
        case "--first-seed" -> firstSeed = Long.parseLong(v);
        case "--out" -> out = Path.of(v);
        default -> throw new IllegalArgumentException("unknown flag " + args[i]
            + "; valid before --: --trials --startup --seeds --first-seed --out");
      }
    }
    List<String> select = List.of(args).subList(dash + 1, args.length);
    for (String own : List.of("--procedure", "--seed", "--run-dir", "--resume")) {
      if (select.stream().anyMatch(a -> a.equals(own) || a.startsWith(own + "="))) {
        throw new IllegalArgumentException(own + " is set by the harness; remove it from the select arguments");
      }
    }
    List<String> procedures = List.of("random:" + trials, "tpe:" + trials + (startup == null ? "" : "," + startup));
    Files.createDirectories(out);
    List<Run> runs = new ArrayList<>();
    for (int k = 0; k < seeds; k++) {
      long seed = firstSeed + k;
      for (String p : procedures) {
        Path dir = out.resolve(seed + "-" + p.replace(':', '-').replace(',', '-'));
        if (Files.exists(dir)) {
          throw new IllegalArgumentException("run directory " + dir + " exists; remove it or pass another --out");
        }
        List<String> cli = new ArrayList<>(List.of("select"));
        cli.addAll(select);
        cli.addAll(List.of("--procedure", p, "--seed", Long.toString(seed), "--run-dir", dir.toString()));
        System.out.println("== argus " + String.join(" ", cli));
        long t0 = System.nanoTime();
        int rc = ArgusCli.execute(cli.toArray(String[]::new));
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
          throw new IllegalStateException("argus " + String.join(" ", cli) + " exited with " + rc);
        }
        runs.add(read(p, seed, new RunDirectory(dir.toString()), seconds));
      }
    }
    String md = table(runs, procedures, seeds, firstSeed, select);
    System.out.print(md);
    BenchReport.append("procedure", "bench/run procedure " + String.join(" ", args), md);
  }

  /**
   * Reads a run's tables: per trial, its successful unit queries and its validation accuracy at its
   * last epoch (none if it failed); the curve adds trials in id (proposal) order.
   */
  private static Run read(String procedure, long seed, RunDirectory dir, double seconds) throws Exception {
    TreeMap<Integer, EpochRecord> last = new TreeMap<>();
    for (EpochRecord e : dir.readEpochs()) {
      last.merge(e.trial(), e, (a, b) -> b.epoch() > a.epoch() ? b : a);
    }
    Map<Integer, Integer> unitsOf = new HashMap<>();
    for (UnitRecord u : dir.readUnits()) {
      if (u.error() == null) {
        unitsOf.merge(u.trial(), 1, Integer::sum);
      }
    }
    List<double[]> curve = new ArrayList<>();
    double best = Double.NaN;
    String bestConfig = "none";
    int spent = 0;
    for (EpochRecord e : last.values()) {
      spent += unitsOf.getOrDefault(e.trial(), 0);
      if (e.failed() == null && !Double.isNaN(e.valAccuracy()) && !(e.valAccuracy() <= best)) {
        best = e.valAccuracy();
        bestConfig = "trial " + e.trial() + " " + e.config();
        curve.add(new double[] {spent, best});
      }
    }
    return new Run(procedure, seed, spent, curve, bestConfig, seconds);
  }

  private static String table(List<Run> runs, List<String> procedures, int seeds, long firstSeed, List<String> select) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s vs %s at equal budget, seeds %d..%d; select arguments: `%s`. "
        + "Best validation accuracy (a trial's last epoch) among "
        + "the first trials (id order) whose unit queries fit in a fraction of the seed's budget (unit queries of the "
        + "larger run).%n%n", procedures.get(0), procedures.get(1), firstSeed, firstSeed + seeds - 1,
        String.join(" ", select)));
    sb.append("| seed | procedure | unit queries | best @25 % | @50 % | @75 % | @100 % | best trial | wall s |\n"
        + "|---|---|---|---|---|---|---|---|---|\n");
    Map<String, List<Double>> finals = new LinkedHashMap<>();
    for (int k = 0; k < seeds; k++) {
      long seed = firstSeed + k;
      List<Run> pair = runs.stream().filter(r -> r.seed() == seed).toList();
      int budget = pair.stream().mapToInt(Run::units).max().orElse(0);
      for (Run r : pair) {
        sb.append(String.format(Locale.ROOT, "| %d | %s | %d | %s | %s | %s | %s | %s | %.0f |%n", seed, r.procedure(), r.units(),
            acc(r.bestWithin(budget * 0.25)), acc(r.bestWithin(budget * 0.5)), acc(r.bestWithin(budget * 0.75)),
            acc(r.bestWithin(budget)), r.best().replace("|", "\\|"), r.seconds()));
        finals.computeIfAbsent(r.procedure(), p -> new ArrayList<>()).add(r.bestWithin(budget));
      }
    }
    sb.append("\n");
    finals.forEach((p, v) -> sb.append(String.format(Locale.ROOT, "- %s: mean best %.4f over %d seeds (%s)%n", p,
        v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN), v.size(),
        String.join(", ", v.stream().map(ProcedureBench::acc).toList()))));
    List<Double> a = finals.get(procedures.get(0));
    List<Double> b = finals.get(procedures.get(1));
    int wins = 0;
    int ties = 0;
    for (int i = 0; i < a.size(); i++) {
      wins += b.get(i) > a.get(i) ? 1 : 0;
      ties += b.get(i).equals(a.get(i)) ? 1 : 0;
    }
    sb.append(String.format(Locale.ROOT, "- %s better on %d of %d seeds, equal on %d%n", procedures.get(1), wins,
        a.size(), ties));
    sb.append("\nCurves (unit queries, trials in id order → best so far):\n\n");
    runs.stream().sorted(Comparator.comparingLong(Run::seed)).forEach(r -> sb.append("- seed ").append(r.seed())
        .append(' ').append(r.procedure()).append(": ").append(String.join(", ", r.curve().stream()
            .map(p -> String.format(Locale.ROOT, "%d→%.4f", (long) p[0], p[1])).toList())).append('\n'));
    return sb.toString();
  }

  private static String acc(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.4f", v);
  }
}
