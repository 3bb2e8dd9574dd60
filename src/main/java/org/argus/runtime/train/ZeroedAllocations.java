package org.argus.runtime.train;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Makes the C allocator hand out zero-filled memory and caps oneDNN at AVX2, once per JVM, before the
 * first PyTorch operation of a trainer — work-arounds for a oneDNN defect in the PyTorch 2.7.1 CPU
 * natives.
 *
 * <p>The defect: for a convolution's input gradient (backward-data), oneDNN reorders the weights
 * into channel blocks of the SIMD width (16 on AVX-512, 8 on AVX2) in a freshly allocated buffer and
 * leaves the block padding uninitialized when the output channels are not a multiple of the block;
 * the kernel multiplies that padding by zero. Recycled memory holding finite values gives the exact
 * result, but NaN or infinity bytes there (left by earlier users of the memory: compressed data,
 * pointers, strings …) turn the input gradient — and so the gradients of every layer below the
 * convolution — into NaN while the loss stays finite; the next Adam step then makes the weights NaN.
 * This is what made {@code DjlTrainerTest.cnnLearnsAndSeedsDetermineInit} fail now and then with
 * {@code 1.2569… -> NaN} (filters 4: the second convolution has 8 output channels). Measured: with
 * an {@code LD_PRELOAD} shim that fills every block of 4 KiB or more with {@code 0xff} (NaN), the
 * first convolution's weight and bias gradients were NaN in every batch, and restricting the fill
 * to 9 216-byte blocks — exactly the second convolution's weights reordered to {@code ABcd16a16b}
 * (16 × 16 × 3 × 3 floats) — was enough; 16 or 32 output channels never failed on AVX-512; with
 * random bytes recycled between epochs, 54 of 60 five-epoch runs diverged without this class and 0
 * of 60 with it. The natives are byte-identical in DJL 0.35.0 and 0.36.0; the DJL upgrade did not
 * cause it.
 *
 * <p>How: glibc's {@code mallopt(M_PERTURB, 0xff)} (the run-time form of {@code MALLOC_PERTURB_=255})
 * fills each block it allocates with {@code 0x00} and each block it frees with {@code 0xff}. Process-
 * wide and cheap (no measurable change on the trainer tests); it does not reach blocks served from
 * glibc's per-thread cache (1 032 bytes or less) nor fresh {@code mmap} blocks (already zero), so a
 * padded block of at most 1 KiB can still see recycled bytes.
 *
 * <p>Zeroed allocations are not enough: leftovers of oneDNN's earlier work in the process still
 * reach the padding. In a test run of {@code FineTuneTrainerTest}, {@code ModelSelectionTest} and
 * then {@code DjlTrainerTest}, the cnn test's repetitions ended with different weights (finite,
 * differing by about 1e-3) in 3 of 4 runs once the heads' inputs were staged ({@link Staging}),
 * which only changes what ran before; alone it passed. So oneDNN is also capped at AVX2 ({@value
 * #ISA_VARIABLE}={@value #ISA}, set with {@code setenv} before its first primitive unless the
 * variable is already set): channel blocks of 8, so channel counts that are multiples of 8 (every
 * layer of the roster's CNNs) have no padding. With it the same runs passed 3 of 3 (and 2 of 2 with the variable set before the JVM started). Cost, measured on
 * the 2-core development machine (cnn family, 32 filters, batch 64, steady epochs): 67–81 ms per
 * step capped against 70–74 ms uncapped, within the noise of one run to the next.
 *
 * <p>Skipped when {@code MALLOC_PERTURB_} is
 * already set, on other C libraries than glibc and other systems than Linux, and when the system
 * property {@value #PROPERTY} is {@code false}.
 */
public final class ZeroedAllocations {
  /** Set to {@code false} to leave the allocator alone. */
  static final String PROPERTY = "argus.train.zeroAllocations";

  private static final int M_PERTURB = -6;
  /** oneDNN's instruction-set cap, read once at its first primitive. */
  static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";
  /** 8-float channel blocks: no padding for channel counts that are multiples of 8. */
  static final String ISA = "AVX2";
  private static String status;

  private ZeroedAllocations() {}

  /**
   * Applies the settings once (thread-safe); never throws. Called by every Argus entry to PyTorch
   * (trainers, imported layer graphs and their nodes, the input staging buffer) before its first
   * operation: oneDNN reads its instruction-set cap once, at its first primitive, so a convolution
   * run before this call (a shape inference, say) would leave the cap without effect. Seen: with
   * the call in the trainers only, the suite's classes before {@code DjlTrainerTest} left oneDNN on
   * AVX-512 ({@code ONEDNN_VERBOSE=1} printed {@code isa:Intel AVX-512 …}) and the cnn bit-identity
   * test failed; with it here too, oneDNN printed {@code isa:Intel AVX2} and the test passed.
   */
  public static synchronized void ensure() {
    if (status == null) {
      status = apply();
    }
  }

  /** @return what {@link #ensure()} did: {@code on}, or {@code off: why} (null before) */
  static synchronized String status() {
    return status;
  }

  private static String apply() {
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
      return "off: " + PROPERTY + "=false";
    }
    if (System.getenv("MALLOC_PERTURB_") != null) {
      return "off: MALLOC_PERTURB_ is set (" + System.getenv("MALLOC_PERTURB_") + ")";
    }
    if (!Platform.isLinux()) {
      return "off: not Linux";
    }
    try {
      NativeLibrary c = NativeLibrary.getInstance("c");
      c.getFunction("gnu_get_libc_version"); // glibc only: musl has no M_PERTURB
      int ok = c.getFunction("mallopt").invokeInt(new Object[] {M_PERTURB, 0xff});
      if (System.getenv(ISA_VARIABLE) == null) {
        c.getFunction("setenv").invokeInt(new Object[] {ISA_VARIABLE, ISA, 0});
      }
      return ok == 1 ? "on" : "off: mallopt(M_PERTURB) returned " + ok;
    } catch (UnsatisfiedLinkError e) {
      // JNA's own native part or the C function could not be loaded (not glibc, noexec temp dir):
      // the trainer still works, only without the work-around
      return "off: " + e.getMessage();
    }
  }
}
