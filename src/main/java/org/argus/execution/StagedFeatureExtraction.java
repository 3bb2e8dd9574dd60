package org.argus.execution;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.plan.StagedPlan;
import org.argus.runtime.BatchedIterator;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * Runs a {@link StagedPlan} on Spark: stage 1 reads the image column, runs the cut graph {@code
 * pixels → l₁} in batches and materializes {@code l₁}'s activation and pooled features; stage
 * {@code i+1} reads stage {@code i}'s materialized activation column (never the pixels) and runs
 * {@code lᵢ → lᵢ₊₁}. After stage {@code i+1} is materialized, stage {@code i} is unpersisted, so at
 * most two stages are held (Vista, SIGMOD 2020, §4.1).
 *
 * <p>Each stage's output is handed to a {@link StageConsumer} (e.g. to train a downstream model)
 * while it is persisted. Sessions come from the per-JVM {@link SessionCache}; batches of {@code
 * batchSize} rows are converted to one tensor; nothing is collected to the driver.
 *
 * <p>Output columns of each stage: every input column except the image column, then {@code
 * features array<float>} (pooled, see {@link Pooling}) and, when a later stage needs it, {@code
 * activation binary}: the {@code [C, H, W]} activation flattened channel-major as little-endian
 * float32, 4 bytes per value ({@link #encodeActivation}, {@link #decodeActivation}). Binary, not
 * {@code array<float>}: Spark's row deserializer hands an {@code array<float>} read back from a
 * persisted Dataset over as boxed {@code Float}s (one object per value: 222 000 per image for
 * InceptionV3's mixed5 at 299², which made stages 2–4 spend 2–3× their ONNX Runtime time on
 * boxing), while {@code binary} comes back as one {@code byte[]}.
 */
public final class StagedFeatureExtraction {
  /** Name of the pooled feature column, {@code array<float>}. */
  public static final String FEATURES = "features";

  /**
   * Name of the materialized activation column, {@code binary}: {@code C·H·W} little-endian
   * float32 values (4 bytes each).
   */
  public static final String ACTIVATION = "activation";

  /** Spark type of {@link #ACTIVATION}. */
  static final DataType ACTIVATION_TYPE = DataTypes.BinaryType;

  /**
   * Encodes {@code n} floats from {@code values[from…]} as an {@link #ACTIVATION} cell.
   *
   * @return {@code 4·n} bytes, little-endian float32
   */
  static byte[] encodeActivation(float[] values, int from, int n) {
    byte[] out = new byte[n * Float.BYTES];
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, from, n);
    return out;
  }

  /**
   * Decodes an {@link #ACTIVATION} cell into {@code dst[at…]}.
   *
   * @return the number of floats in the cell ({@code bytes.length / 4}); nothing is copied when it
   *     differs from {@code expected}
   */
  static int decodeActivation(byte[] bytes, float[] dst, int at, int expected) {
    int n = bytes.length / Float.BYTES;
    if (n == expected) {
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, at, n);
    }
    return n;
  }

  private final SparkSession spark;
  private final StagedPlan plan;
  private final ExecutionOptions options;
  private final ProgressSink progress;

  /**
   * Options of a staged run.
   *
   * @param batchSize rows per ORT run (≥ 1)
   * @param intraOpThreads ORT threads per task (task slots × threads ≤ executor cores)
   * @param storage persistence of each stage's output
   */
  public record ExecutionOptions(int batchSize, int intraOpThreads, StorageLevel storage)
      implements Serializable {
    /** @throws IllegalArgumentException for a batch size or thread count below 1 */
    public ExecutionOptions {
      if (batchSize < 1 || intraOpThreads < 1) {
        throw new IllegalArgumentException(
            "batchSize and intraOpThreads must be ≥ 1, found " + batchSize + ", " + intraOpThreads);
      }
    }
  }

  /**
   * The materialized output of one stage.
   *
   * @param stage the plan's stage
   * @param data the persisted DataFrame (input columns − image + features [+ activation])
   * @param featureDim floats per row in {@code features}
   * @param activationShape {@code [C, H, W]} (or {@code [F]}) of the layer's activation per example
   * @param rows rows materialized
   * @param seconds wall seconds to compute and materialize the stage
   */
  public record StageOutput(
      StagedPlan.Stage stage,
      Dataset<Row> data,
      int featureDim,
      long[] activationShape,
      long rows,
      double seconds) {}

  /** Receives each stage's output while it is persisted. */
  @FunctionalInterface
  public interface StageConsumer {
    /**
     * @param output the stage just materialized
     * @throws Exception anything the consumer's training throws; it stops the run
     */
    void accept(StageOutput output) throws Exception;
  }

  /**
   * @param spark the session
   * @param plan the staged plan to run
   * @param options batch, threads, persistence
   * @param progress where to report images done per stage
   */
  public StagedFeatureExtraction(
      SparkSession spark, StagedPlan plan, ExecutionOptions options, ProgressSink progress) {
    this.spark = spark;
    this.plan = plan;
    this.options = options;
    this.progress = progress;
  }

  /**
   * Runs every stage in order, handing each to {@code consumer}.
   *
   * @param images input rows with an image column (Spark image schema)
   * @param imageCol the image column's name
   * @param activationShapes per stage, the activation shape per example {@code [C, H, W]} (from
   *     {@link StageProbe})
   * @param consumer called once per stage, bottom to top
   * @throws Exception whatever the consumer throws; Spark job failures as {@code SparkException}
   */
  public void run(
      Dataset<Row> images, String imageCol, List<long[]> activationShapes, StageConsumer consumer)
      throws Exception {
    long total = images.count();
    Dataset<Row> previous = null;
    Dataset<Row> input = images;
    int n = plan.stages().size();
    for (StagedPlan.Stage stage : plan.stages()) {
      boolean last = stage.index() == n - 1;
      long[] outShape = activationShapes.get(stage.index());
      long[] inShape = stage.index() == 0 ? null : activationShapes.get(stage.index() - 1);
      StructType inSchema = input.schema();
      String dropCol = stage.index() == 0 ? imageCol : ACTIVATION;
      List<StructField> fields = new ArrayList<>();
      List<Integer> keep = new ArrayList<>();
      for (int i = 0; i < inSchema.fields().length; i++) {
        StructField f = inSchema.fields()[i];
        if (!f.name().equals(dropCol) && !f.name().equals(FEATURES)) {
          fields.add(f);
          keep.add(i);
        }
      }
      fields.add(DataTypes.createStructField(FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), false));
      if (!last) {
        fields.add(
            DataTypes.createStructField(ACTIVATION, ACTIVATION_TYPE, false));
      }
      StructType outSchema = DataTypes.createStructType(fields);
      Broadcast<byte[]> graph =
          spark.sparkContext().broadcast(stage.graph(), scala.reflect.ClassTag$.MODULE$.apply(byte[].class));
      LongAccumulator done = spark.sparkContext().longAccumulator("argus.images." + stage.layer());
      StageFunction fn =
          new StageFunction(
              stage.index() == 0,
              stage.input(),
              stage.layer(),
              stage.sha256(),
              graph,
              plan.preprocessing(),
              plan.pooling(),
              options,
              inSchema.fieldIndex(dropCol),
              keep.stream().mapToInt(Integer::intValue).toArray(),
              inShape,
              outShape,
              !last,
              done);
      String label = "stage " + (stage.index() + 1) + "/" + n + " " + stage.layer();
      long t0 = System.nanoTime();
      progress.begin(label, total, "images", done::value);
      Dataset<Row> out =
          input.mapPartitions(fn, Encoders.row(outSchema)).persist(options.storage());
      long rows = out.count();
      double seconds = (System.nanoTime() - t0) / 1e9;
      progress.end(
          label,
          String.format(
              "%d images in %.1f s (%.0f images/s)", rows, seconds, rows / Math.max(seconds, 1e-9)));
      if (previous != null) {
        previous.unpersist(false);
      }
      int featureDim = featureDim(outShape, plan.pooling());
      consumer.accept(new StageOutput(stage, out, featureDim, outShape, rows, seconds));
      previous = out;
      input = out;
      graph.unpersist(false);
    }
    if (previous != null) {
      previous.unpersist(false);
    }
  }

  static int featureDim(long[] shape, Pooling pooling) {
    if (shape.length == 3) {
      return pooling.outputDim((int) shape[0], (int) shape[1], (int) shape[2]);
    }
    return (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  /** The per-partition work of one stage: batch rows, run the cut, pool, emit rows. */
  static final class StageFunction implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final boolean fromPixels;
    private final String inputName;
    private final String layer;
    private final String sha256;
    private final Broadcast<byte[]> graph;
    private final PreprocessingSpec preprocessing;
    private final Pooling pooling;
    private final ExecutionOptions options;
    private final int sourceCol;
    private final int[] keep;
    private final long[] inShape;
    private final long[] outShape;
    private final boolean emitActivation;
    private final LongAccumulator done;

    StageFunction(
        boolean fromPixels,
        String inputName,
        String layer,
        String sha256,
        Broadcast<byte[]> graph,
        PreprocessingSpec preprocessing,
        Pooling pooling,
        ExecutionOptions options,
        int sourceCol,
        int[] keep,
        long[] inShape,
        long[] outShape,
        boolean emitActivation,
        LongAccumulator done) {
      this.fromPixels = fromPixels;
      this.inputName = inputName;
      this.layer = layer;
      this.sha256 = sha256;
      this.graph = graph;
      this.preprocessing = preprocessing;
      this.pooling = pooling;
      this.options = options;
      this.sourceCol = sourceCol;
      this.keep = keep;
      this.inShape = inShape;
      this.outShape = outShape;
      this.emitActivation = emitActivation;
      this.done = done;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws InferenceException {
      ModelSession session = SessionCache.get(sha256, graph::value, options.intraOpThreads());
      ImagePreprocessor pre = new ImagePreprocessor(preprocessing);
      int perIn =
          fromPixels
              ? preprocessing.floatsPerExample()
              : (int) Arrays.stream(inShape).reduce(1, (a, b) -> a * b);
      int perOut = (int) Arrays.stream(outShape).reduce(1, (a, b) -> a * b);
      int dim = featureDim(outShape, pooling);
      int batch = options.batchSize();
      return new BatchedIterator<Row, Row>(
          rows,
          batch,
          buffer -> {
            int b = buffer.size();
            float[] in = new float[b * perIn];
            for (int i = 0; i < b; i++) {
              Row r = buffer.get(i);
              if (r.isNullAt(sourceCol)) {
                throw new IllegalArgumentException(
                    "row " + describe(r) + " has a null input column at stage " + layer
                        + "; quarantine bad images before feature transfer");
              }
              if (fromPixels) {
                Row img = r.getStruct(sourceCol);
                pre.fill(
                    (byte[]) img.getAs("data"),
                    img.<Integer>getAs("height"),
                    img.<Integer>getAs("width"),
                    img.<Integer>getAs("nChannels"),
                    in,
                    i * perIn);
              } else {
                int got = decodeActivation((byte[]) r.get(sourceCol), in, i * perIn, perIn);
                if (got != perIn) {
                  throw new IllegalArgumentException(
                      "activation of row " + describe(r) + " has " + got
                          + " floats; stage " + layer + " expects " + Arrays.toString(inShape));
                }
              }
            }
            long[] shape = new long[1 + (fromPixels ? 3 : inShape.length)];
            shape[0] = b;
            if (fromPixels) {
              long[] s = preprocessing.batchShape(b);
              System.arraycopy(s, 1, shape, 1, 3);
            } else {
              System.arraycopy(inShape, 0, shape, 1, inShape.length);
            }
            ModelSession.Output out = session.run(inputName, in, shape, List.of(layer)).get(0);
            if (out.perExample() != perOut) {
              throw new IllegalStateException(
                  "stage " + layer + " produced " + Arrays.toString(out.shape())
                      + " but the plan expected [N, " + Arrays.toString(outShape) + "]");
            }
            List<Row> result = new ArrayList<>(b);
            float[] pooled = new float[dim];
            for (int i = 0; i < b; i++) {
              Row r = buffer.get(i);
              Object[] values = new Object[keep.length + (emitActivation ? 2 : 1)];
              for (int k = 0; k < keep.length; k++) {
                values[k] = r.get(keep[k]);
              }
              if (outShape.length == 3) {
                pooling.apply(out.values(), i * perOut, (int) outShape[0], (int) outShape[1],
                        (int) outShape[2], pooled, 0);
              } else {
                System.arraycopy(out.values(), i * perOut, pooled, 0, perOut);
              }
              values[keep.length] = pooled.clone();
              if (emitActivation) {
                values[keep.length + 1] = encodeActivation(out.values(), i * perOut, perOut);
              }
              result.add(RowFactory.create(values));
            }
            done.add(b);
            return result;
          },
          "stage " + layer);
    }

    private String describe(Row r) {
      return keep.length > 0 ? String.valueOf(r.get(keep[0])) : "?";
    }
  }
}
