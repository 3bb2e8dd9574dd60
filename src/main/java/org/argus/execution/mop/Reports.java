package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders a {@link SelectionResult} as {@code report.json} and {@code report.md}. */
public final class Reports {
  private Reports() {}

  private static String q(String s) {
    return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  private static String n(double d) {
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null";
  }

  /**
   * @param r the result
   * @return JSON text
   */
  public static String json(SelectionResult r) {
    List<String> board = new ArrayList<>();
    for (SelectionResult.Entry e : r.leaderboard()) {
      board.add(String.format(Locale.ROOT,
          "{\"trial\":%d,\"config\":%s,\"epochs\":%d,\"metric\":%s,\"val_accuracy\":%s,\"val_loss\":%s,\"status\":%s}",
          e.trial(), q(e.config()), e.epochs(), n(e.metric()), n(e.valAccuracy()), n(e.valLoss()), q(e.status())));
    }
    List<String> rounds = new ArrayList<>();
    for (SelectionResult.RoundStats s : r.rounds()) {
      rounds.add(String.format(Locale.ROOT, "{\"round\":%d,\"configs\":%d,\"makespan_ms\":%d,\"bytes_moved\":%d}",
          s.round(), s.configs(), s.makespanMs(), s.bytesMoved()));
    }
    return "{\"run_dir\":" + q(r.runDir()) + ",\"procedure\":" + q(r.procedure()) + ",\"execution\":"
        + q(r.execution().cli()) + ",\"goal\":" + q(r.goal().toString()) + ",\"bytes_stored\":" + r.bytesStored()
        + ",\"shard_rows\":" + r.shardRows() + ",\"units\":" + r.units().size()
        + ",\"leaderboard\":[" + String.join(",", board) + "],\"rounds\":[" + String.join(",", rounds) + "]}\n";
  }

  /**
   * @param r the result
   * @return a Markdown report with the leaderboard
   */
  public static String markdown(SelectionResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append("# argus select: ").append(r.procedure()).append(", ").append(r.execution().cli()).append("\n\n");
    sb.append("Goal: ").append(r.goal()).append(". Units: ").append(r.units().size())
        .append(". Training data stored: ").append(r.bytesStored()).append(" bytes in shards ")
        .append(r.shardRows()).append(" rows.\n\n");
    sb.append(leaderboard(r));
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
          e.config(), e.epochs(), n(e.metric()), n(e.valAccuracy()), n(e.valLoss()), e.status()));
    }
    return sb.toString();
  }
}
