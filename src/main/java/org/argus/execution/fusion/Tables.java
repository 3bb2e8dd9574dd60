package org.argus.execution.fusion;

import java.util.ArrayList;
import java.util.List;
import org.argus.execution.mop.SelectionResult;

/** The best config per value of a materialization dimension (Vista's per-layer table); config text helpers. */
public final class Tables {
  private Tables() {}

  /**
   * @param r the selection (leaderboard best first)
   * @param dim {@code layer} or {@code pooling}
   * @param values the dimension's values, in table order
   * @return one row per value: its best config on the leaderboard (the first with that value), its
   *     test accuracy and macro-F1 and how many configs drew it (a config without the dimension has its single
   *     value, as {@link FeatureViews#view} reads it)
   */
  static List<FusedResult.Best> best(SelectionResult r, String dim, List<String> values) {
    return best(r, config -> {
      String v = value(config, dim);
      return v == null && values.size() == 1 ? values.get(0) : v;
    }, values);
  }

  /**
   * @param r the selection (leaderboard best first)
   * @param valueOf a config's value of the table's dimension (e.g. the CNN its layer names)
   * @param values the dimension's values, in table order
   * @return one row per value, as {@link #best(SelectionResult, String, List)}
   */
  static List<FusedResult.Best> best(SelectionResult r, java.util.function.Function<String, String> valueOf,
      List<String> values) {
    List<FusedResult.Best> out = new ArrayList<>();
    for (String v : values) {
      FusedResult.Best best = null;
      int n = 0;
      for (SelectionResult.Entry e : r.leaderboard()) {
        if (!v.equals(valueOf.apply(e.config()))) {
          continue;
        }
        n++;
        if (best == null && !Double.isNaN(e.metric())) {
          SelectionResult.TestScore t = r.test().get(e.trial());
          best = new FusedResult.Best(v, e.trial(), e.config(), e.metric(), e.valAccuracy(),
              t == null ? Double.NaN : t.accuracy(), t == null ? Double.NaN : t.macroF1(), 0);
        }
      }
      out.add(best == null ? new FusedResult.Best(v, -1, "", Double.NaN, Double.NaN, Double.NaN, Double.NaN, n)
          : new FusedResult.Best(v, best.trial(), best.config(), best.metric(), best.valAccuracy(), best.testAccuracy(),
              best.testMacroF1(), n));
    }
    return out;
  }

  /**
   * @param config a trial's config text (for messages)
   * @param procedure the run's procedure
   * @param trial the trial id
   * @return the trial's hyperparameters, as the run trained them
   */
  static org.argus.runtime.train.Hyperparameters hyperparameters(String config,
      org.argus.select.procedure.Procedure procedure, int trial) {
    for (org.argus.select.procedure.Trial t : procedure.trials()) {
      if (t.id() == trial) {
        return new org.argus.runtime.train.Hyperparameters(t.config().values());
      }
    }
    throw new IllegalArgumentException("no trial " + trial + " (" + config + ") in " + procedure.name());
  }

  /**
   * @param config a config's text form ({@code name=value,…})
   * @return its {@code layer} value ({@code LAYER@MODEL} in a run over several CNNs), or null
   */
  public static String layerOf(String config) {
    return value(config, FeatureViews.LAYER);
  }

  /**
   * @param config a config's text form ({@code name=value,…}, as {@code Config.toString} writes it;
   *     names and categorical values never contain {@code ,} or {@code =})
   * @param dim a dimension
   * @return its value, or null when absent
   */
  static String value(String config, String dim) {
    for (String part : config.split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).equals(dim)) {
        return part.substring(eq + 1);
      }
    }
    return null;
  }
}
