/**
 * Deep featurization as Spark ML stages and SQL functions.
 *
 * <p>{@link org.argus.surfaces.ml.DeepImageFeaturizer} (layer activations, pooled),
 * {@link org.argus.surfaces.ml.DeepImagePredictor} (probabilities and top-k labels) and
 * {@link org.argus.surfaces.ml.OnnxTransformer} (any ONNX model over numeric columns) are Spark ML
 * {@code Transformer}s with typed params, {@code transformSchema} checks and {@code MLWritable}
 * persistence (model sha256 recorded; file-backed models embedded). They batch each partition's
 * rows into ONNX Runtime calls on one session per executor JVM and graph cut
 * ({@link org.argus.runtime.SessionCache}), within a {@link org.argus.surfaces.ml.ThreadBudget}.
 * {@link org.argus.surfaces.ml.Argus} registers the SQL functions {@code argus_featurize},
 * {@code argus_predict} and fitted pipelines by name.
 */
package org.argus.surfaces.ml;
