package org.argus.surfaces.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.argus.data.image.DecodeResult;
import org.argus.data.image.ImageDecoder;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * Executor side of {@link DeepImageFeaturizer} and {@link DeepImagePredictor}: batches the rows of
 * a partition ({@code batchSize} at a time, so at most one batch of decoded pixels and outputs is
 * held), preprocesses each image into the cut graph's input tensor ({@code [N,H,W,3]} or
 * {@code [N,3,H,W]} float32 as the {@link PreprocessingSpec} says), runs the JVM-wide cached ONNX
 * Runtime session once per batch, and appends one value per output (pooled features, or
 * probabilities plus top-k predictions) to each row. Invalid inputs follow {@code handleInvalid}:
 * {@code error} fails the task naming the row and reason, {@code skip} drops the row and counts it
 * in the {@code invalid} accumulator, {@code keep} appends null outputs and the reason.
 */
final class ImageBatchFunction implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /** What one output tensor becomes in the row. */
  enum Emit {
    /** pooled (4-D NCHW) or flattened features, as {@code array<float>} */
    ARRAY,
    /** pooled or flattened features, as an ml {@code DenseVector} */
    VECTOR,
    /** probabilities ({@code array<float>}) then top-k {@code array<struct<label,probability>>} */
    PREDICT,
    /** top-k {@code array<struct<label,probability>>} only */
    PREDICT_TOPK_ONLY
  }

  private final String stageName;
  private final int inputIndex;
  private final boolean binaryInput;
  private final int originIndex;
  private final String sha256;
  private final Broadcast<byte[]> graph;
  private final String inputTensor;
  private final List<String> outputs;
  private final PreprocessingSpec spec;
  private final Pooling pooling;
  private final Emit emit;
  private final int topK;
  private final List<String> labels;
  private final int batchSize;
  private final int intraOpThreads;
  private final String handleInvalid;
  private final LongAccumulator images;
  private final LongAccumulator invalid;

  ImageBatchFunction(
      String stageName,
      int inputIndex,
      boolean binaryInput,
      int originIndex,
      StageModels.Cut cut,
      Broadcast<byte[]> graph,
      String inputTensor,
      PreprocessingSpec spec,
      Pooling pooling,
      Emit emit,
      int topK,
      List<String> labels,
      int batchSize,
      int intraOpThreads,
      String handleInvalid,
      LongAccumulator images,
      LongAccumulator invalid) {
    this.stageName = stageName;
    this.inputIndex = inputIndex;
    this.binaryInput = binaryInput;
    this.originIndex = originIndex;
    this.sha256 = cut.sha256();
    this.graph = graph;
    this.inputTensor = inputTensor;
    this.outputs = List.copyOf(cut.outputs());
    this.spec = spec;
    this.pooling = pooling;
    this.emit = emit;
    this.topK = topK;
    this.labels = List.copyOf(labels);
    this.batchSize = batchSize;
    this.intraOpThreads = intraOpThreads;
    this.handleInvalid = handleInvalid;
    this.images = images;
    this.invalid = invalid;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws InferenceException {
    ModelSession session = SessionCache.get(sha256, graph::value, intraOpThreads);
    ImagePreprocessor pre = new ImagePreprocessor(spec);
    int per = spec.floatsPerExample();
    boolean keep = handleInvalid.equals("keep");
    int extra = outputs.size() * (emit == Emit.PREDICT ? 2 : 1) + (keep ? 1 : 0);
    return new Iterator<>() {
      private List<Row> ready = List.of();
      private int next;

      @Override
      public boolean hasNext() {
        while (next >= ready.size()) {
          if (!rows.hasNext()) {
            return false;
          }
          try {
            ready = runBatch();
          } catch (InferenceException e) {
            throw new IllegalStateException(stageName + ": " + e.getMessage(), e);
          }
          next = 0;
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.get(next++);
      }

      private List<Row> runBatch() throws InferenceException {
        List<Row> batch = new ArrayList<>(batchSize);
        List<String> reasons = new ArrayList<>(batchSize);
        float[] in = new float[batchSize * per];
        int valid = 0;
        int seen = 0;
        while (seen < batchSize && rows.hasNext()) {
          Row r = rows.next();
          seen++;
          String reason = fill(r, pre, in, valid * per);
          if (reason != null) {
            invalid.add(1);
            switch (handleInvalid) {
              case "skip" -> {
                continue;
              }
              case "keep" -> {
                batch.add(r);
                reasons.add(reason);
                continue;
              }
              default -> throw new IllegalArgumentException(
                  stageName + ": invalid image in row " + describe(r) + ": " + reason
                      + " (set handleInvalid to 'skip' to drop such rows or 'keep' to keep them "
                      + "with null features and a reason)");
            }
          }
          batch.add(r);
          reasons.add(null);
          valid++;
        }
        images.add(seen);
        List<ModelSession.Output> outs = List.of();
        if (valid > 0) {
          long[] shape = spec.batchShape(valid);
          float[] data = valid == batchSize ? in : Arrays.copyOf(in, valid * per);
          outs = session.run(inputTensor, data, shape, outputs);
        }
        List<Row> result = new ArrayList<>(batch.size());
        int v = 0;
        for (int i = 0; i < batch.size(); i++) {
          Row r = batch.get(i);
          Object[] values = new Object[r.size() + extra];
          for (int k = 0; k < r.size(); k++) {
            values[k] = r.get(k);
          }
          int o = r.size();
          String reason = reasons.get(i);
          int width = emit == Emit.PREDICT ? 2 : 1;
          if (reason == null) {
            for (ModelSession.Output out : outs) {
              o = put(values, o, out, v);
            }
            v++;
          } else {
            o += outputs.size() * width;
          }
          if (keep) {
            values[o] = reason;
          }
          result.add(RowFactory.create(values));
        }
        return result;
      }
    };
  }

  /** Writes example {@code i} of {@code out} into {@code values} from {@code o}; returns next o. */
  private int put(Object[] values, int o, ModelSession.Output out, int i) {
    int perOut = out.perExample();
    long[] s = out.shape();
    float[] f;
    if (s.length == 4 && emit != Emit.PREDICT && emit != Emit.PREDICT_TOPK_ONLY) {
      int c = (int) s[1];
      int h = (int) s[2];
      int w = (int) s[3];
      f = new float[pooling.outputDim(c, h, w)];
      pooling.apply(out.values(), i * perOut, c, h, w, f, 0);
    } else {
      f = Arrays.copyOfRange(out.values(), i * perOut, (i + 1) * perOut);
    }
    switch (emit) {
      case VECTOR -> {
        double[] d = new double[f.length];
        for (int k = 0; k < f.length; k++) {
          d[k] = f[k];
        }
        values[o++] = Vectors.dense(d);
      }
      case ARRAY -> values[o++] = f; // fresh per row; Spark's encoder takes float[] unboxed
      case PREDICT -> {
        values[o++] = f;
        values[o++] = topK(f);
      }
      case PREDICT_TOPK_ONLY -> values[o++] = topK(f);
    }
    return o;
  }

  private Row[] topK(float[] p) {
    return topK(p, topK, labels);
  }

  /** @return the {@code k} most probable classes of {@code p} as (label, probability) rows */
  static Row[] topK(float[] p, int topK, List<String> labels) {
    Integer[] idx = new Integer[p.length];
    for (int k = 0; k < p.length; k++) {
      idx[k] = k;
    }
    Arrays.sort(idx, (a, b) -> a.equals(b) ? 0 : p[b] != p[a] ? Float.compare(p[b], p[a]) : a - b);
    int n = Math.min(topK, p.length);
    Row[] out = new Row[n];
    for (int k = 0; k < n; k++) {
      int c = idx[k];
      String label = c < labels.size() ? labels.get(c) : Integer.toString(c);
      out[k] = RowFactory.create(label, p[c]);
    }
    return out;
  }

  /** Fills the tensor slot at {@code offset}; returns null on success or the reason it is invalid. */
  private String fill(Row r, ImagePreprocessor pre, float[] dst, int offset) {
    return fillImage(r.isNullAt(inputIndex) ? null : r.get(inputIndex), binaryInput, pre, dst, offset);
  }

  /**
   * Preprocesses one image value into {@code dst} from {@code offset} (the layout of {@code pre}'s
   * spec).
   *
   * @param value a Spark image struct {@link Row}, encoded image bytes, or null
   * @param binary whether {@code value} is encoded bytes
   * @return null on success, else why the value is not a usable image
   */
  static String fillImage(Object value, boolean binary, ImagePreprocessor pre, float[] dst, int offset) {
    if (value == null) {
      return binary ? "null content" : "null image";
    }
    byte[] data;
    int h;
    int w;
    int c;
    if (binary) {
      DecodeResult d = ImageDecoder.decode((byte[]) value);
      if (!d.isDecoded()) {
        return d.reason();
      }
      data = d.image().data();
      h = d.image().height();
      w = d.image().width();
      c = d.image().nChannels();
    } else {
      Row img = (Row) value;
      h = img.isNullAt(1) ? -1 : img.getInt(1);
      w = img.isNullAt(2) ? -1 : img.getInt(2);
      c = img.isNullAt(3) ? -1 : img.getInt(3);
      data = img.isNullAt(5) ? null : (byte[]) img.get(5);
      if (h < 1 || w < 1 || data == null || data.length == 0) {
        return "undecodable image (height " + h + ", width " + w + ", "
            + (data == null ? "no" : data.length) + " data bytes)";
      }
      if (c != 1 && c != 3 && c != 4) {
        return "image has " + c + " channels; supported: 1 (gray), 3 (BGR), 4 (BGRA)";
      }
      if ((long) h * w * c != data.length) {
        return "image data has " + data.length + " bytes; height·width·nChannels = " + h + "·" + w
            + "·" + c + " = " + ((long) h * w * c);
      }
    }
    pre.fill(data, h, w, c, dst, offset);
    return null;
  }

  private String describe(Row r) {
    if (originIndex >= 0 && !r.isNullAt(originIndex)) {
      return "'" + r.get(originIndex) + "'";
    }
    if (!binaryInput && !r.isNullAt(inputIndex)) {
      Row img = r.getStruct(inputIndex);
      if (!img.isNullAt(0)) {
        return "'" + img.getString(0) + "'";
      }
    }
    return r.size() > 0 ? String.valueOf(r.get(0)) : "?";
  }

  static Float[] boxed(float[] f) {
    Float[] out = new Float[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }
}
