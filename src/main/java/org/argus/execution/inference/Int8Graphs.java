package org.argus.execution.inference;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.model.ModelFormatException;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.quantize.ActivationRanges;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Int8Quantizer;
import org.argus.model.quantize.QdqPlan;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ResolvedModel;

/**
 * Int8 versions of a resolved model's cuts for every surface: calibrates once on the user's images
 * ({@link Calibration}), quantizes each cut with those ranges ({@link Int8Quantizer}) and keeps the
 * result in a documented per-JVM cache keyed by (fp32 cut sha256, calibration provenance key). A cut
 * that is already quantized (it contains QuantizeLinear, QLinearConv, …) is used as is.
 */
public final class Int8Graphs {
  /** Per-JVM cache (driver) of quantized cuts by fp32 cut sha256 + calibration key. */
  private static final Map<String, GraphCut> CUTS = new ConcurrentHashMap<>();

  /** Per-JVM cache (driver) of accuracy-guard results by int8 cut sha256. */
  private static final Map<String, List<PrecisionCheck.Layer>> CHECKS = new ConcurrentHashMap<>();

  private final ResolvedModel model;
  private final Calibration.Result calibration;
  private List<PrecisionCheck.Layer> check = List.of();

  private Int8Graphs(ResolvedModel model, Calibration.Result calibration) {
    this.model = model;
    this.calibration = calibration;
  }

  /**
   * Calibrates a model on the user's images for the layers it will compute.
   *
   * @param model the resolved fp32 model
   * @param layers every layer any cut will compute (the calibration graph is pixels → these)
   * @param rows the user's rows
   * @param id a column naming a row (recorded as sample ids)
   * @param image the image column
   * @param encoded true for encoded image bytes, false for the Spark image struct
   * @param spec calibration method, sample size and seed
   * @param threads ONNX Runtime threads per calibration task
   * @return the calibrated model's int8 cut factory
   * @throws IllegalArgumentException as {@link Calibration#run}
   */
  public static Int8Graphs calibrate(ResolvedModel model, List<String> layers, Dataset<Row> rows, Column id,
      Column image, boolean encoded, CalibrationSpec spec, int threads) {
    GraphCut all = model.cutFromPixels(layers);
    if (QdqPlan.alreadyQuantized(all.model().proto())) {
      return new Int8Graphs(model, null);
    }
    Int8Graphs g = new Int8Graphs(model, Calibration.run(rows, id, image, encoded, model.pixelInput(), all.model(),
        model.preprocessing(), spec, threads));
    GraphCut q = g.cutFromPixels(layers);
    g.check = CHECKS.computeIfAbsent(q.sha256(), k -> PrecisionCheck.run(rows, id, image, encoded,
        g.calibration.checkIds(), model.pixelInput(), model.preprocessing(), all, q, threads));
    return g;
  }

  /**
   * @return the accuracy guard: per layer, int8 vs fp32 activations on the held-out check set (empty
   *     when the model was already quantized or the data left no check images)
   */
  public List<PrecisionCheck.Layer> check() {
    return check;
  }

  /** @return one line per layer of {@link #check()}, and a warning line per flagged layer */
  public List<String> notes() {
    List<String> notes = new java.util.ArrayList<>();
    if (calibration == null) {
      notes.add("int8: " + model.name() + " is already quantized: used as is");
      return notes;
    }
    notes.add("int8 calibration: " + calibration.ranges().provenance());
    org.argus.runtime.CpuFeatures.int8Warning().ifPresent(w -> notes.add("int8: " + w));
    calibration.warnings().forEach(w -> notes.add("int8 calibration: " + w));
    check.forEach(l -> notes.add("int8 vs fp32 on " + l.images() + " held-out images, " + l));
    return notes;
  }

  /** @return the calibration, or null when the model was already quantized (used as is) */
  public Calibration.Result calibration() {
    return calibration;
  }

  /** @return true when the model's graph was already quantized and is used as is */
  public boolean alreadyQuantized() {
    return calibration == null;
  }

  /**
   * @param inputs the cut's inputs (the pixel input or layers)
   * @param outputs its outputs (layers)
   * @return the int8 cut (same inputs, outputs and shapes, float32 outputs), or the fp32 cut when the
   *     model was already quantized
   * @throws IllegalStateException when the rewritten graph fails validation (a bug; names the cut)
   */
  public GraphCut cut(List<String> inputs, List<String> outputs) {
    GraphCut fp32 = model.cut(inputs, outputs);
    if (calibration == null) {
      return fp32;
    }
    ActivationRanges ranges = calibration.ranges();
    return CUTS.computeIfAbsent(fp32.sha256() + "/" + ranges.provenance().key(), k -> {
      try {
        OnnxModel q = Int8Quantizer.quantize(fp32.model(), ranges).model();
        byte[] bytes = q.toBytes();
        return new GraphCut(bytes, q.sha256(), fp32.inputs(), fp32.outputs(), q.nodeCount(), q);
      } catch (ModelFormatException e) {
        throw new IllegalStateException("int8 quantization of cut " + fp32 + " produced an invalid graph: "
            + e.getMessage(), e);
      }
    });
  }

  /**
   * @param outputs layers
   * @return {@link #cut} from the pixel input
   */
  public GraphCut cutFromPixels(List<String> outputs) {
    return cut(List.of(model.pixelInput()), outputs);
  }

  /**
   * @param fp32 an fp32 cut of this model
   * @return what its int8 version quantizes and leaves fp32 (for EXPLAIN), empty when already quantized
   */
  public java.util.Optional<QdqPlan> plan(GraphCut fp32) {
    if (calibration == null) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(QdqPlan.of(org.argus.model.quantize.GraphFusion.fuse(fp32.model().proto())));
  }
}
