package org.argus.runtime.train;

import java.io.Serializable;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The hyperparameters a trainer reads: name → value ({@link Long}, {@link Double} or {@link
 * String}). The trainer SPI's own value, so that {@code runtime.train} does not depend on the search
 * spaces above it; model selection converts each config to one of these. Immutable; names are kept
 * sorted so {@link #toString()} is canonical (the same text as the config it came from).
 *
 * @param values the values by name
 */
public record Hyperparameters(Map<String, Object> values) implements Serializable {
  /** No hyperparameters: every reader gets its default. */
  public static final Hyperparameters NONE = new Hyperparameters(Map.of());

  /**
   * Copies and sorts {@code values}.
   *
   * @throws NullPointerException if {@code values} or one of its keys or values is null
   * @throws IllegalArgumentException if a value is not a {@link Number} or {@link String}
   */
  public Hyperparameters {
    Objects.requireNonNull(values, "values");
    TreeMap<String, Object> sorted = new TreeMap<>();
    values.forEach((k, v) -> {
      Objects.requireNonNull(k, "hyperparameter name");
      Objects.requireNonNull(v, () -> "value of hyperparameter " + k);
      if (!(v instanceof Number) && !(v instanceof String)) {
        throw new IllegalArgumentException("hyperparameter " + k + " = " + v + " has type "
            + v.getClass().getSimpleName() + "; valid: a number or a string");
      }
      sorted.put(k, v);
    });
    values = Collections.unmodifiableMap(sorted);
  }

  /**
   * @param name hyperparameter name
   * @param fallback value when absent
   * @return the value as a double, or {@code fallback}
   * @throws IllegalArgumentException if present and not numeric
   */
  public double getDouble(String name, double fallback) {
    Object v = values.get(name);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException(
        "hyperparameter " + name + " = " + v + " is not a number; config " + this);
  }

  /**
   * @param name hyperparameter name
   * @param fallback value when absent
   * @return the value as an int (a double is rounded), or {@code fallback}
   * @throws IllegalArgumentException if present and not numeric
   */
  public int getInt(String name, int fallback) {
    return values.containsKey(name) ? (int) Math.round(getDouble(name, 0)) : fallback;
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

  /** @return {@code name=value,…} sorted by name; doubles with 6 significant digits */
  @Override
  public String toString() {
    return values.entrySet().stream()
        .map(e -> e.getKey() + "=" + format(e.getValue()))
        .collect(Collectors.joining(","));
  }

  private static String format(Object v) {
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, "%.6g", d).replaceAll("\\.?0+(e|$)", "$1");
    }
    return String.valueOf(v);
  }
}
