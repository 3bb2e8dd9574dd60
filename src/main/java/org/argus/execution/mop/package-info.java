/**
 * Model hopper parallelism (Cerebro, Nakandala et al., VLDB 2020 §4) on Spark, plus the
 * task-parallel, BSP and sequential baselines behind the same API ({@link
 * org.argus.execution.mop.ModelSelection}): the shard layout and its caching, unit queries as Spark
 * jobs over the one partition holding their shard, BSP averaging, validation and the run
 * directory's tables. What runs when is decided by the Spark-free scheduler in {@code
 * org.argus.plan.mop}; reports are written by {@code org.argus.surfaces.report.SelectionReport}.
 */
package org.argus.execution.mop;
