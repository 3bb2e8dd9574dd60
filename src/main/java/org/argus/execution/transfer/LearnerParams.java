package org.argus.execution.transfer;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;

/**
 * A downstream learner's Spark ML params for feature transfer: binding a param grid to the
 * learner's own params by name (with the type and validator checks), and printing params.
 */
final class LearnerParams {
  /** Params Argus sets on the learner itself; a param grid must not vary them. */
  static final Set<String> WIRED_PARAMS = Set.of("featuresCol", "labelCol", "predictionCol");

  private LearnerParams() {}

  /** Re-keys {@code point} to {@code learner}'s own params (by name) and checks each value. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  static ParamMap bind(ParamMap point, Predictor<?, ?, ?> learner) {
    ParamMap bound = ParamMap.empty();
    for (ParamPair<?> pair : point.toList()) {
      String name = pair.param().name();
      String learnerName = learner.getClass().getSimpleName();
      if (!learner.hasParam(name)) {
        throw new IllegalArgumentException("param grid: " + learnerName + " has no param '" + name
            + "'; its params: " + String.join(", ", paramNames(learner)));
      }
      if (WIRED_PARAMS.contains(name)) {
        throw new IllegalArgumentException("param grid: '" + name + "' is set by feature transfer itself and "
            + "cannot be varied; vary any of: " + String.join(", ", paramNames(learner)));
      }
      Param p = learner.getParam(name);
      Class<?> expected = valueClass(p);
      if (expected != null && !expected.isInstance(pair.value())) {
        throw new IllegalArgumentException("param grid: " + learnerName + "." + name + " value "
            + valueString(pair.value()) + " is a " + pair.value().getClass().getSimpleName() + ", expected a "
            + expected.getSimpleName() + "; " + name + ": " + p.doc());
      }
      boolean valid;
      try {
        valid = (Boolean) p.isValid().apply(pair.value());
      } catch (ClassCastException e) {
        throw new IllegalArgumentException("param grid: " + learnerName + "." + name + " value "
            + valueString(pair.value()) + " has the wrong type (" + pair.value().getClass().getSimpleName()
            + "); " + name + ": " + p.doc(), e);
      }
      if (!valid) {
        throw new IllegalArgumentException("param grid: " + learnerName + "." + name + " value "
            + valueString(pair.value()) + " is not valid; " + name + ": " + p.doc());
      }
      bound.put(p, pair.value());
    }
    return bound;
  }

  /** @return the boxed class a typed param's values must have, or null for a generic param */
  private static Class<?> valueClass(Param<?> p) {
    if (p instanceof org.apache.spark.ml.param.DoubleParam) {
      return Double.class;
    }
    if (p instanceof org.apache.spark.ml.param.IntParam) {
      return Integer.class;
    }
    if (p instanceof org.apache.spark.ml.param.LongParam) {
      return Long.class;
    }
    if (p instanceof org.apache.spark.ml.param.FloatParam) {
      return Float.class;
    }
    if (p instanceof org.apache.spark.ml.param.BooleanParam) {
      return Boolean.class;
    }
    return null;
  }

  static List<String> paramNames(Predictor<?, ?, ?> learner) {
    Set<String> names = new TreeSet<>();
    for (Param<?> p : learner.params()) {
      if (!WIRED_PARAMS.contains(p.name())) {
        names.add(p.name());
      }
    }
    return List.copyOf(names);
  }

  static String describe(Predictor<?, ?, ?> p) {
    java.util.Map<String, String> set = new java.util.TreeMap<>();
    for (Param<?> param : p.params()) {
      if (p.isDefined(param) && !WIRED_PARAMS.contains(param.name())) {
        set.put(param.name(), valueString(p.getOrDefault(param)));
      }
    }
    return set.toString();
  }

  static String describe(ParamMap point) {
    java.util.Map<String, String> set = new java.util.TreeMap<>();
    for (ParamPair<?> pair : point.toList()) {
      set.put(pair.param().name(), valueString(pair.value()));
    }
    return set.toString();
  }

  /**
   * @param v a param value (arrays printed element by element)
   * @return a printable form
   */
  static String valueString(Object v) {
    if (v instanceof double[] d) {
      return Arrays.toString(d);
    }
    if (v instanceof int[] i) {
      return Arrays.toString(i);
    }
    if (v instanceof Object[] o) {
      return Arrays.toString(o);
    }
    return String.valueOf(v);
  }
}
