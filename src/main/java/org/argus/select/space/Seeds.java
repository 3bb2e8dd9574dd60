package org.argus.select.space;

import java.nio.charset.StandardCharsets;

/**
 * Splits independent random streams from one seed (SplitMix64 finalizer, Steele et al., "Fast
 * splittable pseudorandom number generators", OOPSLA 2014), so per-hyperparameter, per-trial and
 * per-shard streams never share state and do not depend on the order in which they are created.
 */
public final class Seeds {
  private Seeds() {}

  /**
   * @param z any value
   * @return the SplitMix64 mix of {@code z}
   */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * @param seed parent seed
   * @param label what the child stream is for (e.g. a hyperparameter name)
   * @param index index of the child (e.g. a trial id)
   * @return a child seed, a pure function of the three arguments
   */
  public static long split(long seed, String label, long index) {
    long h = 1125899906842597L;
    for (byte b : label.getBytes(StandardCharsets.UTF_8)) {
      h = 31 * h + b;
    }
    return mix(mix(seed + 0x9e3779b97f4a7c15L) ^ mix(h) ^ mix(index * 0x632be59bd9b4e019L + 1));
  }
}
