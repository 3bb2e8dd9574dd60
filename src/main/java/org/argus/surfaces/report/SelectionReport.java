package org.argus.surfaces.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.argus.ArgusException;
import org.argus.execution.mop.SelectionResult;
import org.argus.plan.mop.UnitRecord;
import org.argus.store.RunDirectory;

/**
 * The reports of a model-selection run ({@code argus select}, or {@code ModelSelection} from Java):
 * {@code report.json} ({@link ReportJson}'s envelope with a {@code select} {@link Provenance} and a
 * {@link Document}) and {@code report.md} (leaderboard and provenance), written into the run
 * directory by {@link #write}.
 */
public final class SelectionReport {
  /** The provenance kind of a selection run. */
  public static final String KIND = "select";

  private SelectionReport() {}

  /**
   * The {@code result} block of a selection's {@code report.json} (snake_case; non-finite numbers
   * are null).
   *
   * @param runDir the run directory
   * @param procedure procedure name with its parameters
   * @param execution {@code mop}, {@code task-parallel}, {@code bsp} or {@code sequential}
   * @param goal e.g. {@code max accuracy}
   * @param units unit-query attempts, failed ones included
   * @param failedUnits failed attempts
   * @param shardRows training rows per stored partition
   * @param shardPayloadBytes stored training data, computed (float32 features + int32 labels, all
   *     copies)
   * @param shardCachedBytes stored training data, measured by Spark's block manager (memory +
   *     disk of the cached shard partitions, all copies)
   * @param leaderboard trials best first
   * @param rounds per-round statistics
   */
  public record Document(
      String runDir,
      String procedure,
      String execution,
      String goal,
      int units,
      int failedUnits,
      List<Long> shardRows,
      long shardPayloadBytes,
      long shardCachedBytes,
      List<Standing> leaderboard,
      List<RoundRow> rounds) {}

  /**
   * One leaderboard row.
   *
   * @param rank 1 = best
   * @param trial trial id
   * @param config the config
   * @param epochs epochs trained
   * @param metric the goal's metric at its last epoch (null when failed)
   * @param valAccuracy validation accuracy at its last epoch (null when failed)
   * @param valLoss validation loss at its last epoch, nats (null when failed)
   * @param status why it stopped
   */
  public record Standing(int rank, int trial, String config, int epochs, Double metric, Double valAccuracy,
      Double valLoss, String status) {}

  /**
   * One round of the per-epoch template.
   *
   * @param round 0-based round
   * @param configs configs trained
   * @param makespanMs training makespan, ms
   * @param bytesMoved checkpoint bytes read and written
   */
  public record RoundRow(int round, int configs, long makespanMs, long bytesMoved) {}

  /**
   * @param r a selection result
   * @return its {@code report.json} result block
   */
  public static Document document(SelectionResult r) {
    List<Standing> board = new ArrayList<>();
    int rank = 1;
    for (SelectionResult.Entry e : r.leaderboard()) {
      board.add(new Standing(rank++, e.trial(), e.config(), e.epochs(), finite(e.metric()), finite(e.valAccuracy()),
          finite(e.valLoss()), e.status()));
    }
    List<RoundRow> rounds = r.rounds().stream()
        .map(s -> new RoundRow(s.round(), s.configs(), s.makespanMs(), s.bytesMoved())).toList();
    int failed = (int) r.units().stream().map(UnitRecord::error).filter(Objects::nonNull).count();
    return new Document(r.runDir(), r.procedure(), r.execution().cli(), r.goal().toString(), r.units().size(), failed,
        r.shardRows(), r.payloadBytes(), r.cachedBytes(), board, rounds);
  }

  /**
   * The provenance of a selection: kind {@value #KIND}, the run's spec (every setting stored in
   * {@code spec.properties}: data, family, space, procedure, goal, execution, workers, seed,
   * validation fraction, trainer) followed by {@code extra} (settings that do not change results,
   * e.g. threads), no models (select trains from scratch).
   *
   * @param r the result
   * @param seed the run's seed
   * @param extra further settings, in order (may be empty)
   * @return provenance stamped now
   */
  public static Provenance provenance(SelectionResult r, long seed, Map<String, String> extra) {
    Map<String, String> spec = new LinkedHashMap<>(r.spec());
    spec.putAll(extra);
    return Provenance.of(KIND, seed, spec, List.of());
  }

  /**
   * @param r the result
   * @param provenance how it was made (kind {@value #KIND})
   * @return the {@code report.json} text
   * @throws IllegalArgumentException if the provenance is of another kind
   */
  public static String json(SelectionResult r, Provenance provenance) {
    if (!KIND.equals(provenance.kind())) {
      throw new IllegalArgumentException("provenance kind is '" + provenance.kind() + "'; a selection report needs '"
          + KIND + "'");
    }
    return ReportJson.write(provenance, document(r));
  }

  /**
   * @param r the result
   * @param provenance how it was made
   * @return {@code report.md}: summary, leaderboard, provenance
   */
  public static String markdown(SelectionResult r, Provenance provenance) {
    StringBuilder sb = new StringBuilder();
    sb.append("# argus select: ").append(r.procedure()).append(", ").append(r.execution().cli()).append("\n\n");
    sb.append(String.format(Locale.ROOT, "Goal: %s. Units: %d. Training data stored: %,d bytes measured in Spark's "
        + "block manager (%,d bytes of float32 features and labels) in shards of %s rows.%n%n", r.goal(),
        r.units().size(), r.cachedBytes(), r.payloadBytes(), r.shardRows()));
    sb.append(leaderboard(r));
    sb.append('\n').append(ProvenanceMarkdown.of(provenance));
    return sb.toString();
  }

  /**
   * @param r the result
   * @return the leaderboard as a Markdown table
   */
  public static String leaderboard(SelectionResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append("| rank | trial | config | epochs | ").append(r.goal().metric())
        .append(" | val acc | val loss | status |\n|---|---|---|---|---|---|---|---|\n");
    int rank = 1;
    for (SelectionResult.Entry e : r.leaderboard()) {
      sb.append(String.format(Locale.ROOT, "| %d | %d | %s | %d | %s | %s | %s | %s |%n", rank++, e.trial(),
          e.config(), e.epochs(), num(e.metric()), num(e.valAccuracy()), num(e.valLoss()), e.status()));
    }
    return sb.toString();
  }

  /**
   * Writes {@code report.json} and {@code report.md} into the result's run directory, both whole
   * or neither (temporary files, then renames); then {@code report.html} from them and the run's
   * tables (a view: when it cannot be written, stderr says so and how to regenerate it).
   *
   * @param r the result
   * @param provenance how it was made (kind {@value #KIND})
   * @throws ArgusException if the files cannot be written
   * @throws IllegalArgumentException if the provenance is of another kind
   */
  public static void write(SelectionResult r, Provenance provenance) throws ArgusException {
    write(r, json(r, provenance), markdown(r, provenance));
  }

  /**
   * Writes a selection run's {@code report.json} and {@code report.md} (both whole or neither), then
   * its {@code report.html} from them and the run's tables.
   *
   * @throws ArgusException if the files cannot be written
   */
  static void write(SelectionResult r, String json, String markdown) throws ArgusException {
    RunDirectory dir = new RunDirectory(r.runDir());
    try {
      Map<String, String> files = new LinkedHashMap<>();
      files.put("report.json", json);
      files.put("report.md", markdown);
      synchronized (ReportPages.LOCK) { // after a live rewrite, never before one
        dir.writeTexts(files); // both whole or neither
        ReportPages.writeFinished(r.runDir(),
            () -> ReportPages.selectionHtml(ReportPages.tables(dir, r.units()), json, "finished"));
      }
    } catch (IOException e) {
      throw new ArgusException("cannot write the reports in " + r.runDir() + ": " + e.getMessage(), e);
    }
  }

  private static Double finite(double d) {
    return Double.isFinite(d) ? d : null;
  }

  private static String num(double d) {
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "-";
  }
}
