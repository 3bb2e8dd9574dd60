package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.argus.select.space.Domain;

/**
 * One hyperparameter's density over a set of observed values, as TPE builds {@code l(x)} (good
 * trials) and {@code g(x)} (bad trials) (Bergstra et al., "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS 2011, §4), with hyperopt's estimators:
 *
 * <ul>
 *   <li>numeric domains: the adaptive Parzen estimator ({@code adaptive_parzen_normal}): a mixture
 *       of a prior Gaussian (mean the middle of the domain, σ its width, weight 1) and one Gaussian
 *       per observation whose σ is the larger distance to its sorted neighbours, clipped to {@code
 *       [width / min(100, 1 + components), width]}; every component truncated to the domain.
 *       {@code loguniform} is modelled in {@code ln x}; {@code quniform}/{@code randint} draw a
 *       continuous value and round it exactly as the domain's own sampler does, and their density is
 *       the probability mass of the value's rounding bin;
 *   <li>{@code choice} (strings or numbers): smoothed category counts, {@code p(c) ∝ Σ w_i [x_i = c]
 *       + 1} ({@code ap_categorical_sampler}, prior weight 1 per category).
 * </ul>
 *
 * Observations are weighted by hyperopt's linear forgetting: with more than 25, the oldest ramp
 * from {@code 1/n} up to 1 and the 25 newest weigh 1. Immutable.
 */
sealed interface ParzenEstimator {
  /** hyperopt's {@code LF}: observations beyond the newest this many weigh less (linear ramp). */
  int FORGET_AFTER = 25;

  /** Prior weight (hyperopt's and Optuna's default). */
  double PRIOR_WEIGHT = 1.0;

  /**
   * @param rng the stream to draw from
   * @return a value of the domain (the domain's own type: Double, Long or the choice's value)
   */
  Object sample(SplittableRandom rng);

  /**
   * @param value a value of the domain
   * @return its log density (numeric continuous, in the modelled coordinate), log bin mass
   *     (quantized) or log probability (choice); finite for every value of the domain
   */
  double logDensity(Object value);

  /**
   * @param domain the hyperparameter's domain
   * @param observed observed values, oldest first (may be empty: the prior alone)
   * @return the estimator
   */
  static ParzenEstimator fit(Domain domain, List<Object> observed) {
    double[] w = forgettingWeights(observed.size());
    if (domain instanceof Domain.Choice c) {
      return Categorical.fit(c, observed, w);
    }
    return Numeric.fit(Numeric.Axis.of(domain), observed, w);
  }

  /**
   * @param n observations
   * @return hyperopt's {@code linear_forgetting_weights(n, 25)}, oldest first
   */
  static double[] forgettingWeights(int n) {
    double[] w = new double[n];
    Arrays.fill(w, 1.0);
    int ramp = n - FORGET_AFTER;
    for (int i = 0; i < ramp; i++) {
      w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
    }
    return w;
  }

  /**
   * Smoothed category counts.
   *
   * @param values the choice's values
   * @param p each value's probability
   */
  record Categorical(List<Object> values, double[] p) implements ParzenEstimator {
    static Categorical fit(Domain.Choice c, List<Object> observed, double[] w) {
      double[] p = new double[c.values().size()];
      Arrays.fill(p, PRIOR_WEIGHT);
      for (int i = 0; i < observed.size(); i++) {
        p[index(c.values(), observed.get(i))] += w[i];
      }
      double sum = Arrays.stream(p).sum();
      for (int k = 0; k < p.length; k++) {
        p[k] /= sum;
      }
      return new Categorical(c.values(), p);
    }

    private static int index(List<Object> values, Object v) {
      int k = values.indexOf(v);
      if (k < 0) {
        throw new IllegalArgumentException("value " + v + " is not one of choice" + values);
      }
      return k;
    }

    @Override
    public Object sample(SplittableRandom rng) {
      double u = rng.nextDouble();
      for (int k = 0; k < p.length - 1; k++) {
        u -= p[k];
        if (u < 0) {
          return values.get(k);
        }
      }
      return values.get(p.length - 1);
    }

    @Override
    public double logDensity(Object value) {
      return Math.log(p[index(values, value)]);
    }
  }

  /**
   * A truncated Gaussian mixture on an axis.
   *
   * @param axis the modelled coordinate and how values map to it
   * @param mu component means, sorted (the prior among them)
   * @param sigma component standard deviations
   * @param w component weights, summing to 1
   * @param mass each component's probability mass inside the axis bounds
   */
  record Numeric(Axis axis, double[] mu, double[] sigma, double[] w, double[] mass) implements ParzenEstimator {
    /** Tries of rejection sampling before a draw is clamped into the bounds (each try succeeds with p ≥ 0.34). */
    private static final int TRIES = 64;

    /**
     * The coordinate a numeric domain is modelled in.
     *
     * @param domain the domain (uniform, loguniform, quniform or randint)
     * @param a lower bound of the coordinate ({@code ln low} for loguniform, {@code low − 1/2} for randint)
     * @param b upper bound of the coordinate
     * @param log true if the coordinate is {@code ln x}
     * @param q rounding quantum (1 for randint), 0 for a continuous domain
     */
    record Axis(Domain domain, double a, double b, boolean log, double q) {
      static Axis of(Domain d) {
        if (d instanceof Domain.Uniform u) {
          return new Axis(d, u.low(), u.high(), false, 0);
        }
        if (d instanceof Domain.LogUniform u) {
          return new Axis(d, Math.log(u.low()), Math.log(u.high()), true, 0);
        }
        if (d instanceof Domain.QUniform u) {
          return new Axis(d, u.low(), u.high(), false, u.q());
        }
        if (d instanceof Domain.RandInt u) {
          return new Axis(d, u.low() - 0.5, u.high() + 0.5, false, 1);
        }
        throw new IllegalArgumentException("not a numeric domain: " + d);
      }

      /** @return the coordinate of a domain value */
      double coordinate(Object value) {
        double v = ((Number) value).doubleValue();
        return Math.min(b, Math.max(a, log ? Math.log(v) : v));
      }

      /** @return the domain value of a coordinate in {@code [a, b]}, rounded as the domain's sampler rounds */
      Object value(double x) {
        if (domain instanceof Domain.LogUniform u) {
          return Math.min(u.high(), Math.max(u.low(), Math.exp(x)));
        }
        if (domain instanceof Domain.QUniform) {
          return Math.round(x / q) * q;
        }
        if (domain instanceof Domain.RandInt u) {
          return Math.min(u.high(), Math.max(u.low(), Math.round(x)));
        }
        return x;
      }
    }

    static Numeric fit(Axis axis, List<Object> observed, double[] weights) {
      double priorMu = (axis.a() + axis.b()) / 2;
      double priorSigma = axis.b() - axis.a();
      List<double[]> comps = new ArrayList<>(); // {mu, weight, isPrior}
      for (int i = 0; i < observed.size(); i++) {
        comps.add(new double[] {axis.coordinate(observed.get(i)), weights[i], 0});
      }
      comps.sort(Comparator.comparingDouble(c -> c[0])); // stable: ties keep age order
      int priorPos = 0;
      while (priorPos < comps.size() && comps.get(priorPos)[0] < priorMu) {
        priorPos++;
      }
      comps.add(priorPos, new double[] {priorMu, PRIOR_WEIGHT, 1});
      int n = comps.size();
      double[] mu = new double[n];
      double[] w = new double[n];
      for (int i = 0; i < n; i++) {
        mu[i] = comps.get(i)[0];
        w[i] = comps.get(i)[1];
      }
      double[] sigma = bandwidths(mu, priorPos, priorSigma);
      double total = Arrays.stream(w).sum();
      double[] mass = new double[n];
      for (int i = 0; i < n; i++) {
        w[i] /= total;
        mass[i] = Normal.cdf((axis.b() - mu[i]) / sigma[i]) - Normal.cdf((axis.a() - mu[i]) / sigma[i]);
      }
      return new Numeric(axis, mu, sigma, w, mass);
    }

    /** hyperopt's neighbour distances with the "magic clip"; the prior keeps the domain's width. */
    private static double[] bandwidths(double[] mu, int priorPos, double priorSigma) {
      int n = mu.length;
      double[] s = new double[n];
      if (n == 2) {
        Arrays.fill(s, priorSigma * 0.5); // hyperopt: one observation gets half the prior's width
      } else if (n > 2) {
        s[0] = mu[1] - mu[0];
        s[n - 1] = mu[n - 1] - mu[n - 2];
        for (int i = 1; i < n - 1; i++) {
          s[i] = Math.max(mu[i] - mu[i - 1], mu[i + 1] - mu[i]);
        }
      }
      double min = priorSigma / Math.min(100.0, 1.0 + n);
      for (int i = 0; i < n; i++) {
        s[i] = Math.min(priorSigma, Math.max(min, s[i]));
      }
      s[priorPos] = priorSigma;
      return s;
    }

    @Override
    public Object sample(SplittableRandom rng) {
      double u = rng.nextDouble();
      int k = 0;
      while (k < w.length - 1 && (u -= w[k]) >= 0) {
        k++;
      }
      double x = Double.NaN;
      for (int t = 0; t < TRIES && !(x >= axis.a() && x <= axis.b()); t++) {
        x = mu[k] + sigma[k] * rng.nextGaussian();
      }
      return axis.value(Math.min(axis.b(), Math.max(axis.a(), x)));
    }

    @Override
    public double logDensity(Object value) {
      if (axis.q() > 0) {
        double v = ((Number) value).doubleValue();
        double lo = Math.max(axis.a(), v - axis.q() / 2);
        double hi = Math.min(axis.b(), v + axis.q() / 2);
        double p = 0;
        for (int i = 0; i < mu.length; i++) {
          p += w[i] * (Normal.cdf((hi - mu[i]) / sigma[i]) - Normal.cdf((lo - mu[i]) / sigma[i])) / mass[i];
        }
        return Math.log(Math.max(p, Double.MIN_NORMAL));
      }
      double x = axis.coordinate(value);
      double[] terms = new double[mu.length];
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < mu.length; i++) {
        double z = (x - mu[i]) / sigma[i];
        terms[i] = Math.log(w[i] / mass[i]) - 0.5 * z * z - Math.log(sigma[i]) - Normal.LOG_SQRT_2PI;
        max = Math.max(max, terms[i]);
      }
      double sum = 0;
      for (double t : terms) {
        sum += Math.exp(t - max);
      }
      return max + Math.log(sum);
    }
  }

  /** The standard normal distribution function. */
  final class Normal {
    static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

    private Normal() {}

    /**
     * Φ(x) by Marsaglia's Taylor series {@code Φ(x) = 1/2 + φ(x)(x + x³/3 + x⁵/(3·5) + …)}
     * ("Evaluating the Normal Distribution", J. Stat. Softw. 11(4), 2004), absolute error about
     * 1e-15; 0 or 1 beyond |x| = 8.5 (where Φ is within 1e-17 of them).
     *
     * @param x any value
     * @return Φ(x)
     */
    static double cdf(double x) {
      if (x < -8.5) {
        return 0;
      }
      if (x > 8.5) {
        return 1;
      }
      double s = x;
      double t = 0;
      double b = x;
      double q = x * x;
      double i = 1;
      while (s != t) {
        t = s;
        i += 2;
        b *= q / i;
        s = t + b;
      }
      return Math.min(1, Math.max(0, 0.5 + s * Math.exp(-0.5 * q - LOG_SQRT_2PI)));
    }
  }
}
