package org.argus.runtime.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link Trainer} on DJL + PyTorch; see {@link DjlTrainerFactory} for the math. Owns one base
 * {@link NDManager} (weights, optimizer slots); every batch and every optimizer step works in a
 * sub-manager closed at its end. Before its first PyTorch operation it makes native allocations
 * zero-filled ({@link ZeroedAllocations} says why).
 */
final class DjlTrainer implements DataParallelTrainer {
  private final Hyperparameters config;
  private final long seed;
  private final BlockFactory blocks;
  private final long[] inputShape;
  private final int classes;
  private final boolean adam;
  private final float lr;
  private final float wd;
  private final float momentum;
  private final double beta2;
  private final long decaySteps; // 0: constant learning rate (LearningRate)
  private final int batch;
  private final int threads;

  private NDManager manager;
  private Block block;
  private ParameterStore store;
  private List<Parameter> params;
  private List<NDArray> slots; // adam: m0, v0, m1, v1, ...; sgd: v0, v1, ...
  private long step;


  DjlTrainer(Hyperparameters config, long seed, BlockFactory blocks, long[] inputShape, int classes,
      int threads) throws TrainingException {
    ZeroedAllocations.ensure();
    this.config = config;
    this.threads = threads;
    this.seed = seed;
    this.blocks = blocks;
    this.inputShape = inputShape;
    this.classes = classes;
    String opt = config.getString("optimizer", "adam");
    if (!opt.equals("adam") && !opt.equals("sgd")) {
      throw new TrainingException(
          "unknown optimizer '" + opt + "' in config " + config + "; valid: adam, sgd", null);
    }
    this.adam = opt.equals("adam");
    this.lr = (float) config.getDouble("lr", 1e-3);
    this.wd = (float) config.getDouble("wd", 0);
    this.momentum = (float) config.getDouble("momentum", 0.9);
    this.beta2 = config.getDouble("beta2", Adam.B2);
    this.decaySteps = LearningRate.decaySteps(config);
    if (!(beta2 > 0 && beta2 < 1)) {
      throw new TrainingException("beta2 must be in (0, 1); found " + beta2 + " in config " + config, null);
    }
    this.batch = config.getInt("batch", 32);
    if (batch < 1) {
      throw new TrainingException("batch must be >= 1; found " + batch + " in config " + config, null);
    }
    build(null);
  }

  /** (Re)builds block, parameters and slots; from a state when given, else seeded Glorot init. */
  private void build(DjlFactoryState state) throws TrainingException {
    close();
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    try {
      block = blocks.build(config, classes);
      Deque<float[]> saved = state == null ? null : new ArrayDeque<>(state.weights);
      SplittableRandom rng = new SplittableRandom(seed);
      Initializer init =
          (m, shape, dt) -> {
            float[] v;
            if (saved != null) {
              v = saved.poll();
              if (v == null || v.length != shape.size()) {
                throw new IllegalStateException(
                    "checkpoint does not match the architecture at a parameter of shape " + shape);
              }
            } else {
              v = glorot(rng, shape);
            }
            return m.create(v, shape);
          };
      block.setInitializer(init, p -> true);
      long[] s = new long[inputShape.length + 1];
      s[0] = 1;
      System.arraycopy(inputShape, 0, s, 1, inputShape.length);
      block.initialize(manager, DataType.FLOAT32, new Shape(s));
      params = new ArrayList<>();
      block.getParameters().forEach(p -> params.add(p.getValue()));
      List<Parameter> weights = params.stream().filter(DjlTrainer::isWeight).toList();
      if (state == null && weights.size() == 1) { // a linear model starts at zero (DjlTrainerFactory)
        NDArray w = weights.get(0).getArray();
        w.set(FloatBuffer.wrap(new float[(int) w.size()]));
      }
      store = new ParameterStore(manager, false);
      slots = new ArrayList<>();
      int per = adam ? 2 : 1;
      for (int i = 0; i < params.size(); i++) {
        for (int k = 0; k < per; k++) {
          NDArray w = params.get(i).getArray();
          NDArray slot =
              state == null
                  ? manager.zeros(w.getShape())
                  : manager.create(state.slots.get(i * per + k), w.getShape());
          slots.add(slot);
        }
      }
      step = state == null ? 0 : state.step;
    } catch (RuntimeException e) {
      close();
      throw new TrainingException("cannot build model for config " + config + ": " + e.getMessage(), e);
    }
  }

  private static float[] glorot(SplittableRandom rng, Shape shape) {
    float[] v = new float[(int) shape.size()];
    if (shape.dimension() < 2) {
      return v; // biases: zero
    }
    long receptive = shape.size() / (shape.get(0) * shape.get(1));
    double fanIn = shape.get(1) * receptive;
    double fanOut = shape.get(0) * receptive;
    double bound = Math.sqrt(6.0 / (fanIn + fanOut));
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
    return v;
  }

  @Override
  public int batchSize() {
    return batch;
  }

  /** The batch inputs' staging buffer (one per trainer). */
  private final Staging staging = new Staging();

  private NDArray input(NDManager m, Batch b) {
    long[] s = new long[inputShape.length + 1];
    s[0] = b.size();
    System.arraycopy(inputShape, 0, s, 1, inputShape.length);
    return staging.floats(m, b.x(), new Shape(s));
  }

  @Override
  public Metrics train(Iterator<Batch> batches) throws TrainingException {
    Metrics acc = Metrics.EMPTY;
    useThreads();
    try {
      while (batches.hasNext()) {
        Batch b = batches.next();
        try (NDManager sub = manager.newSubManager()) {
          Metrics m = forwardBackward(sub, b, true);
          if (m.diverged()) {
            return acc.plus(m);
          }
          update(null);
          acc = acc.plus(m);
        }
      }
      return acc;
    } catch (RuntimeException e) {
      throw new TrainingException("training failed for config " + config + ": " + e.getMessage(), e);
    }
  }

  /**
   * Forward and backward pass of one batch in training mode; leaves each parameter's gradient on
   * it (no backward when the loss is not finite).
   *
   * @param mean true: the gradient of the batch's mean loss; false: of its summed loss
   * @return the batch's loss and accuracy sums, diverged when the loss is not finite
   */
  private Metrics forwardBackward(NDManager sub, Batch b, boolean mean) {
    NDArray x = input(sub, b);
    // DJL's GradientCollector is one per JVM (and zeroes every array of the engine), which
    // forbids concurrent unit queries in one executor; PyTorch's grad mode is thread-local,
    // so drive autograd directly.
    JniUtils.setGradMode(true);
    try {
      for (Parameter p : params) {
        JniUtils.zeroGrad((PtNDArray) p.getArray());
      }
      NDArray logits = block.forward(store, new NDList(x), true).singletonOrThrow();
      NDArray objective = Losses.negativeLogLikelihood(sub, logits, b.y(), mean);
      long correct = Losses.correct(logits, b.y());
      double loss = mean ? objective.getFloat() * (double) b.size() : objective.getFloat();
      if (!Double.isFinite(loss)) {
        return new Metrics(b.size(), loss, correct, true);
      }
      JniUtils.backward((PtNDArray) objective, (PtNDArray) sub.ones(objective.getShape()), false, false);
      return new Metrics(b.size(), loss, correct, false);
    } finally {
      JniUtils.setGradMode(false);
    }
  }

  @Override
  public float[][] weights() {
    float[][] w = new float[params.size()][];
    for (int i = 0; i < w.length; i++) {
      w[i] = params.get(i).getArray().toFloatArray();
    }
    return w;
  }

  @Override
  public void setWeights(float[][] weights) {
    JniUtils.setGradMode(false); // in-place writes to leaf parameters: a thread's grad mode starts on
    checkArrays(weights, "weights");
    for (int i = 0; i < weights.length; i++) {
      params.get(i).getArray().set(FloatBuffer.wrap(weights[i]));
    }
  }

  private void checkArrays(float[][] arrays, String what) {
    if (arrays.length != params.size()) {
      throw new IllegalArgumentException(
          what + " hold " + arrays.length + " arrays; this model has " + params.size() + " parameters");
    }
    for (int i = 0; i < arrays.length; i++) {
      long n = params.get(i).getArray().size();
      if (arrays[i].length != n) {
        throw new IllegalArgumentException(
            what + " array " + i + " has " + arrays[i].length + " elements; parameter "
                + params.get(i).getName() + " has " + n);
      }
    }
  }

  @Override
  public GradientSum gradientSum(Batch b) throws TrainingException {
    useThreads();
    try (NDManager sub = manager.newSubManager()) {
      Metrics m = forwardBackward(sub, b, false);
      if (m.diverged()) {
        return new GradientSum(null, m);
      }
      float[][] g = new float[params.size()][];
      for (int i = 0; i < g.length; i++) {
        NDArray grad = params.get(i).getArray().getGradient();
        grad.attach(sub);
        g[i] = grad.toFloatArray();
      }
      return new GradientSum(g, m);
    } catch (RuntimeException e) {
      throw new TrainingException("gradient failed for config " + config + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void applyGradient(float[][] meanGradient) throws TrainingException {
    checkArrays(meanGradient, "gradients");
    useThreads();
    try {
      update(meanGradient);
    } catch (RuntimeException e) {
      throw new TrainingException("optimizer step failed for config " + config + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long step() {
    return step;
  }

  /** Applies the intra-op thread count to this thread (PyTorch keeps it per thread). */
  private void useThreads() {
    if (threads > 0) {
      JniUtils.setNumThreads(threads);
    }
  }

  /**
   * One optimizer step over every parameter, with the gradients {@code given} (of the mean loss,
   * one array per parameter) or, when null, those left on the parameters by the backward pass. DJL attaches an operation's result to the manager of
   * its first operand, so every temporary derived from a weight or slot is attached to the step's
   * sub-manager explicitly (otherwise they would pile up on the base manager until close).
   */
  private void update(float[][] given) {
    JniUtils.setGradMode(false); // in-place writes to leaf parameters: a thread's grad mode starts on
    float lrNow = LearningRate.at(lr, decaySteps, step);
    step++;
    for (int i = 0; i < params.size(); i++) {
      NDArray w = params.get(i).getArray();
      float wd = isWeight(params.get(i)) ? this.wd : 0f;
      try (NDManager tmp = manager.newSubManager()) {
        NDArray g = given == null ? w.getGradient() : tmp.create(given[i], w.getShape());
        g.attach(tmp);
        if (adam) {
          Adam.step(w, g, slots.get(2 * i), slots.get(2 * i + 1), lrNow, wd, step, beta2);
        } else {
          if (wd != 0) {
            g = g.add(temp(tmp, w.mul(wd)));
          }
          NDArray v = slots.get(i);
          v.muli(momentum).addi(g);
          w.subi(temp(tmp, v.mul(lrNow)));
        }
      }
    }
  }

  /**
   * @return whether {@code p} is a weight (not a bias or a normalization's γ/β): the L2 penalty
   *     {@code wd} applies to weights only — Spark ML's LogisticRegression leaves its intercepts
   *     unpenalized, and "no bias decay" is He et al., Bag of Tricks for Image Classification, CVPR
   *     2019, §3.1
   */
  static boolean isWeight(Parameter p) {
    return p.getType() == Parameter.Type.WEIGHT;
  }

  private static NDArray temp(NDManager tmp, NDArray a) {
    a.attach(tmp);
    return a;
  }

  @Override
  public Metrics evaluate(Iterator<Batch> batches) throws TrainingException {
    Metrics acc = Metrics.EMPTY;
    useThreads();
    try {
      while (batches.hasNext()) {
        Batch b = batches.next();
        try (NDManager sub = manager.newSubManager()) {
          JniUtils.setGradMode(false);
          NDArray logits = block.forward(store, new NDList(input(sub, b)), false).singletonOrThrow();
          double loss = Losses.negativeLogLikelihood(sub, logits, b.y(), false).getFloat();
          long correct = Losses.correct(logits, b.y());
          acc = acc.plus(new Metrics(b.size(), loss, correct, !Double.isFinite(loss)));
        }
      }
      return acc;
    } catch (RuntimeException e) {
      throw new TrainingException("evaluation failed for config " + config + ": " + e.getMessage(), e);
    }
  }

  @Override
  public float[] predict(Batch b) throws TrainingException {
    useThreads();
    try (NDManager sub = manager.newSubManager()) {
      JniUtils.setGradMode(false);
      NDArray logits = block.forward(store, new NDList(input(sub, b)), false).singletonOrThrow();
      return logits.softmax(1).toFloatArray();
    } catch (RuntimeException e) {
      throw new TrainingException("prediction failed for config " + config + ": " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] exportState() {
    int n = params.size() + slots.size();
    long[][] shapes = new long[n][];
    float[][] arrays = new float[n][];
    int k = 0;
    for (Parameter p : params) {
      shapes[k] = p.getArray().getShape().getShape();
      arrays[k++] = p.getArray().toFloatArray();
    }
    for (NDArray s : slots) {
      shapes[k] = s.getShape().getShape();
      arrays[k++] = s.toFloatArray();
    }
    return new DjlTrainerFactory.DjlState(seed, step, shapes, arrays).write();
  }

  @Override
  public void importState(byte[] bytes) throws TrainingException {
    JniUtils.setGradMode(false); // in-place writes to leaf parameters: a thread's grad mode starts on
    DjlTrainerFactory.DjlState s;
    try {
      s = DjlTrainerFactory.DjlState.read(bytes);
    } catch (IOException e) {
      throw new TrainingException("malformed trainer state for config " + config + ": " + e.getMessage(), e);
    }
    int per = adam ? 2 : 1;
    if (s.arrays.length != params.size() * (1 + per)) {
      throw new TrainingException(
          "trainer state holds "
              + s.arrays.length
              + " arrays; config "
              + config
              + " needs "
              + params.size() * (1 + per),
          null);
    }
    DjlFactoryState st = new DjlFactoryState();
    st.step = s.step;
    for (int i = 0; i < params.size(); i++) {
      st.weights.add(s.arrays[i]);
    }
    for (int i = params.size(); i < s.arrays.length; i++) {
      st.slots.add(s.arrays[i]);
    }
    build(st);
  }

  @Override
  public void close() {
    if (manager != null) {
      manager.close();
      manager = null;
    }
  }

  private static final class DjlFactoryState {
    long step;
    final List<float[]> weights = new ArrayList<>();
    final List<float[]> slots = new ArrayList<>();
  }
}
