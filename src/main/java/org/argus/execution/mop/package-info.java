/**
 * Model hopper parallelism (Cerebro, Nakandala et al., VLDB 2020 §4) on Spark, plus the
 * task-parallel, BSP and sequential baselines behind the same API ({@link
 * org.argus.execution.mop.ModelSelection}).
 */
package org.argus.execution.mop;
