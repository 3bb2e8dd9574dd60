package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.argus.ArgusException;
import org.argus.plan.mop.RoundScheduler;
import org.argus.plan.mop.SelectionState;
import org.argus.plan.mop.Unit;
import org.argus.plan.mop.UnitRecord;
import org.argus.runtime.train.TrainerFactory;
import org.argus.store.CheckpointStore;

/** Runs one round's training on Spark: hopping (MOP, sequential, task-parallel) or BSP. */
final class Rounds {
  private Rounds() {}

  /**
   * Runs the round's unit queries as the scheduler places them, {@code concurrency} Spark jobs at a
   * time (one driver thread each). Each finished unit is observed (listener) before the scheduler
   * gives its config new work; its append to the {@code units} table happens after the free shards
   * have new work, off the critical path (a driver that dies before it re-runs those units on resume).
   *
   * @throws ArgusException if a table cannot be written or the driver is interrupted
   */
  static void hop(RoundScheduler scheduler, UnitJobs jobs, RunLog log, int concurrency) throws ArgusException {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    CompletionService<UnitJobs.Done> cs = new ExecutorCompletionService<>(pool);
    List<UnitRecord> pending = new ArrayList<>();
    int running = 0;
    try {
      while (true) {
        for (Unit u : scheduler.assign()) {
          UnitQuery q = jobs.query(u);
          cs.submit(() -> jobs.call(q));
          running++;
        }
        for (UnitRecord r : pending) {
          log.persist(r);
        }
        pending.clear();
        if (scheduler.inFlight() == 0) {
          return;
        }
        Future<UnitJobs.Done> next = cs.take();
        running--;
        UnitJobs.Done d = await(next);
        log.observe(d.record());
        pending.add(d.record());
        var retry = scheduler.finished(d.unit(), d.record());
        if (retry.isPresent()) {
          UnitQuery q = jobs.query(retry.get());
          cs.submit(() -> jobs.call(q));
          running++;
        }
      }
    } catch (ArgusException | RuntimeException e) {
      drain(cs, running);
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ArgusException("model selection interrupted while waiting for unit queries", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Waits for the unit queries still running when the run fails (a table that cannot be written),
   * so that nothing writes into the run directory after the failure is reported; their results are
   * not recorded (a resume runs them again).
   */
  private static void drain(CompletionService<UnitJobs.Done> cs, int running) {
    try {
      for (int i = 0; i < running; i++) {
        cs.take();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * BSP: per config, every shard trains a sub-epoch from the same state in parallel (each unit tried
   * up to {@code maxAttempts} times), then the states are averaged element-wise ({@link
   * TrainerFactory#average}) into the config's next checkpoint. A unit that fails every try, or
   * diverges, fails the config.
   *
   * @throws ArgusException if a checkpoint or table cannot be read or written, or on interruption
   */
  static void bsp(List<Integer> todo, SelectionState state, UnitJobs jobs, RunLog log, int shards, int maxAttempts,
      TrainerFactory factory, CheckpointStore store) throws ArgusException {
    ExecutorService pool = Executors.newFixedThreadPool(shards);
    try {
      for (int trial : todo) {
        int epoch = state.epochInTraining(trial);
        List<Future<UnitJobs.Done>> fs = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
          UnitQuery first = jobs.query(state.bspUnit(trial, s));
          fs.add(pool.submit(() -> withRetries(first, jobs, log, maxAttempts)));
        }
        List<byte[]> parts = new ArrayList<>();
        for (Future<UnitJobs.Done> f : fs) {
          UnitJobs.Done d = await(f);
          log.log(d.record());
          if (d.record().error() != null) {
            state.fail(trial, "unit (epoch " + epoch + ", shard " + d.unit().shard() + ") failed: " + d.record().error());
          } else {
            state.trained(d.record());
            parts.add(store.read(d.unit().outCkpt()));
            log.moved(parts.get(parts.size() - 1).length + 48L);
          }
        }
        if (state.failure(trial) == null) {
          String out = Unit.bspAverage(trial, epoch);
          log.moved(store.write(out, factory.average(parts)));
          state.checkpointed(trial, out);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ArgusException("model selection interrupted while waiting for BSP units", e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Tries a unit until it succeeds or {@code maxAttempts} tries failed; logs every failed try but the last. */
  private static UnitJobs.Done withRetries(UnitQuery first, UnitJobs jobs, RunLog log, int maxAttempts)
      throws ArgusException {
    UnitJobs.Done d = jobs.call(first);
    UnitQuery q = first;
    for (int a = 1; d.record().error() != null && a < maxAttempts; a++) {
      log.log(d.record());
      q = q.retried();
      d = jobs.call(q);
    }
    return d;
  }

  /**
   * @return the future's value
   * @throws ArgusException if the task threw one
   * @throws Error if the task threw one (an {@code Error} is never swallowed)
   */
  private static UnitJobs.Done await(Future<UnitJobs.Done> f) throws InterruptedException, ArgusException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof Error err) {
        throw err;
      }
      if (c instanceof ArgusException a) {
        throw a;
      }
      throw new ArgusException("unit query failed on the driver: " + UnitJobs.rootCause(c), c);
    }
  }
}
