package org.argus.select.space;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One point of a search space: hyperparameter name → value ({@link Long}, {@link Double} or {@link
 * String}). Immutable; names are kept sorted so {@link #toString()} is canonical.
 *
 * @param values the values by name
 */
public record Config(Map<String, Object> values) implements Serializable {
  /** Copies and sorts {@code values}. */
  public Config {
    Objects.requireNonNull(values, "values");
    values = Collections.unmodifiableMap(new TreeMap<>(values));
  }

  /**
   * @param name hyperparameter name
   * @return the value as a double
   * @throws IllegalArgumentException if absent or not numeric
   */
  public double getDouble(String name) {
    Object v = require(name);
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException(
        "hyperparameter " + name + " = " + v + " is not a number; config " + this);
  }

  /**
   * @param name hyperparameter name
   * @param fallback value when absent
   * @return the value as a double, or {@code fallback}
   */
  public double getDouble(String name, double fallback) {
    return values.containsKey(name) ? getDouble(name) : fallback;
  }

  /**
   * @param name hyperparameter name
   * @param fallback value when absent
   * @return the value as an int (a double is rounded), or {@code fallback}
   */
  public int getInt(String name, int fallback) {
    return values.containsKey(name) ? (int) Math.round(getDouble(name)) : fallback;
  }

  /**
   * @param name hyperparameter name
   * @param fallback value when absent
   * @return the value's string form, or {@code fallback}
   */
  public String getString(String name, String fallback) {
    Object v = values.get(name);
    return v == null ? fallback : String.valueOf(v);
  }

  private Object require(String name) {
    Object v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException(
          "hyperparameter " + name + " is not in config " + this + "; present: " + values.keySet());
    }
    return v;
  }

  /** @return {@code name=value,…} sorted by name */
  @Override
  public String toString() {
    return values.entrySet().stream()
        .map(e -> e.getKey() + "=" + format(e.getValue()))
        .collect(Collectors.joining(","));
  }

  static String format(Object v) {
    if (v instanceof Double d) {
      return String.format(java.util.Locale.ROOT, "%.6g", d).replaceAll("\\.?0+(e|$)", "$1");
    }
    return String.valueOf(v);
  }
}
