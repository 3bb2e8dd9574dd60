/**
 * The Cerebro scheduler (Nakandala et al., "Cerebro: A Data System for Optimized Deep Learning
 * Model Selection", VLDB 2020, §4.2), without Spark: each config's seeded Latin-square visit order
 * of the shards ({@code VisitOrders}), which idle config a free shard runs next
 * ({@link org.argus.plan.mop.RoundScheduler}: longest remaining work, seeded ties), retries,
 * failure and divergence bookkeeping and resume replay of recorded unit queries and epochs ({@link
 * org.argus.plan.mop.SelectionState}, {@link org.argus.plan.mop.Replay}), and the typed records of
 * a run directory's tables ({@link org.argus.plan.mop.UnitRecord}, {@link
 * org.argus.plan.mop.EpochRecord}, {@link org.argus.plan.mop.TrialRecord}). The Spark runner is
 * {@code org.argus.execution.mop.ModelSelection}; everything here is a deterministic function of the
 * run seed and the unit outcomes fed to it.
 */
package org.argus.plan.mop;
