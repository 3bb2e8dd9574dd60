package org.argus.execution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.runtime.BatchedIterator;
import org.argus.runtime.ImagePreprocessor;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * The eager plan's one pass (Vista §4.1): a cut {@code pixels → {l₁ … lₖ}} with every layer as an
 * output, run in batches; each row gets one pooled feature column per layer ({@code array<float>},
 * {@code [C·K·K]} for pooling {@code max:K}).
 */
final class EagerFunction implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private final String inputName;
  private final List<String> layers;
  private final String sha256;
  private final Broadcast<byte[]> graph;
  private final PreprocessingSpec preprocessing;
  private final Pooling pooling;
  private final int batch;
  private final int threads;
  private final int imageCol;
  private final int[] keep;
  private final List<long[]> outShapes;
  private final LongAccumulator done;

  EagerFunction(String inputName, List<String> layers, String sha256, Broadcast<byte[]> graph,
      PreprocessingSpec preprocessing, Pooling pooling, int batch, int threads, int imageCol,
      int[] keep, List<long[]> outShapes, LongAccumulator done) {
    this.inputName = inputName;
    this.layers = List.copyOf(layers);
    this.sha256 = sha256;
    this.graph = graph;
    this.preprocessing = preprocessing;
    this.pooling = pooling;
    this.batch = batch;
    this.threads = threads;
    this.imageCol = imageCol;
    this.keep = keep;
    this.outShapes = new ArrayList<>(outShapes);
    this.done = done;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws InferenceException {
    ModelSession session = SessionCache.get(sha256, graph::value, threads);
    ImagePreprocessor pre = new ImagePreprocessor(preprocessing);
    int perIn = preprocessing.floatsPerExample();
    int k = layers.size();
    int[] perOut = new int[k];
    int[] dims = new int[k];
    for (int l = 0; l < k; l++) {
      perOut[l] = (int) Arrays.stream(outShapes.get(l)).reduce(1, (a, b) -> a * b);
      dims[l] = StagedFeatureExtraction.featureDim(outShapes.get(l), pooling);
    }
    return new BatchedIterator<Row, Row>(
        rows,
        batch,
        buffer -> {
          int b = buffer.size();
          float[] in = new float[b * perIn];
          for (int i = 0; i < b; i++) {
            Row img = buffer.get(i).getStruct(imageCol);
            pre.fill((byte[]) img.getAs("data"), img.<Integer>getAs("height"), img.<Integer>getAs("width"),
                img.<Integer>getAs("nChannels"), in, i * perIn);
          }
          List<ModelSession.Output> outs = session.run(inputName, in, preprocessing.batchShape(b), layers);
          List<Row> result = new ArrayList<>(b);
          for (int i = 0; i < b; i++) {
            Row r = buffer.get(i);
            Object[] values = new Object[keep.length + k];
            for (int c = 0; c < keep.length; c++) {
              values[c] = r.get(keep[c]);
            }
            for (int l = 0; l < k; l++) {
              ModelSession.Output o = outs.get(l);
              if (o.perExample() != perOut[l]) {
                throw new IllegalStateException("eager pass: layer " + layers.get(l) + " produced "
                    + Arrays.toString(o.shape()) + " but the plan expected [N, "
                    + Arrays.toString(outShapes.get(l)) + "]");
              }
              float[] pooled = new float[dims[l]];
              long[] s = outShapes.get(l);
              if (s.length == 3) {
                pooling.apply(o.values(), i * perOut[l], (int) s[0], (int) s[1], (int) s[2], pooled, 0);
              } else {
                System.arraycopy(o.values(), i * perOut[l], pooled, 0, perOut[l]);
              }
              values[keep.length + l] = pooled; // a fresh array per row: Spark takes float[] unboxed
            }
            result.add(RowFactory.create(values));
          }
          done.add(b);
          return result;
        },
        "eager pass to " + layers.get(layers.size() - 1));
  }
}
