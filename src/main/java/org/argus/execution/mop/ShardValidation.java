package org.argus.execution.mop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.runtime.train.Batch;
import org.argus.runtime.train.Columns;
import org.argus.runtime.train.Metrics;
import org.argus.store.CheckpointStore;

/**
 * One {@link RoundJob} task's validation of the job's epoch-end checkpoints ({@link
 * RoundJob.Final}) on its part of the validation split: the rows' batches per column set (one view
 * per layer a fused selection's configs read), each built once and scored for every checkpoint, and
 * the sums so far. The tasks take the checkpoints from different places in the list, so two seldom
 * want the same config's live trainer at once ({@link LiveStates#lend} lends it to one at a time).
 * Not thread-safe: one task uses it.
 */
final class ShardValidation {
  private final List<RoundJob.Final> order;
  private final List<Example> rows;
  private final Map<Columns, List<Batch>> batches = new HashMap<>();
  private final Map<RoundJob.TrialEpoch, Metrics> sums = new HashMap<>();
  private final Set<RoundJob.TrialEpoch> validated = new HashSet<>();
  private final CheckpointStore store;
  private final String dir;

  /**
   * @param finals the job's checkpoints to validate
   * @param shard this task's shard, {@code 0 … shards - 1}
   * @param shards the job's shards
   * @param rows this task's part of the validation split
   * @param store the run's checkpoint store
   * @param dir the job's marker directory (the scope of its live trainers)
   */
  ShardValidation(List<RoundJob.Final> finals, int shard, int shards, List<Example> rows, CheckpointStore store,
      String dir) {
    int k = finals.size() * shard / shards; // the shard-th of shards parts of the list first
    this.order = new ArrayList<>(finals.subList(k, finals.size()));
    this.order.addAll(finals.subList(0, k));
    this.rows = rows;
    this.store = store;
    this.dir = dir;
  }

  /**
   * Validates one checkpoint whose unit is done and that is not validated yet, if any: a task
   * waiting for another shard's unit validates meanwhile, so less is left for the end of the job.
   *
   * @param m the job's marker names known
   * @return whether one was validated (or tried: see {@link #evaluate})
   */
  boolean oneDone(Set<String> m) {
    for (RoundJob.Final f : order) {
      if (!validated.contains(f.key()) && m.contains(JobMarkers.name(f.marker()) + ".done")) {
        evaluate(f);
        return true;
      }
    }
    return false;
  }

  /** @return the checkpoints not validated yet, in this task's order */
  List<RoundJob.Final> left() {
    return order.stream().filter(f -> !validated.contains(f.key())).toList();
  }

  /**
   * Validates {@code f}'s checkpoint ({@link UnitQuery#evaluate}) into the sums; one whose
   * evaluation throws is left out (the driver's validation job then reports the failure).
   *
   * @param f a checkpoint whose unit is done
   */
  void evaluate(RoundJob.Final f) {
    validated.add(f.key());
    try {
      sums.put(f.key(), UnitQuery.evaluate(batches.computeIfAbsent(f.query().factory().columns(f.query().config()),
          c -> UnitQuery.batches(rows, c)), f.query().factory(), store, f.query().config(), f.query().seed(),
          f.query().unit().outCkpt(), dir));
    } catch (Exception e) { // left to the driver's validation job, which fails the config with the reason
    }
  }

  /** @return (trial, epoch) → validation sums of the checkpoints validated so far */
  Map<RoundJob.TrialEpoch, Metrics> sums() {
    return sums;
  }
}
