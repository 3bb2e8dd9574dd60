/**
 * Model selection (Cerebro): search spaces ({@link org.argus.select.space}), selection procedures on
 * a per-epoch scheduling template ({@link org.argus.select.procedure}). Execution with model hopper
 * parallelism lives in {@code org.argus.execution.mop}; training engines in {@code
 * org.argus.runtime.train}.
 */
package org.argus.select;
