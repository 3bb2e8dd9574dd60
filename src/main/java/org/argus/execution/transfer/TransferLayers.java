package org.argus.execution.transfer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.argus.model.onnx.NodeCost;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.onnx.TensorInfo;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.plan.cost.LayerCost;

/**
 * The layers of a feature-transfer run, read off the model's graph at the chosen input size:
 * sorted bottom to top, each layer's activation shape, its staged input (the previous layer, or
 * the pixels when a residual connection crosses the cut) and its sizes and FLOPs for the cost
 * model. No Spark involved.
 *
 * @param model the resolved model (at the run's input size)
 * @param layers the layers, bottom to top
 * @param stagedInputs per layer, the input of its stage in a staged plan
 * @param shapes per layer, the activation shape of one example without the batch dimension
 *     ({@code [C, H, W]} for conv layers)
 * @param costs per layer, what the cost model needs
 * @param notes what was decided (sorting, fallback cuts), one line each
 */
record TransferLayers(
    ResolvedModel model,
    List<String> layers,
    List<String> stagedInputs,
    Map<String, long[]> shapes,
    List<LayerCost> costs,
    List<String> notes) {

  /**
   * @param model the resolved model (its preprocessing at the run's input size)
   * @param spec the run's spec (explicit layers or top k, pooling)
   * @return the layers with their shapes and costs
   * @throws IllegalArgumentException for an unknown or duplicated layer (listing the valid ones), a
   *     top k larger than the roster's feature layers or given for an ONNX file, or a layer whose
   *     shape cannot be inferred at this input size
   */
  static TransferLayers of(ResolvedModel model, TransferSpec spec) {
    List<String> notes = new ArrayList<>();
    List<String> requested = requested(model, spec);
    List<String> layers = model.orderLayers(requested);
    if (!layers.equals(requested)) {
      notes.add("layers sorted to topological order: " + requested + " → " + layers);
    }
    PreprocessingSpec pre = model.preprocessing();
    String pixels = model.pixelInput();
    long[] inShape = pre.batchShape(1);
    // shapes and FLOPs on the cut pixels → layers: the head (e.g. a fixed 7×7 pooling) may not
    // accept a small input that the body below the requested layers accepts
    OnnxModel body = model.cutFromPixels(layers).model();
    Map<String, TensorInfo> infos = body.inferShapes(Map.of(pixels, inShape));
    Map<String, Long> flops = cumulativeFlops(body, pixels, inShape);
    Map<String, Integer> position = new HashMap<>();
    for (String t : body.tensorNames()) {
      position.put(t, model.position(t));
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    List<String> stagedInputs = new ArrayList<>();
    List<LayerCost> costs = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String l = layers.get(i);
      TensorInfo ti = infos.get(l);
      if (ti == null || !ti.isFullyKnown()) {
        throw new IllegalArgumentException("layer '" + l + "': shape unknown at input " + pre.compact()
            + " (" + (ti == null ? "?" : ti.shapeString()) + "); pick a layer whose shape can be inferred");
      }
      long[] s = Arrays.copyOfRange(ti.shape(), 1, ti.shape().length);
      shapes.put(l, s);
      String input = pixels;
      if (i > 0) {
        Optional<String> problem = model.separationProblem(layers.get(i - 1), l);
        if (problem.isEmpty()) {
          input = layers.get(i - 1);
        } else {
          notes.add("layer '" + l + "' is not computable from '" + layers.get(i - 1) + "' alone ("
              + firstLine(problem.get()) + "); the staged plan cuts it from the pixels");
        }
      }
      stagedInputs.add(input);
      costs.add(cost(l, input, s, spec.poolings(), pixels, flops, body, infos, position));
    }
    return new TransferLayers(model, List.copyOf(layers), List.copyOf(stagedInputs), shapes, costs, notes);
  }

  private static List<String> requested(ResolvedModel model, TransferSpec spec) {
    if (!spec.layers().isEmpty()) {
      return spec.layers();
    }
    List<String> fl = model.featureLayers();
    if (fl.isEmpty()) {
      throw new IllegalArgumentException(
          "top k layers needs a roster model; give explicit layers for ONNX file " + model.name());
    }
    if (spec.topK() > fl.size()) {
      throw new IllegalArgumentException("top " + spec.topK() + " layers asked but " + model.name()
          + " has " + fl.size() + " feature layers: " + fl);
    }
    return fl.subList(fl.size() - spec.topK(), fl.size());
  }

  private static LayerCost cost(String l, String input, long[] s, List<Pooling> poolings, String pixels,
      Map<String, Long> flops, OnnxModel body, Map<String, TensorInfo> infos, Map<String, Integer> position) {
    long act = Arrays.stream(s).reduce(1, (a, b) -> a * b);
    long feat = poolings.stream().mapToLong(p -> featureDim(s, p)).sum(); // one column per pooling
    long fromPixels = flops.getOrDefault(l, 0L);
    long staged = input.equals(pixels) ? fromPixels : Math.max(0, fromPixels - flops.getOrDefault(input, 0L));
    long peak = act;
    for (String t : body.tensorNames()) {
      int p = position.get(t);
      if (p <= position.get(l) && (input.equals(pixels) || p > position.get(input))) {
        TensorInfo x = infos.get(t);
        if (x != null && x.elementsPerExample() > peak) {
          peak = x.elementsPerExample();
        }
      }
    }
    return new LayerCost(l, input, act, feat, fromPixels, staged, peak);
  }

  /**
   * @param shape an activation's per-example shape
   * @param pooling the reduction of 3-D ({@code [C, H, W]}) activations
   * @return floats per example after pooling (other ranks are flattened)
   */
  static int featureDim(long[] shape, Pooling pooling) {
    if (shape.length == 3) {
      return pooling.outputDim((int) shape[0], (int) shape[1], (int) shape[2]);
    }
    return (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  /** Cumulative FLOPs per example of each tensor: the sum over nodes needed to compute it. */
  private static Map<String, Long> cumulativeFlops(OnnxModel model, String input, long[] inShape) {
    List<NodeCost> costs = model.nodeCosts(Map.of(input, inShape));
    // nodes are topological: a tensor's cumulative cost is approximated as the sum of all node
    // costs up to its producer (exact for chains; an upper bound across parallel branches)
    Map<String, Long> cum = new HashMap<>();
    long running = 0;
    for (NodeCost c : costs) {
      running += Math.max(0, c.flopsPerExample());
      cum.put(c.output(), running);
    }
    return cum;
  }

  static String firstLine(String s) {
    String t = String.valueOf(s);
    int i = t.indexOf('\n');
    return i < 0 ? t : t.substring(0, i);
  }
}
