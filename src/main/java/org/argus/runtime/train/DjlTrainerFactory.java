package org.argus.runtime.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Trainers on DJL + PyTorch (CPU). Loss: softmax cross-entropy on logits. Optimizers, implemented
 * here as NDArray updates so their state can be checkpointed exactly (DJL's savers store weights
 * only): {@code optimizer=adam} (default; Kingma &amp; Ba, ICLR 2015, Alg. 1, β1 0.9, ε 1e-8, β2
 * {@code beta2} [0.999], in (0, 1); one engine call per parameter, see {@code Adam}) or {@code sgd} (heavy-ball momentum {@code
 * momentum} [0.9], PyTorch convention {@code v = μv + g; w -= lr·v}); {@code lr} [1e-3], decayed by
 * {@code decay=cosine} over {@code decay_steps} steps ({@code LearningRate}) [none], {@code wd}
 * (L2: {@code wd·w} added to each weight's gradient; biases are not penalized, as Spark ML's
 * LogisticRegression leaves its intercepts unpenalized — "no bias decay", He et al., CVPR 2019,
 * §3.1) [0], {@code batch} [32]. Weight init is Glorot-uniform from the trial seed (Java {@code
 * SplittableRandom}, engine-independent), biases 0; a linear model (a block with one weight
 * array, e.g. {@code head} with {@code width=0}) starts at zero instead, as Spark ML's
 * LogisticRegression and scikit-learn's start their coefficients: the data's gradient never reaches
 * the directions the training rows do not span, so random initial weights there stay (shrunk only by
 * the L2) and add noise to the logits of test rows (at 1 000 training rows of 8 192 features, InceptionV3's mixed10 head ended 1.2 points
 * behind spark-lr in 3 of 4 splits with Glorot init; {@code bench/results/head-epochs.md}, session 22).
 * Threads: PyTorch's intra-op threads are the JVM's {@code ai.djl.pytorch.num_threads} (read once,
 * when the engine starts) unless {@link #withThreads(int)} sets them for this factory's trainers.
 */
public final class DjlTrainerFactory implements TrainerFactory {
  private static final long serialVersionUID = 1L;
  private final String family;
  private final BlockFactory blocks;
  private final long[] inputShape;
  private final int classes;
  private final int threads;

  /**
   * @param family family name for reports
   * @param blocks builds the network
   * @param inputShape per-example shape, e.g. {@code [1, 28, 28]} or {@code [features]}
   * @param classes output classes, {@code >= 2}
   * @throws NullPointerException if {@code family}, {@code blocks} or {@code inputShape} is null
   * @throws IllegalArgumentException if {@code classes < 2}
   */
  public DjlTrainerFactory(String family, BlockFactory blocks, long[] inputShape, int classes) {
    this(family, blocks, inputShape, classes, 0);
  }

  private DjlTrainerFactory(String family, BlockFactory blocks, long[] inputShape, int classes, int threads) {
    this.family = Objects.requireNonNull(family, "family");
    this.blocks = Objects.requireNonNull(blocks, "blocks");
    this.inputShape = inputShape.clone();
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2; found " + classes);
    }
    this.classes = classes;
    this.threads = threads;
  }

  /**
   * PyTorch keeps its intra-op thread count per OS thread ({@code at::set_num_threads} sets the
   * calling thread's OpenMP setting); a trainer of the returned factory sets it on the thread that
   * calls {@link Trainer#train} or {@link Trainer#evaluate}, so executions with different thread
   * budgets can share one JVM (e.g. a benchmark giving sequential training all cores).
   *
   * @param n intra-op threads per trainer, {@code >= 1}; 0 keeps the JVM's setting
   * @return a copy of this factory with that thread count (not part of {@link #describe()}: it does
   *     not change what is computed)
   * @throws IllegalArgumentException if {@code n < 0}
   */
  public DjlTrainerFactory withThreads(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("threads must be >= 0 (0: the JVM's setting); found " + n);
    }
    return new DjlTrainerFactory(family, blocks, inputShape, classes, n);
  }

  /** @return intra-op threads per trainer, 0 for the JVM's setting */
  public int threads() {
    return threads;
  }

  /**
   * @param family a built-in family ({@link Families#NAMES})
   * @param inputShape per-example shape
   * @param classes output classes
   * @return the factory
   * @throws IllegalArgumentException for an unknown family
   */
  public static DjlTrainerFactory builtIn(String family, long[] inputShape, int classes) {
    return new DjlTrainerFactory(family, Families.get(family), inputShape, classes);
  }

  @Override
  public Trainer create(Hyperparameters config, long seed) throws TrainingException {
    return new DjlTrainer(config, seed, blocks, inputShape, classes, threads);
  }

  @Override
  public byte[] average(List<byte[]> states) throws TrainingException {
    return averageStates(states);
  }

  /**
   * Element-wise mean of trainer states in this package's format (weights and optimizer slots;
   * seed and step of the first state).
   *
   * @param states states of the same architecture, at least one
   * @return the averaged state
   * @throws TrainingException if a state is malformed or their arrays differ in number
   * @throws IllegalArgumentException if {@code states} is empty
   */
  static byte[] averageStates(List<byte[]> states) throws TrainingException {
    if (states.isEmpty()) {
      throw new IllegalArgumentException("average needs at least one state");
    }
    try {
      DjlState first = DjlState.read(states.get(0));
      float[][] sum = new float[first.arrays.length][];
      for (int i = 0; i < sum.length; i++) {
        sum[i] = new float[first.arrays[i].length];
      }
      for (byte[] b : states) {
        DjlState s = DjlState.read(b);
        if (s.arrays.length != sum.length) {
          throw new TrainingException(
              "cannot average states: "
                  + s.arrays.length
                  + " arrays at step "
                  + s.step
                  + " vs "
                  + sum.length
                  + " at step "
                  + first.step,
              null);
        }
        for (int i = 0; i < sum.length; i++) {
          for (int j = 0; j < sum[i].length; j++) {
            sum[i][j] += s.arrays[i][j];
          }
        }
      }
      for (float[] a : sum) {
        for (int j = 0; j < a.length; j++) {
          a[j] /= states.size();
        }
      }
      return new DjlState(first.seed, first.step, first.shapes, sum).write();
    } catch (IOException e) {
      throw new TrainingException("malformed trainer state: " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "djl-pytorch " + family + " " + Arrays.toString(inputShape) + " -> " + classes;
  }

  /** Serialized trainer state: seed, step, then parameter and optimizer-slot arrays. */
  static final class DjlState {
    static final int MAGIC = 0x41524754; // "ARGT"
    static final int VERSION = 1;
    final long seed;
    final long step;
    final long[][] shapes;
    final float[][] arrays;

    DjlState(long seed, long step, long[][] shapes, float[][] arrays) {
      this.seed = seed;
      this.step = step;
      this.shapes = shapes;
      this.arrays = arrays;
    }

    /**
     * @return the state as bytes: big-endian ints, longs and float32 arrays (the layout {@code
     *     DataOutputStream} writes), in one exactly sized array (a byte-array stream growing by
     *     doubling took 1–14 ms for a 2.6 MB state on the development machine; this, under 0.5 ms)
     */
    byte[] write() {
      long n = 4 + 4 + 8 + 8 + 4;
      for (int i = 0; i < arrays.length; i++) {
        n += 4 + 8L * shapes[i].length + 4 + 4L * arrays[i].length;
      }
      if (n > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("trainer state of " + n + " bytes; at most " + (Integer.MAX_VALUE - 8)
            + " fit one array");
      }
      ByteBuffer out = ByteBuffer.allocate((int) n); // big-endian
      out.putInt(MAGIC).putInt(VERSION).putLong(seed).putLong(step).putInt(arrays.length);
      for (int i = 0; i < arrays.length; i++) {
        out.putInt(shapes[i].length);
        for (long d : shapes[i]) {
          out.putLong(d);
        }
        out.putInt(arrays[i].length);
        out.asFloatBuffer().put(arrays[i]);
        out.position(out.position() + 4 * arrays[i].length);
      }
      return out.array();
    }

    /**
     * @param b bytes {@link #write} wrote
     * @return the state
     * @throws IOException when {@code b} is not a trainer state (magic), of a newer version, or
     *     truncated or malformed (a length beyond its end)
     */
    static DjlState read(byte[] b) throws IOException {
      ByteBuffer in = ByteBuffer.wrap(b); // big-endian
      try {
        int magic = in.getInt();
        if (magic != MAGIC) {
          throw new IOException("not an Argus DJL trainer state (magic " + Integer.toHexString(magic) + ")");
        }
        int v = in.getInt();
        if (v > VERSION) {
          throw new IOException("trainer state version " + v + "; this Argus supports at most " + VERSION);
        }
        long seed = in.getLong();
        long step = in.getLong();
        int n = count(in.getInt(), in.remaining() / 8, "arrays");
        long[][] shapes = new long[n][];
        float[][] arrays = new float[n][];
        for (int i = 0; i < n; i++) {
          shapes[i] = new long[count(in.getInt(), in.remaining() / 8, "dimensions")];
          for (int d = 0; d < shapes[i].length; d++) {
            shapes[i][d] = in.getLong();
          }
          arrays[i] = new float[count(in.getInt(), in.remaining() / 4, "values")];
          in.asFloatBuffer().get(arrays[i]);
          in.position(in.position() + 4 * arrays[i].length);
        }
        return new DjlState(seed, step, shapes, arrays);
      } catch (java.nio.BufferUnderflowException e) {
        throw new IOException("truncated trainer state (" + b.length + " bytes)", e);
      }
    }

    /** @return {@code n}, when it is a count the bytes left can hold ({@code 0..most}) */
    private static int count(int n, int most, String what) throws IOException {
      if (n < 0 || n > most) {
        throw new IOException("malformed trainer state: " + n + " " + what + " where 0.." + most + " fit");
      }
      return n;
    }
  }
}
