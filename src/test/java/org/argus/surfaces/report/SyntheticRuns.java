package org.argus.surfaces.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.TrialRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Metrics;
import org.argus.store.RunDirectory;

/**
 * Test fixture: selection run directories written record by record (no Spark, no training), with
 * realistic shapes — MOP units hopping over the shards of each epoch, learning curves that rise
 * and flatten, checkpoints of a few hundred KB — and whatever configs a test needs.
 */
final class SyntheticRuns {
  private SyntheticRuns() {}

  /** A run's spec as {@code argus select} stores it. */
  static Map<String, String> spec(int workers) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("cli.procedure", "grid");
    s.put("execution", "mop");
    s.put("procedure", "grid");
    s.put("goal", "max accuracy");
    s.put("seed", "42");
    s.put("workers", Integer.toString(workers));
    s.put("trainer", "djl-pytorch mlp [784] -> 10");
    return s;
  }

  /**
   * Writes a run directory: the spec, then per config its units (one per shard and epoch, MOP
   * order) and epochs; the trials table when {@code finished}.
   *
   * @param dir the run directory
   * @param configs config strings, trial ids in order
   * @param epochs epochs per config (a config with fewer ends early: {@code stopped} says why)
   * @param stopped per config, why it stopped
   * @param workers worker slots = shards
   * @param finished whether to write the trials table (written when a run ends)
   * @return the run directory
   */
  static RunDirectory write(Path dir, List<String> configs, int[] epochs, List<String> stopped, int workers,
      boolean finished) throws IOException {
    RunDirectory run = new RunDirectory(dir.toString());
    run.writeSpec(spec(workers));
    SplittableRandom rnd = new SplittableRandom(7);
    List<UnitRecord> units = new ArrayList<>();
    List<EpochRecord> rows = new ArrayList<>();
    long[] slotFree = new long[workers];
    long t0 = 1_700_000_000_000L;
    int maxEpochs = java.util.Arrays.stream(epochs).max().orElse(0);
    for (int e = 1; e <= maxEpochs; e++) {
      for (int t = 0; t < configs.size(); t++) {
        if (e > epochs[t]) {
          continue;
        }
        for (int k = 0; k < workers; k++) {
          int shard = (t + k + e) % workers;
          long start = t0 + slotFree[shard] + rnd.nextInt(50);
          long end = start + 400 + rnd.nextInt(400);
          slotFree[shard] = end - t0;
          units.add(new UnitRecord(t, e, shard, 0, "driver", start, end, end - start + 20, 300_000, 300_000,
              new Metrics(250, 250 * (2.0 / e), Math.round(250 * Math.min(0.9, 0.3 + 0.05 * e)), false), null,
              "trial-" + t + "/e" + e + "s" + shard, null));
        }
        double acc = Math.min(0.92, 0.4 + 0.5 * (1 - Math.exp(-e / 4.0)) + 0.01 * (t % 7));
        boolean failed = stopped.get(t).startsWith("failed") && e == epochs[t];
        rows.add(new EpochRecord(t, e, configs.get(t), failed ? Double.NaN : 2.0 / e,
            failed ? Double.NaN : 1.5 / e, failed ? Double.NaN : acc, failed ? Double.NaN : acc,
            failed ? stopped.get(t).substring("failed: ".length()) : null, "trial-" + t + "/e" + e, e - 1, 4000));
      }
    }
    run.appendUnits(units);
    run.appendEpochs(rows);
    if (finished) {
      List<TrialRecord> trials = new ArrayList<>();
      for (int t = 0; t < configs.size(); t++) {
        trials.add(new TrialRecord(t, configs.get(t), 100 + t, -1, stopped.get(t)));
      }
      run.appendTrials(trials);
    }
    return run;
  }
}
