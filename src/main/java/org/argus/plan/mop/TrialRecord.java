package org.argus.plan.mop;

/**
 * One config of a run as recorded (a row of the run directory's {@code trials} table).
 *
 * @param trial trial id
 * @param config the config ({@code name=value,…})
 * @param seed the trial's seed ({@code Seeds.split(runSeed, "trial", id)}: weight init, batch order)
 * @param bracket Hyperband bracket, or -1
 * @param stopped why it stopped ({@code failed: …} when it failed; empty if the procedure gave none)
 */
public record TrialRecord(int trial, String config, long seed, int bracket, String stopped) {}
