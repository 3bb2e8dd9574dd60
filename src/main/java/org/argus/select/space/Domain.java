package org.argus.select.space;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The set a hyperparameter is drawn from. Sampling uses the hyperparameter's own stream (see {@link
 * SearchSpace#sampler(long)}); {@link #gridValues()} lists the values a grid search enumerates.
 */
public sealed interface Domain {
  /**
   * @param rng the hyperparameter's own stream
   * @return one value
   */
  Object sample(SplittableRandom rng);

  /** @return every value (for grid search), or empty for continuous domains */
  Optional<List<Object>> gridValues();

  /**
   * A finite list of values ({@code choice(32,128)}).
   *
   * @param values at least one value
   */
  record Choice(List<Object> values) implements Domain {
    /** Validates and copies. */
    public Choice {
      if (values == null || values.isEmpty()) {
        throw new IllegalArgumentException("choice(...) needs at least one value; found none");
      }
      values = List.copyOf(values);
    }

    @Override
    public Object sample(SplittableRandom rng) {
      return values.get(rng.nextInt(values.size()));
    }

    @Override
    public Optional<List<Object>> gridValues() {
      return Optional.of(values);
    }

    @Override
    public String toString() {
      return "choice(" + String.join(",", values.stream().map(Config::format).toList()) + ")";
    }
  }

  /**
   * Uniform on {@code [low, high)}.
   *
   * @param low lower bound
   * @param high upper bound, {@code > low}
   */
  record Uniform(double low, double high) implements Domain {
    /** Validates the bounds. */
    public Uniform {
      check("uniform", low, high);
    }

    @Override
    public Object sample(SplittableRandom rng) {
      return low + (high - low) * rng.nextDouble();
    }

    @Override
    public Optional<List<Object>> gridValues() {
      return Optional.empty();
    }

    @Override
    public String toString() {
      return "uniform(" + low + "," + high + ")";
    }
  }

  /**
   * Log-uniform on {@code [low, high)}: {@code exp(uniform(ln low, ln high))}.
   *
   * @param low lower bound, {@code > 0}
   * @param high upper bound, {@code > low}
   */
  record LogUniform(double low, double high) implements Domain {
    /** Validates the bounds. */
    public LogUniform {
      check("loguniform", low, high);
      if (low <= 0) {
        throw new IllegalArgumentException("loguniform(low, high) needs low > 0; found low=" + low);
      }
    }

    @Override
    public Object sample(SplittableRandom rng) {
      return Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * rng.nextDouble());
    }

    @Override
    public Optional<List<Object>> gridValues() {
      return Optional.empty();
    }

    @Override
    public String toString() {
      return "loguniform(" + low + "," + high + ")";
    }
  }

  /**
   * Quantized uniform: {@code round(uniform(low, high) / q) * q} (Hyperopt's {@code quniform}).
   *
   * @param low lower bound
   * @param high upper bound, {@code > low}
   * @param q quantum, {@code > 0}
   */
  record QUniform(double low, double high, double q) implements Domain {
    /** Validates the bounds. */
    public QUniform {
      check("quniform", low, high);
      if (!(q > 0)) {
        throw new IllegalArgumentException("quniform(low, high, q) needs q > 0; found q=" + q);
      }
    }

    @Override
    public Object sample(SplittableRandom rng) {
      return Math.round((low + (high - low) * rng.nextDouble()) / q) * q;
    }

    @Override
    public Optional<List<Object>> gridValues() {
      List<Object> out = new ArrayList<>();
      for (long k = Math.round(low / q); k * q <= high + 1e-12; k++) {
        out.add(k * q);
      }
      return Optional.of(out);
    }

    @Override
    public String toString() {
      return "quniform(" + low + "," + high + "," + q + ")";
    }
  }

  /**
   * Integers {@code low..high} inclusive, uniform.
   *
   * @param low lowest value
   * @param high highest value, {@code >= low}
   */
  record RandInt(long low, long high) implements Domain {
    /** Validates the bounds. */
    public RandInt {
      if (high < low) {
        throw new IllegalArgumentException(
            "randint(low, high) needs high >= low (inclusive); found " + low + ", " + high);
      }
    }

    @Override
    public Object sample(SplittableRandom rng) {
      return low + rng.nextLong(high - low + 1);
    }

    @Override
    public Optional<List<Object>> gridValues() {
      List<Object> out = new ArrayList<>();
      for (long v = low; v <= high; v++) {
        out.add(v);
      }
      return Optional.of(out);
    }

    @Override
    public String toString() {
      return "randint(" + low + "," + high + ")";
    }
  }

  private static void check(String fn, double low, double high) {
    if (!Double.isFinite(low) || !Double.isFinite(high) || !(high > low)) {
      throw new IllegalArgumentException(
          fn + "(low, high) needs finite low < high; found " + low + ", " + high);
    }
  }
}
