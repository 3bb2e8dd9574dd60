package org.argus.surfaces.cli;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.argus.execution.ProgressSink;

/**
 * Prints progress of long work to stderr every few seconds: stage, units done of total, rate
 * (units/s) and ETA (seconds), then one summary line when the stage ends.
 */
final class ConsoleProgress implements ProgressSink, AutoCloseable {
  private final PrintStream out;
  private final long periodMillis;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "argus-progress");
            t.setDaemon(true);
            return t;
          });
  private ScheduledFuture<?> ticking;

  ConsoleProgress(PrintStream out, long periodMillis) {
    this.out = out;
    this.periodMillis = periodMillis;
  }

  @Override
  public synchronized void begin(String stage, long total, String unit, LongSupplier done) {
    long t0 = System.nanoTime();
    out.printf("%s: started (%s %s)%n", stage, total < 0 ? "?" : Long.toString(total), unit);
    ticking =
        timer.scheduleAtFixedRate(
            () -> {
              long d = done.getAsLong();
              double s = (System.nanoTime() - t0) / 1e9;
              double rate = d / Math.max(s, 1e-9);
              String eta =
                  total > 0 && d > 0 ? String.format("ETA %.0f s", (total - d) / rate) : "ETA ?";
              out.printf(
                  "%s: %d/%s %s, %.0f %s/s, %s, %.0f s elapsed%n",
                  stage, d, total < 0 ? "?" : Long.toString(total), unit, rate, unit, eta, s);
            },
            periodMillis,
            periodMillis,
            TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void end(String stage, String summary) {
    if (ticking != null) {
      ticking.cancel(false);
      ticking = null;
    }
    out.printf("%s: done, %s%n", stage, summary);
  }

  /** Prints a one-off stage line (for steps without a count). */
  void step(String message) {
    out.println(message);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
