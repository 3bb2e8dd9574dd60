package org.argus.execution.transfer;

/** Internal column names of feature transfer's DataFrames (underscored: never a user's name). */
final class Columns {
  private Columns() {}

  /** Join key, the user's id cast as it is. */
  static final String ID = "_id";
  /** Label as a double (numeric labels cast, string labels indexed in sorted order). */
  static final String LABEL = "_label";
  /** The raw label before indexing. */
  static final String LABEL_RAW = "_label_raw";
  /** {@code train} or {@code test}. */
  static final String SPLIT = "_split";
  /** The Spark image struct. */
  static final String IMAGE = "_image";
  /** The assembled feature vector the downstream learner reads. */
  static final String FV = "_fv";
  /** A layer's activation materialized for the next stage. */
  static final String ACTIVATION = "_activation";
  /** The quarantine reason. */
  static final String REASON = "_reason";
  /** The fold of cross-validation. */
  static final String FOLD = "_fold";

  /** @return the name of structured feature column {@code i} */
  static String x(int i) {
    return "_x" + i;
  }

  /** @return the pooled features column ({@code array<float>}) of layer {@code i} of the run, any plan */
  static String eagerFeatures(int i) {
    return "_f" + i;
  }
}
