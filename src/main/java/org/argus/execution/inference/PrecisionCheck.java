package org.argus.execution.inference;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.model.resolve.GraphCut;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * The int8 accuracy guard: runs the fp32 and the int8 cut (pixels → layers) on a held-out check set
 * (images drawn after the calibration sample, never calibrated on) and reports, per layer, how close
 * the int8 activations are to fp32 — cosine similarity and relative error {@code ‖q − f‖ / ‖f‖} per
 * image, on the raw activation before pooling.
 *
 * <p>Threshold: a layer whose mean cosine similarity is below {@link #MIN_COSINE} (0.95) is flagged.
 * Measured on Fashion-MNIST (bench/results/int8.md): MobileNetV2 96² out_relu at cosine 0.958 and
 * block_16_project_BN at 0.977 (raw activations, min/max calibration) still transferred within
 * +0.04 and −0.75 points of fp32 on 10 000 test images, InceptionV3's layers sat at 0.993–0.997; below
 * 0.95 Argus has no evidence that int8 features still transfer, so the run says so.
 */
public final class PrecisionCheck {
  /** Mean cosine similarity below which a layer's int8 features are flagged. */
  public static final double MIN_COSINE = 0.95;

  private PrecisionCheck() {}

  /**
   * Agreement of one layer.
   *
   * @param layer the layer
   * @param images check images compared
   * @param meanCosine mean per-image cosine similarity of int8 vs fp32 activations
   * @param minCosine the lowest per-image cosine similarity
   * @param meanRelativeError mean per-image {@code ‖q − f‖ / ‖f‖}
   */
  public record Layer(String layer, long images, double meanCosine, double minCosine, double meanRelativeError)
      implements Serializable {
    /** @return true when {@link #meanCosine} is below {@link #MIN_COSINE} */
    public boolean flagged() {
      return meanCosine < MIN_COSINE;
    }

    @Override
    public String toString() {
      return String.format("%s: cosine %.4f (min %.4f), relative error %.4f on %d images%s", layer, meanCosine,
          minCosine, meanRelativeError, images, flagged() ? " — BELOW " + MIN_COSINE
              + ": int8 features drift from fp32 here; check with --compare-precision or use fp32" : "");
    }
  }

  /**
   * Compares.
   *
   * @param rows the user's rows
   * @param id the id column (matching the calibration's check ids)
   * @param image the image column
   * @param encoded true for encoded image bytes
   * @param checkIds the check set's ids
   * @param pixelInput the graph's pixel input
   * @param source the preprocessing
   * @param fp32 the fp32 cut pixels → layers
   * @param int8 its int8 version
   * @param threads ONNX Runtime threads per task
   * @return one entry per layer of the cuts, in their output order (empty for an empty check set)
   */
  public static List<Layer> run(Dataset<Row> rows, Column id, Column image, boolean encoded, List<String> checkIds,
      String pixelInput, PreprocessingSpec source, GraphCut fp32, GraphCut int8, int threads) {
    if (checkIds.isEmpty()) {
      return List.of();
    }
    Dataset<Row> check = rows.select(id.cast("string").as("id"), image.as("image"))
        .filter(col("id").isin(checkIds.toArray()));
    org.apache.spark.SparkContext sc = rows.sparkSession().sparkContext();
    scala.reflect.ClassTag<byte[]> tag = scala.reflect.ClassTag$.MODULE$.apply(byte[].class);
    Compare c = new Compare(fp32.sha256(), sc.broadcast(fp32.bytes(), tag), int8.sha256(), sc.broadcast(int8.bytes(), tag),
        pixelInput, fp32.outputs(), new TensorSource.Images(1, encoded, source), threads);
    double[][] sums = new double[fp32.outputs().size()][4];
    for (double[][] part : check.javaRDD().mapPartitions(c).collect()) {
      for (int l = 0; l < sums.length; l++) {
        sums[l][0] += part[l][0];
        sums[l][1] = part[l][3] == 0 ? sums[l][1] : (sums[l][3] == 0 ? part[l][1] : Math.min(sums[l][1], part[l][1]));
        sums[l][2] += part[l][2];
        sums[l][3] += part[l][3];
      }
    }
    List<Layer> out = new ArrayList<>();
    for (int l = 0; l < sums.length; l++) {
      long n = (long) sums[l][3];
      out.add(new Layer(fp32.outputs().get(l), n, n == 0 ? Double.NaN : sums[l][0] / n, sums[l][1],
          n == 0 ? Double.NaN : sums[l][2] / n));
    }
    return out;
  }

  /** @return layer → its agreement, for reports */
  public static Map<String, Layer> byLayer(List<Layer> layers) {
    Map<String, Layer> m = new LinkedHashMap<>();
    layers.forEach(l -> m.put(l.layer(), l));
    return m;
  }

  /** One partition: per layer {sum cosine, min cosine, sum relative error, images}. */
  private static final class Compare implements FlatMapFunction<Iterator<Row>, double[][]>, Serializable {
    private static final long serialVersionUID = 1L;
    private static final int BATCH = 8;
    private final String fp32Sha;
    private final Broadcast<byte[]> fp32;
    private final String int8Sha;
    private final Broadcast<byte[]> int8;
    private final String pixelInput;
    private final List<String> layers;
    private final TensorSource.Images source;
    private final int threads;

    Compare(String fp32Sha, Broadcast<byte[]> fp32, String int8Sha, Broadcast<byte[]> int8, String pixelInput,
        List<String> layers, TensorSource.Images source, int threads) {
      this.fp32Sha = fp32Sha;
      this.fp32 = fp32;
      this.int8Sha = int8Sha;
      this.int8 = int8;
      this.pixelInput = pixelInput;
      this.layers = List.copyOf(layers);
      this.source = source;
      this.threads = threads;
    }

    @Override
    public Iterator<double[][]> call(Iterator<Row> rows) throws InferenceException {
      ModelSession f = TaskSessions.get(fp32Sha, fp32::value, threads);
      ModelSession q = TaskSessions.get(int8Sha, int8::value, threads);
      double[][] s = new double[layers.size()][4];
      for (ExampleBatches.Batch batch = ExampleBatches.next(rows, source, BATCH); batch != null;
          batch = ExampleBatches.next(rows, source, BATCH)) {
        float[] x = batch.values();
        int n = batch.examples();
        List<ModelSession.Output> a = f.run(pixelInput, x, source.batchShape(n), layers);
        List<ModelSession.Output> b = q.run(pixelInput, x, source.batchShape(n), layers);
        for (int l = 0; l < layers.size(); l++) {
          float[] fa = a.get(l).values();
          float[] qb = b.get(l).values();
          int e = fa.length / n;
          for (int k = 0; k < n; k++) {
            double dot = 0;
            double nf = 0;
            double nq = 0;
            double diff = 0;
            for (int i = k * e; i < (k + 1) * e; i++) {
              dot += (double) fa[i] * qb[i];
              nf += (double) fa[i] * fa[i];
              nq += (double) qb[i] * qb[i];
              diff += ((double) fa[i] - qb[i]) * ((double) fa[i] - qb[i]);
            }
            double cos = nf == 0 && nq == 0 ? 1 : dot / Math.sqrt(nf * nq);
            s[l][0] += cos;
            s[l][1] = s[l][3] == 0 ? cos : Math.min(s[l][1], cos);
            s[l][2] += nf == 0 ? 0 : Math.sqrt(diff / nf);
            s[l][3]++;
          }
        }
      }
      return List.<double[][]>of(s).iterator();
    }
  }
}
