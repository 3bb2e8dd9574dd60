package org.argus.plan.mop;

import java.io.Serializable;
import java.util.Locale;

/**
 * A unit query to run (Cerebro §4.2): one config ({@code trial}), one sub-epoch, one shard. It reads
 * the config's checkpoint {@code inCkpt} and writes {@code outCkpt}, a new name, so the input is
 * never modified and a failed attempt is retried from it.
 *
 * @param trial trial id
 * @param epoch 1-based epoch being trained
 * @param shard shard (for task-parallel: replica) index
 * @param attempt try number, 0 first
 * @param inCkpt input checkpoint name, null for a fresh model
 * @param outCkpt output checkpoint name
 */
public record Unit(int trial, int epoch, int shard, int attempt, String inCkpt, String outCkpt)
    implements Serializable {

  /**
   * The first attempt of a hop: output {@code ckpt/trial-T/eE-sS.ckpt}.
   *
   * @param trial trial id
   * @param epoch epoch
   * @param shard shard
   * @param inCkpt the config's current checkpoint (null: fresh)
   * @return the unit
   */
  public static Unit hop(int trial, int epoch, int shard, String inCkpt) {
    return new Unit(trial, epoch, shard, 0, inCkpt,
        String.format(Locale.ROOT, "ckpt/trial-%d/e%d-s%d.ckpt", trial, epoch, shard));
  }

  /**
   * The first attempt of one BSP part: output {@code ckpt/trial-T/eE-sS.part}.
   *
   * @param trial trial id
   * @param epoch epoch
   * @param shard shard
   * @param inCkpt the config's state at the start of the epoch (null: fresh)
   * @return the unit
   */
  public static Unit bspPart(int trial, int epoch, int shard, String inCkpt) {
    return new Unit(trial, epoch, shard, 0, inCkpt,
        String.format(Locale.ROOT, "ckpt/trial-%d/e%d-s%d.part", trial, epoch, shard));
  }

  /**
   * @param trial trial id
   * @param epoch epoch
   * @return the name of BSP's averaged checkpoint of that epoch
   */
  public static String bspAverage(int trial, int epoch) {
    return String.format(Locale.ROOT, "ckpt/trial-%d/e%d-avg.ckpt", trial, epoch);
  }

  /** @return the next attempt: same checkpoints */
  public Unit retry() {
    return new Unit(trial, epoch, shard, attempt + 1, inCkpt, outCkpt);
  }

  /** @return {@code trial/epoch/shard}, the key of fault-injection tests */
  public String key() {
    return trial + "/" + epoch + "/" + shard;
  }
}
