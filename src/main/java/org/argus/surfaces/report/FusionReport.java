package org.argus.surfaces.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.argus.ArgusException;
import org.argus.execution.fusion.FusedResult;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.TransferResult;
import org.argus.plan.cost.ByteSize;
import org.argus.plan.mop.UnitRecord;

/**
 * The reports of a fused selection ({@code FusedSelection}: which layer and pooling of a CNN, with
 * which head, in one search space): the console tables ({@link #table}: best config per layer —
 * Vista's per-layer table — and per pooling), EXPLAIN ANALYZE of both phases ({@link #analyze}), and
 * the run directory's {@code report.json}, {@code report.md} and {@code report.html} ({@link
 * #write}).
 *
 * <p>A fused run's {@code report.json} is a selection report: kind {@value SelectionReport#KIND},
 * its {@code result} is {@link SelectionReport#document}'s block with one more field, {@code fusion}
 * ({@link Fusion}). Readers of selection reports keep working; {@code argus report RUN_DIR}
 * regenerates the page through the selection path, which draws the per-layer section whenever the
 * {@code fusion} block is present.
 */
public final class FusionReport {
  private FusionReport() {}

  /**
   * The {@code fusion} block of a fused run's {@code report.json} (snake_case; non-finite numbers
   * are null).
   *
   * @param byLayer the best config of each layer, bottom layer first
   * @param byPooling the best config of each pooling, in the space's order
   * @param seconds wall seconds of the two phases
   * @param storage bytes the feature rows take, computed and measured
   * @param materialization Spark task metrics and storage of the materialization's phases
   * @param explain EXPLAIN of both phases (materialization plan, MOP plan)
   * @param analyze EXPLAIN ANALYZE of both phases ({@link #analyze})
   * @param refit the winner retrained on every training row and scored on the test split (what
   *     {@code best/model.onnx} deploys); null when refitting was off or no config finished
   * @param byModel the best config of each CNN of a {@code model} dimension (empty without one)
   */
  public record Fusion(List<Row> byLayer, List<Row> byPooling, Seconds seconds, Storage storage,
      TransferResult.Measured materialization, String explain, String analyze, Refit refit, List<Row> byModel) {}

  /**
   * The winner refit on the whole training split ({@code FusedResult.Refit}).
   *
   * @param trial the winner's trial id
   * @param config its config
   * @param epochs epochs trained
   * @param trainRows rows the refit trained on (every training row)
   * @param testAccuracy accuracy on the test split (null without test rows)
   * @param testMacroF1 unweighted mean per-label F1 on the test split (null without test rows)
   * @param seconds wall seconds of the refit
   * @param runDir the refit's own run directory
   */
  public record Refit(int trial, String config, int epochs, long trainRows, Double testAccuracy, Double testMacroF1,
      double seconds, String runDir) {}

  /**
   * The best config of one layer or pooling.
   *
   * @param value the layer or pooling
   * @param trial the config's trial id (null when every config of this value failed or none was drawn)
   * @param config the config (null as above)
   * @param metric the goal's metric on the validation rows
   * @param valAccuracy validation accuracy
   * @param testAccuracy accuracy on the test split (null without test rows)
   * @param testMacroF1 unweighted mean per-label F1 on the test split (null when not scored)
   * @param configs configs drawn with this value
   */
  public record Row(String value, Integer trial, String config, Double metric, Double valAccuracy,
      Double testAccuracy, Double testMacroF1, int configs) {}

  /**
   * Wall seconds of the phases.
   *
   * @param inference the inference queries
   * @param materialization the whole materialization (inference included)
   * @param selection model selection (sharding, unit queries, validation, test scoring)
   * @param unitSeconds Σ over successful and failed unit queries of their time inside the task
   */
  public record Seconds(double inference, double materialization, double selection, double unitSeconds) {}

  /**
   * Bytes of the feature rows.
   *
   * @param featureBytes every view's pooled features and the structured columns of every training
   *     row as float32, computed (validation rows included)
   * @param shardPayloadBytes what the shards hold, computed (float32 features + int32 labels of the
   *     rows that train, all copies)
   * @param shardCachedBytes what the shards hold, measured by Spark's block manager
   * @param materializedBytes the largest storage the materialization held at once, measured
   */
  public record Storage(long featureBytes, long shardPayloadBytes, long shardCachedBytes, long materializedBytes) {}

  /**
   * The console and Markdown tables: per layer (Vista's per-layer table) and per pooling, its best
   * config with its validation metric, validation accuracy, test accuracy, test macro-F1 and the
   * configs drawn with that value. A value none of whose configs finished shows {@code -}.
   *
   * @param r the result
   * @return two Markdown tables with a heading line each, ending in a newline
   */
  public static String table(FusedResult r) {
    String metric = r.selection().goal().metric();
    return (r.byModel().isEmpty() ? "" : "Best config per model:\n\n" + table("model", metric, r.byModel()) + "\n")
        + "Best config per layer (bottom first" + (r.byModel().isEmpty() ? "" : ", model by model") + "):\n\n"
        + table("layer", metric, r.byLayer())
        + "\nBest config per pooling:\n\n" + table("pooling", metric, r.byPooling())
        + (r.byPrecision().isEmpty() ? "" : "\nBest config per precision:\n\n" + table("precision", metric,
            r.byPrecision()))
        + refitLine(r);
  }

  /** @return a line on the refit winner (empty when there is none), ending in a newline */
  private static String refitLine(FusedResult r) {
    FusedResult.Refit f = r.refit();
    if (f == null) {
      return "";
    }
    return String.format(Locale.ROOT, "%nWinner refit on every training row (%d rows, %d epochs, %.1f s): trial %d "
        + "`%s`, test acc %s, test macro-F1 %s (deployed as best/model.onnx)%n", trainRows(f), f.epochs(), f.seconds(),
        f.trial(), f.config(), num(f.testAccuracy()), num(f.testMacroF1()));
  }

  private static long trainRows(FusedResult.Refit f) {
    return f.selection().shardRows().stream().mapToLong(Long::longValue).sum();
  }

  private static String table(String dimension, String metric, List<FusedResult.Best> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(dimension).append(" | best config | val ").append(metric)
        .append(" | val acc | test acc | test macro-F1 | configs |\n|---|---|---:|---:|---:|---:|---:|\n");
    for (FusedResult.Best b : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d |%n", b.value(),
          b.trial() < 0 ? "-" : "`" + b.config() + "` (trial " + b.trial() + ")", num(b.metric()),
          num(b.valAccuracy()), num(b.testAccuracy()), num(b.testMacroF1()), b.configs()));
    }
    return sb.toString();
  }

  /**
   * EXPLAIN ANALYZE of both phases: the materialization's estimates next to its measured phases
   * ({@link TransferResult#estimatedVsMeasured()}: per stage estimated task heap and bytes held vs
   * measured, spills, task counts and seconds), then the MOP phase: unit queries (failed ones),
   * their total seconds inside the tasks, each round's makespan and checkpoint bytes moved, and the
   * bytes the shards hold as Spark's block manager measured them next to the computed payload and
   * the computed feature bytes of every view.
   *
   * @param r the result
   * @return multi-line text, each line ending in a newline
   */
  public static String analyze(FusedResult r) {
    StringBuilder sb = new StringBuilder("== materialization (measured) ==\n");
    for (FusedResult.PerModel m : r.models()) {
      if (r.models().size() > 1) {
        sb.append("-- model ").append(m.model().name()).append(String.format(Locale.ROOT, " (%.1f s, inference %.1f s)"
            + " --%n", m.seconds(), m.inferenceSeconds()));
      }
      sb.append(new TransferResult(List.of(), m.decision(), m.counts(), m.measured(), List.of(), m.seconds(),
          m.model()).estimatedVsMeasured());
    }
    sb.append(String.format(Locale.ROOT, "  %.1f s materialization, of which %.1f s inference%n",
        r.materializationSeconds(), r.inferenceSeconds()));
    SelectionResult s = r.selection();
    sb.append("== model selection (measured) ==\n");
    long failed = s.units().stream().map(UnitRecord::error).filter(Objects::nonNull).count();
    sb.append(String.format(Locale.ROOT, "  %s, %d unit queries (%d failed), %.1f unit-query seconds in all; "
        + "%.1f s wall (sharding, units, validation, test)%n", s.execution().cli(), s.units().size(), failed,
        unitSeconds(s), r.selectionSeconds()));
    for (SelectionResult.RoundStats round : s.rounds()) {
      sb.append(String.format(Locale.ROOT, "  round %d: %d configs, makespan %.2f s, checkpoints moved %s%n",
          round.round(), round.configs(), round.makespanMs() / 1000.0, ByteSize.format(round.bytesMoved())));
    }
    sb.append(String.format(Locale.ROOT, "  shards: measured %s in Spark's block manager vs computed %s (float32 "
        + "features of every view + int32 labels of the rows that train, in %s rows per shard); every view of "
        + "every training row as float32, computed: %s%n", ByteSize.format(s.cachedBytes()),
        ByteSize.format(s.payloadBytes()), s.shardRows(), ByteSize.format(r.featureBytes())));
    return sb.toString();
  }

  /**
   * The provenance of a fused selection: {@link SelectionReport#provenance}'s (kind {@value
   * SelectionReport#KIND}, the run's spec, then {@code extra}) with the CNN as a model use (name,
   * sha256, the materialized layers bottom to top, preprocessing).
   *
   * @param r the result
   * @param seed the run's seed
   * @param extra further settings, in order (may be empty)
   * @return provenance stamped now
   */
  public static Provenance provenance(FusedResult r, long seed, Map<String, String> extra) {
    Provenance p = SelectionReport.provenance(r.selection(), seed, extra);
    return Provenance.of(p.kind(), seed, p.spec(), r.models().stream().map(m -> new Provenance.ModelUse(
        m.model().name(), m.model().sha256(), m.layers(), m.model().preprocessing())).toList());
  }

  /**
   * @param r the result
   * @return the {@code fusion} block of its {@code report.json}
   */
  public static Fusion fusion(FusedResult r) {
    SelectionResult s = r.selection();
    return new Fusion(rows(r.byLayer()), rows(r.byPooling()),
        new Seconds(r.inferenceSeconds(), r.materializationSeconds(), r.selectionSeconds(), unitSeconds(s)),
        new Storage(r.featureBytes(), s.payloadBytes(), s.cachedBytes(), r.materialization().materializedBytes()),
        r.materialization(), r.explain(), analyze(r), r.refit() == null ? null
            : new Refit(r.refit().trial(), r.refit().config(), r.refit().epochs(), trainRows(r.refit()),
                finite(r.refit().testAccuracy()), finite(r.refit().testMacroF1()), r.refit().seconds(),
                r.refit().selection().runDir()), rows(r.byModel()));
  }

  /**
   * @param r the result
   * @param provenance how it was made (kind {@value SelectionReport#KIND})
   * @return the {@code report.json} text: the selection's result block plus {@code fusion}
   * @throws IllegalArgumentException if the provenance is of another kind
   */
  public static String json(FusedResult r, Provenance provenance) {
    if (!SelectionReport.KIND.equals(provenance.kind())) {
      throw new IllegalArgumentException("provenance kind is '" + provenance.kind() + "'; a fused selection report "
          + "needs '" + SelectionReport.KIND + "'");
    }
    ObjectNode result = ReportJson.mapper().valueToTree(SelectionReport.document(r.selection()));
    result.set("fusion", ReportJson.mapper().valueToTree(fusion(r)));
    return ReportJson.write(provenance, result);
  }

  /**
   * @param r the result
   * @param provenance how it was made
   * @return {@code report.md}: summary, leaderboard, per-layer and per-pooling tables, EXPLAIN,
   *     EXPLAIN ANALYZE, provenance
   */
  public static String markdown(FusedResult r, Provenance provenance) {
    SelectionResult s = r.selection();
    StringBuilder sb = new StringBuilder();
    sb.append("# argus select (fused): ").append(s.procedure()).append(", ").append(s.execution().cli())
        .append("\n\n");
    sb.append(String.format(Locale.ROOT, "Goal: %s. %d configs over %d layers × %d poolings of `%s`; %d unit "
            + "queries. Materialization %.1f s (inference %.1f s), selection %.1f s. Shards hold %s measured "
            + "in Spark's block manager (%s of float32 features and labels).%n%n", s.goal(),
        s.leaderboard().size(), r.views().layers().size(), r.views().poolings().size(),
        String.join("`, `", r.models().stream().map(m -> m.model().name()).toList()),
        s.units().size(), r.materializationSeconds(), r.inferenceSeconds(), r.selectionSeconds(),
        ByteSize.format(s.cachedBytes()), ByteSize.format(s.payloadBytes())));
    sb.append("## Leaderboard\n\n").append(SelectionReport.leaderboard(s));
    sb.append("\n## Per ").append(r.byModel().isEmpty() ? "" : "model, per ").append("layer and per pooling\n\n")
        .append(table(r));
    sb.append("\n## EXPLAIN\n\n```\n").append(r.explain()).append("```\n\n## EXPLAIN ANALYZE\n\n```\n")
        .append(analyze(r)).append("```\n\n");
    sb.append(ProvenanceMarkdown.of(provenance));
    return sb.toString();
  }

  /**
   * Writes {@code report.json} and {@code report.md} into the selection's run directory, both whole
   * or neither (temporary files, then renames); then {@code report.html} from them and the run's
   * tables: the selection page with the per-layer and per-pooling section (a view: when it cannot be
   * written, stderr says so and how to regenerate it with {@code argus report}).
   *
   * @param r the result
   * @param provenance how it was made (kind {@value SelectionReport#KIND}; {@link #provenance} adds
   *     the model)
   * @throws ArgusException if the files cannot be written
   * @throws IllegalArgumentException if the provenance is of another kind
   */
  public static void write(FusedResult r, Provenance provenance) throws ArgusException {
    SelectionReport.write(r.selection(), json(r, provenance), markdown(r, provenance));
  }

  private static List<Row> rows(List<FusedResult.Best> best) {
    return best.stream().map(b -> b.trial() < 0
        ? new Row(b.value(), null, null, null, null, null, null, b.configs())
        : new Row(b.value(), b.trial(), b.config(), finite(b.metric()), finite(b.valAccuracy()),
            finite(b.testAccuracy()), finite(b.testMacroF1()), b.configs())).toList();
  }

  private static double unitSeconds(SelectionResult s) {
    return s.units().stream().mapToLong(u -> Math.max(0, u.endMs() - u.startMs())).sum() / 1000.0;
  }

  private static Double finite(double d) {
    return Double.isFinite(d) ? d : null;
  }

  private static String num(double d) {
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d) : "-";
  }
}
