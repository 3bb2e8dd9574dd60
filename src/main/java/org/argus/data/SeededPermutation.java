package org.argus.data;

import java.util.SplittableRandom;

/**
 * Seeded sampling without replacement: the first {@code n} entries of a random permutation of
 * {@code 0 .. population-1}, by the Fisher–Yates shuffle (Durstenfeld,
 * CACM 7(7), 1964, "Algorithm 235: Random permutation"; Knuth, TAOCP vol. 2, §3.4.2, Algorithm P)
 * stopped after {@code n} swaps, driven by {@code new SplittableRandom(seed)}. Pure Java; the same
 * seed gives the same indices on every JVM (SplittableRandom's sequence is specified).
 */
final class SeededPermutation {
  private SeededPermutation() {}

  /**
   * @param population size of the population, {@code >= 0}
   * @param n how many indices, {@code 0 <= n <= population}
   * @param seed the seed of the permutation
   * @return {@code n} distinct indices in {@code [0, population)}, in permutation order (not
   *     sorted)
   * @throws IllegalArgumentException when {@code n < 0} or {@code n > population}
   */
  static int[] prefix(int population, int n, long seed) {
    if (n < 0 || n > population) {
      throw new IllegalArgumentException(
          "n = " + n + " indices of a population of " + population + "; valid: 0.." + population);
    }
    int[] perm = new int[population];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int j = i + rnd.nextInt(perm.length - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      out[i] = perm[i];
    }
    return out;
  }
}
