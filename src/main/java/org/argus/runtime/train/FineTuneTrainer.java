package org.argus.runtime.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.argus.model.ModelFormatException;
import org.argus.model.keras.TfjsLayersModel;
import org.argus.runtime.train.imported.KerasDjlGraph;
import org.argus.runtime.train.imported.LayerGraphBlock;

/**
 * {@link Trainer} fine-tuning a pretrained Keras CNN above a layer; see {@link
 * FineTuneTrainerFactory} for what is trained and how. Owns one base {@link NDManager} (the frozen
 * part, the body above L, the head, the Adam slots); every batch and every optimizer step works in
 * a sub-manager closed at its end. Autograd is driven directly (PyTorch's thread-local grad mode),
 * as in {@link DjlTrainer}.
 *
 * <p>State ({@link #exportState}): every array of the body in parameter order (trainable weights
 * and BatchNorm moving statistics), then the head's weight {@code [F, classes]} and bias, then the
 * Adam slots (m, v) of each trainable array, in {@link DjlTrainerFactory}'s format.
 */
final class FineTuneTrainer implements DataParallelTrainer {
  private final FineTuneTrainerFactory factory;
  private final Hyperparameters config;
  private final String from;
  private final long seed;
  private final float headLr;
  private final float bodyLr;
  private final int batch;
  private final boolean batchStats;
  /** The batch inputs' staging buffer (one per trainer). */
  private final Staging staging = new Staging();

  private NDManager manager;
  private LayerGraphBlock frozen;
  private LayerGraphBlock body;
  private ParameterStore store;
  private final List<NDArray> arrays = new ArrayList<>(); // body arrays, then head w, b
  private final List<NDArray> trainable = new ArrayList<>();
  private final List<Float> lrs = new ArrayList<>();
  private final List<NDArray> slots = new ArrayList<>();
  private long step;

  FineTuneTrainer(FineTuneTrainerFactory factory, Hyperparameters config, String from, long seed)
      throws TrainingException {
    ZeroedAllocations.ensure();
    this.factory = factory;
    this.config = config;
    this.from = from;
    this.seed = seed;
    this.headLr = (float) config.getDouble("lr", 1e-3);
    this.bodyLr = (float) config.getDouble("body_lr", 1e-4);
    this.batch = config.getInt("batch", 32);
    String bn = config.getString("bn", "moving");
    if (!bn.equals("moving") && !bn.equals("batch")) {
      throw new TrainingException("unknown bn mode '" + bn + "' in config " + config
          + "; valid: moving, batch", null);
    }
    this.batchStats = bn.equals("batch");
    if (batch < 1) {
      throw new TrainingException("batch must be >= 1; found " + batch + " in config " + config,
          null);
    }
    build();
  }

  private void build() throws TrainingException {
    TfjsLayersModel model = factory.model();
    try {
      body = KerasDjlGraph.above(model, from, List.of(factory.top()))
          .setBatchNormStatistics(batchStats);
      frozen = factory.materialized() ? null : KerasDjlGraph.build(model, List.of(from));
    } catch (ModelFormatException e) {
      throw new TrainingException("cannot fine-tune above '" + from + "' (config " + config + "): "
          + e.getMessage(), e);
    }
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    try {
      store = new ParameterStore(manager, false);
      Shape in = exampleShape(1);
      NDArray probe;
      if (frozen != null) {
        frozen.initialize(manager, DataType.FLOAT32, in);
        frozen.freezeParameters(true);
        JniUtils.setGradMode(false);
        probe = frozen.forward(store, new NDList(manager.zeros(in)), false).singletonOrThrow();
      } else {
        probe = manager.zeros(in);
      }
      body.initialize(manager, DataType.FLOAT32, probe.getShape());
      for (ai.djl.util.Pair<String, Parameter> p : body.getParameters()) {
        NDArray a = p.getValue().getArray();
        arrays.add(a);
        if (p.getValue().requiresGradient()) {
          trainable.add(a);
          lrs.add(bodyLr);
        }
      }
      JniUtils.setGradMode(false);
      long features = pool(body.forward(store, new NDList(probe), false).singletonOrThrow())
          .getShape().get(1);
      NDArray w = manager.create(glorot(new SplittableRandom(seed), features, factory.classes()),
          new Shape(features, factory.classes()));
      NDArray b = manager.zeros(new Shape(factory.classes()));
      for (NDArray a : List.of(w, b)) {
        a.setRequiresGradient(true);
        arrays.add(a);
        trainable.add(a);
        lrs.add(headLr);
      }
      for (NDArray a : trainable) {
        slots.add(manager.zeros(a.getShape()));
        slots.add(manager.zeros(a.getShape()));
      }
    } catch (RuntimeException e) {
      close();
      throw new TrainingException("cannot build the fine-tuning model for config " + config + ": "
          + e.getMessage(), e);
    }
  }

  /** Glorot-uniform {@code [fanIn, fanOut]} from {@code rng} (Glorot &amp; Bengio, AISTATS 2010). */
  private static float[] glorot(SplittableRandom rng, long fanIn, long fanOut) {
    float[] v = new float[(int) (fanIn * fanOut)];
    double bound = Math.sqrt(6.0 / (fanIn + fanOut));
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
    return v;
  }

  private Shape exampleShape(long n) {
    long[] is = factory.inputShape();
    long[] s = new long[is.length + 1];
    s[0] = n;
    System.arraycopy(is, 0, s, 1, is.length);
    return new Shape(s);
  }

  /** @return {@code [N, C]}: the mean over H and W of an {@code [N, C, H, W]} map, else as is */
  private static NDArray pool(NDArray f) {
    if (f.getShape().dimension() != 4) {
      return f;
    }
    return f.reshape(f.getShape().get(0), f.getShape().get(1), -1).mean(new int[] {2});
  }

  /** Logits {@code [n, classes]} of a batch; training mode only for the body above L. */
  private NDArray logits(NDManager sub, Batch b, boolean training) {
    Shape shape = exampleShape(b.size());
    if (b.x().length != shape.size()) {
      throw new IllegalArgumentException("batch of " + b.size() + " examples has " + b.x().length
          + " values; input " + shape + " needs " + shape.size() + " (per example "
          + java.util.Arrays.toString(factory.inputShape()) + ")");
    }
    NDArray x = staging.floats(sub, b.x(), shape);
    if (frozen != null) {
      JniUtils.setGradMode(false);
      x = frozen.forward(store, new NDList(x), false).singletonOrThrow();
      JniUtils.setGradMode(training);
    }
    NDArray f = pool(body.forward(store, new NDList(x), training).singletonOrThrow());
    int n = arrays.size();
    return f.matMul(arrays.get(n - 2)).add(arrays.get(n - 1));
  }

  @Override
  public int batchSize() {
    return batch;
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
      throw new TrainingException("fine-tuning failed for config " + config + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * Forward and backward pass of one batch (training mode above L); leaves the gradients on the
   * trainable arrays (no backward when the loss is not finite).
   *
   * @param mean true: the gradient of the batch's mean loss; false: of its summed loss
   * @return the batch's loss and accuracy sums, diverged when the loss is not finite
   */
  private Metrics forwardBackward(NDManager sub, Batch b, boolean mean) {
    JniUtils.setGradMode(true);
    try {
      for (NDArray a : trainable) {
        JniUtils.zeroGrad((PtNDArray) a);
      }
      NDArray logits = logits(sub, b, true);
      NDArray objective = Losses.negativeLogLikelihood(sub, logits, b.y(), mean);
      double loss = mean ? objective.getFloat() * (double) b.size() : objective.getFloat();
      long correct = Losses.correct(logits, b.y());
      if (!Double.isFinite(loss)) {
        return new Metrics(b.size(), loss, correct, true);
      }
      JniUtils.backward((PtNDArray) objective, (PtNDArray) sub.ones(objective.getShape()), false, false);
      return new Metrics(b.size(), loss, correct, false);
    } finally {
      JniUtils.setGradMode(false);
    }
  }

  /** One Adam step with the {@code given} mean-loss gradients, or the backward pass's when null. */
  private void update(float[][] given) {
    JniUtils.setGradMode(false); // in-place writes to leaf parameters: a thread's grad mode starts on
    step++;
    for (int i = 0; i < trainable.size(); i++) {
      NDArray w = trainable.get(i);
      try (NDManager tmp = manager.newSubManager()) {
        NDArray g = given == null ? w.getGradient() : tmp.create(given[i], w.getShape());
        g.attach(tmp);
        Adam.step(w, g, slots.get(2 * i), slots.get(2 * i + 1), lrs.get(i), 0f, step);
      }
    }
  }

  /** The trainable arrays (body above L, then the head's weight and bias). */
  @Override
  public float[][] weights() {
    float[][] w = new float[trainable.size()][];
    for (int i = 0; i < w.length; i++) {
      w[i] = trainable.get(i).toFloatArray();
    }
    return w;
  }

  @Override
  public void setWeights(float[][] weights) {
    JniUtils.setGradMode(false); // in-place writes to leaf parameters: a thread's grad mode starts on
    check(weights, "weights");
    for (int i = 0; i < weights.length; i++) {
      trainable.get(i).set(weights[i]);
    }
  }

  private void check(float[][] a, String what) {
    if (a.length != trainable.size()) {
      throw new IllegalArgumentException(what + " hold " + a.length + " arrays; fine-tuning above '" + from
          + "' trains " + trainable.size());
    }
    for (int i = 0; i < a.length; i++) {
      if (a[i].length != trainable.get(i).size()) {
        throw new IllegalArgumentException(what + " array " + i + " has " + a[i].length
            + " elements; trainable array " + i + " has shape " + trainable.get(i).getShape());
      }
    }
  }

  /**
   * @throws IllegalStateException with {@code bn=batch}: batch statistics of a partition's share
   *     are not those of the global batch, and the moving statistics each partition updates would
   *     be lost; data-parallel fine-tuning needs {@code bn=moving}
   */
  @Override
  public GradientSum gradientSum(Batch b) throws TrainingException {
    if (batchStats) {
      throw new IllegalStateException("data-parallel fine-tuning needs bn=moving; config " + config
          + " has bn=batch (each partition would normalize with its own share's statistics and"
          + " its moving-statistics updates would be lost)");
    }
    useThreads();
    try (NDManager sub = manager.newSubManager()) {
      Metrics m = forwardBackward(sub, b, false);
      if (m.diverged()) {
        return new GradientSum(null, m);
      }
      float[][] g = new float[trainable.size()][];
      for (int i = 0; i < g.length; i++) {
        NDArray grad = trainable.get(i).getGradient();
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
    check(meanGradient, "gradients");
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

  private void useThreads() {
    if (factory.threads() > 0) {
      JniUtils.setNumThreads(factory.threads());
    }
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
          NDArray logits = logits(sub, b, false);
          double loss = Losses.negativeLogLikelihood(sub, logits, b.y(), false).getFloat();
          long correct = Losses.correct(logits, b.y());
          acc = acc.plus(new Metrics(b.size(), loss, correct, !Double.isFinite(loss)));
        }
      }
      return acc;
    } catch (RuntimeException e) {
      throw new TrainingException("evaluation failed for config " + config + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public float[] predict(Batch b) throws TrainingException {
    useThreads();
    try (NDManager sub = manager.newSubManager()) {
      JniUtils.setGradMode(false);
      return logits(sub, b, false).softmax(1).toFloatArray();
    } catch (RuntimeException e) {
      throw new TrainingException("prediction failed for config " + config + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public byte[] exportState() {
    List<NDArray> all = new ArrayList<>(arrays);
    all.addAll(slots);
    long[][] shapes = new long[all.size()][];
    float[][] values = new float[all.size()][];
    for (int i = 0; i < all.size(); i++) {
      shapes[i] = all.get(i).getShape().getShape();
      values[i] = all.get(i).toFloatArray();
    }
    return new DjlTrainerFactory.DjlState(seed, step, shapes, values).write();
  }

  @Override
  public void importState(byte[] bytes) throws TrainingException {
    JniUtils.setGradMode(false); // in-place writes to leaf parameters: a thread's grad mode starts on
    DjlTrainerFactory.DjlState s;
    try {
      s = DjlTrainerFactory.DjlState.read(bytes);
    } catch (IOException e) {
      throw new TrainingException("malformed trainer state for config " + config + ": "
          + e.getMessage(), e);
    }
    List<NDArray> all = new ArrayList<>(arrays);
    all.addAll(slots);
    if (s.arrays.length != all.size()) {
      throw new TrainingException("trainer state holds " + s.arrays.length + " arrays; fine-tuning"
          + " above '" + from + "' (config " + config + ") needs " + all.size(), null);
    }
    for (int i = 0; i < all.size(); i++) {
      if (s.arrays[i].length != all.get(i).size()) {
        throw new TrainingException("trainer state array " + i + " has " + s.arrays[i].length
            + " values; this model's has shape " + all.get(i).getShape(), null);
      }
    }
    for (int i = 0; i < all.size(); i++) {
      all.get(i).set(s.arrays[i]);
    }
    step = s.step;
  }

  @Override
  public void close() {
    if (manager != null) {
      manager.close();
      manager = null;
    }
  }
}
