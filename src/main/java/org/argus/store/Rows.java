package org.argus.store;

import java.util.LinkedHashMap;
import java.util.Map;
import org.argus.plan.mop.EpochRecord;
import org.argus.plan.mop.TrialRecord;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.Metrics;

/**
 * Converts the typed records of a run directory's tables to and from {@link ParquetTable} rows.
 * Columns missing from older part files read as null and get the documented defaults.
 */
final class Rows {
  private Rows() {}

  static Map<String, Object> unit(UnitRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trial", (long) r.trial());
    m.put("epoch", (long) r.epoch());
    m.put("shard", (long) r.shard());
    m.put("attempt", (long) r.attempt());
    m.put("executor", r.executor());
    m.put("start_ms", r.startMs());
    m.put("end_ms", r.endMs());
    m.put("job_ms", r.jobMs());
    m.put("bytes_read", r.bytesRead());
    m.put("bytes_written", r.bytesWritten());
    m.put("examples", r.metrics().examples());
    m.put("train_loss", r.metrics().loss());
    m.put("train_loss_sum", r.metrics().lossSum());
    m.put("train_correct", r.metrics().correct());
    m.put("in_ckpt", r.inCkpt());
    m.put("out_ckpt", r.outCkpt());
    m.put("error", r.error());
    return m;
  }

  /** Without {@code train_loss_sum} (older tables) the sum is {@code examples × train_loss}. */
  static UnitRecord unit(Map<String, Object> m) {
    long examples = lng(m, "examples", 0);
    double loss = dbl(m, "train_loss");
    double sum = m.get("train_loss_sum") != null ? dbl(m, "train_loss_sum") : loss * examples;
    Metrics metrics = new Metrics(examples, sum, lng(m, "train_correct", 0), examples > 0 && !Double.isFinite(sum));
    return new UnitRecord(integer(m, "trial"), integer(m, "epoch"), integer(m, "shard"), integer(m, "attempt"),
        (String) m.get("executor"), lng(m, "start_ms", 0), lng(m, "end_ms", 0), lng(m, "job_ms", 0),
        lng(m, "bytes_read", 0), lng(m, "bytes_written", 0), metrics, (String) m.get("in_ckpt"),
        (String) m.get("out_ckpt"), (String) m.get("error"));
  }

  static Map<String, Object> epoch(EpochRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trial", (long) r.trial());
    m.put("epoch", (long) r.epoch());
    m.put("config", r.config());
    m.put("train_loss", r.trainLoss());
    m.put("val_loss", r.valLoss());
    m.put("val_accuracy", r.valAccuracy());
    m.put("metric", r.metric());
    m.put("failed", r.failed());
    m.put("ckpt", r.ckpt());
    m.put("round", (long) r.round());
    m.put("round_ms", r.roundMs());
    return m;
  }

  static EpochRecord epoch(Map<String, Object> m) {
    return new EpochRecord(integer(m, "trial"), integer(m, "epoch"), (String) m.get("config"), dbl(m, "train_loss"),
        dbl(m, "val_loss"), dbl(m, "val_accuracy"), dbl(m, "metric"), (String) m.get("failed"),
        (String) m.get("ckpt"), integer(m, "round"), lng(m, "round_ms", 0));
  }

  static Map<String, Object> trial(TrialRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trial", (long) r.trial());
    m.put("config", r.config());
    m.put("seed", r.seed());
    m.put("bracket", (long) r.bracket());
    m.put("stopped", r.stopped());
    return m;
  }

  static TrialRecord trial(Map<String, Object> m) {
    return new TrialRecord(integer(m, "trial"), (String) m.get("config"), lng(m, "seed", 0),
        (int) lng(m, "bracket", -1), (String) m.get("stopped"));
  }

  private static int integer(Map<String, Object> m, String col) {
    Object v = m.get(col);
    if (v == null) {
      throw new IllegalArgumentException("column " + col + " is null in row " + m);
    }
    return Math.toIntExact((Long) v);
  }

  private static long lng(Map<String, Object> m, String col, long fallback) {
    Object v = m.get(col);
    return v == null ? fallback : (Long) v;
  }

  /** A missing double is NaN. */
  private static double dbl(Map<String, Object> m, String col) {
    Object v = m.get(col);
    return v == null ? Double.NaN : (Double) v;
  }
}
