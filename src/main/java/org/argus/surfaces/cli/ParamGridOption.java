package org.argus.surfaces.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Parses {@code argus transfer --grid} over a learner's own params, by name: {@code
 * NAME=V1,V2[;NAME=V1,…]}, e.g. {@code regParam=0.01,0.1;elasticNetParam=0,0.5}. The grid is the
 * cartesian product of the lists (Spark ML {@link ParamGridBuilder}), so that example is 4 points.
 * Values are parsed by the param's type: double, float, int, long, boolean ({@code true}/{@code
 * false}) or string (generic params such as {@code family}); each value must pass the param's own
 * validator.
 */
final class ParamGridOption {
  private ParamGridOption() {}

  /**
   * @param text the option's value
   * @param learner the learner whose params are named
   * @return the grid points, at least one
   * @throws IllegalArgumentException for a malformed entry, a param the learner does not have
   *     (listing the ones it has), a param given twice, a value that does not parse as the param's
   *     type (naming the value and the type), a value the param's validator rejects (with the
   *     param's documentation), or a param of an unsupported type (arrays, vectors, matrices)
   */
  static ParamMap[] parse(String text, Params learner) {
    String who = learner.getClass().getSimpleName();
    ParamGridBuilder b = new ParamGridBuilder();
    Set<String> seen = new HashSet<>();
    for (String raw : text.split(";")) {
      String entry = raw.strip();
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException("--grid: expected NAME=V1,V2[;NAME=V1,…], e.g. "
            + "'regParam=0.01,0.1;elasticNetParam=0,0.5', found '" + entry + "'");
      }
      String name = entry.substring(0, eq).strip();
      if (!learner.hasParam(name)) {
        throw new IllegalArgumentException("--grid: " + who + " has no param '" + name + "'; its params: "
            + String.join(", ", names(learner)));
      }
      if (!seen.add(name)) {
        throw new IllegalArgumentException("--grid: param '" + name + "' given twice; list all its values once");
      }
      @SuppressWarnings("unchecked")
      Param<Object> p = (Param<Object>) learner.getParam(name);
      List<Object> values = new ArrayList<>();
      for (String v : entry.substring(eq + 1).split(",")) {
        Object value = value(p, v.strip(), learner, who);
        if (!(Boolean) p.isValid().apply(value)) {
          throw new IllegalArgumentException("--grid: " + who + "." + name + " value '" + v.strip()
              + "' is not valid; " + name + ": " + p.doc());
        }
        values.add(value);
      }
      b.addGrid(p, CollectionConverters.asScala(values));
    }
    return b.build();
  }

  private static Object value(Param<?> p, String v, Params learner, String who) {
    try {
      if (p instanceof DoubleParam) {
        return Double.parseDouble(v);
      }
      if (p instanceof FloatParam) {
        return Float.parseFloat(v);
      }
      if (p instanceof IntParam) {
        return Integer.parseInt(v);
      }
      if (p instanceof LongParam) {
        return Long.parseLong(v);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--grid: " + who + "." + p.name() + " value '" + v + "' is not " + typeOf(p), e);
    }
    if (p instanceof BooleanParam) {
      String t = v.toLowerCase(Locale.ROOT);
      if (!t.equals("true") && !t.equals("false")) {
        throw new IllegalArgumentException(
            "--grid: " + who + "." + p.name() + " value '" + v + "' is not a boolean (true or false)");
      }
      return Boolean.parseBoolean(t);
    }
    Object current = learner.hasDefault(p) || learner.isSet(p) ? learner.getOrDefault(p) : null;
    if (p.getClass() != Param.class || (current != null && !(current instanceof String))) {
      throw new IllegalArgumentException("--grid: " + who + "." + p.name() + " is a " + p.getClass().getSimpleName()
          + (current == null ? "" : " of " + current.getClass().getSimpleName())
          + "; --grid supports double, float, int, long, boolean and string params");
    }
    return v;
  }

  private static String typeOf(Param<?> p) {
    if (p instanceof DoubleParam) {
      return "a double (e.g. 0.1)";
    }
    if (p instanceof FloatParam) {
      return "a float (e.g. 0.1)";
    }
    if (p instanceof IntParam) {
      return "an int (e.g. 10)";
    }
    return "a long (e.g. 42)";
  }

  private static List<String> names(Params learner) {
    Set<String> n = new TreeSet<>();
    for (Param<?> p : learner.params()) {
      n.add(p.name());
    }
    return List.copyOf(n);
  }
}
