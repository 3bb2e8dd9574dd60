/**
 * Batched evaluation of Argus's scalar SQL functions inside Spark SQL.
 *
 * <p>A registered per-row function ({@code spark.udf().register}) is one Catalyst {@code ScalaUDF}
 * call per row: for a CNN that is one ONNX Runtime call of batch 1 per row. {@link
 * org.argus.surfaces.sql.SqlBatching} registers such a function together with its {@link
 * org.argus.surfaces.sql.BatchedFunction batched form} and adds to the session an optimizer rule
 * and a planner strategy (the pattern of Spark's {@code ExtractPythonUDFs} + {@code
 * BatchEvalPythonExec}): calls in a {@code SELECT} list move into an {@link
 * org.argus.surfaces.sql.ArgusBatchEval} node whose exec ({@link
 * org.argus.surfaces.sql.ArgusBatchEvalExec}) runs each call once per batch of a partition's rows.
 * Calls elsewhere keep the per-row function. {@link org.argus.surfaces.ml.Argus} uses this for
 * {@code argus_featurize}, {@code argus_predict} and registered pipelines.
 */
package org.argus.surfaces.sql;
