package org.argus.execution.fusion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.argus.ArgusException;
import org.argus.execution.ProgressSink;
import org.argus.execution.transfer.FeatureTransfer;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.quantize.Precision;
import org.argus.model.resolve.GraphCut;
import org.argus.plan.Pooling;
import org.argus.select.space.Domain;
import org.argus.select.space.SearchSpace;

/**
 * The prepared transfers of a fused run: one per (CNN, precision) the space can draw, CNN by CNN in
 * the space's order and, within a CNN, precision by precision. Each is planned on its own by the
 * transfer optimizer and materializes every layer and pooling of its CNN once; their tables are
 * joined on the row id ({@link FeatureRows#joined}).
 *
 * @param fused the space's materialization dimensions
 * @param transfers the prepared transfers
 * @param models per transfer, the CNN name its layers are qualified with ({@code LAYER@MODEL}), or
 *     null without a {@code model} dimension
 * @param precisions per transfer, the precision it runs its CNN in
 */
record FusedTransfers(FusedSpace fused, List<FeatureTransfer> transfers, List<String> models,
    List<Precision> precisions) {
  /** Copies the lists (models may hold nulls). */
  FusedTransfers {
    transfers = List.copyOf(transfers);
    models = java.util.Collections.unmodifiableList(new ArrayList<>(models));
    precisions = List.copyOf(precisions);
  }

  /**
   * Resolves the space's materialization dimensions and prepares one transfer per (CNN,
   * precision) (small Spark queries over the inputs; no inference).
   *
   * @param spark the session
   * @param transfer the user's transfer (its layers stand in for a missing {@code layer}, its
   *     pooling for a missing {@code pooling}, its precision for a missing {@code precision})
   * @param space the joint space
   * @param progress where the transfers report
   * @param inputSize per CNN of a {@code model} dimension, its square input size (null: the
   *     transfer's)
   * @return the prepared transfers
   * @throws IllegalArgumentException for a bad space ({@link FusedSpace}), an unknown layer, bad
   *     inputs
   * @throws ArgusException when a model or the data cannot be provisioned or read
   */
  static FusedTransfers prepare(SparkSession spark, TransferSpec transfer, SearchSpace space, ProgressSink progress,
      java.util.function.ToIntFunction<String> inputSize) throws ArgusException {
    List<Precision> ps = FusedSpace.precisions(space);
    List<Precision> each = ps.isEmpty() ? List.of(transfer.precision()) : ps;
    if (space.domains().containsKey(FeatureViews.MODEL)) {
      return prepareModels(spark, transfer, space, progress, inputSize, each);
    }
    List<FeatureTransfer> fts = new ArrayList<>();
    FusedSpace f;
    if (space.domains().containsKey(FeatureViews.LAYER)) {
      f = FusedSpace.of(space, List.of(), transfer.pooling());
      fts.add(FeatureTransfer.prepare(spark,
          transfer.withLayers(f.layers()).withPoolings(f.poolings()).withPrecision(each.get(0)), progress));
    } else { // the transfer's layers (explicit or its top k), resolved by the first transfer
      List<Pooling> pools = FusedSpace.of(space, List.of("?"), transfer.pooling()).poolings();
      fts.add(FeatureTransfer.prepare(spark, transfer.withPoolings(pools).withPrecision(each.get(0)), progress));
      f = FusedSpace.of(space, fts.get(0).layers(), transfer.pooling());
    }
    for (Precision p : each.subList(1, each.size())) { // the same inputs and layers, planned anew
      fts.add(fts.get(0).withPrecision(p));
    }
    List<String> models = new ArrayList<>();
    fts.forEach(t -> models.add(null));
    return new FusedTransfers(f, fts, models, each);
  }

  /**
   * Checks, without Spark, every (CNN, layers) the space names ({@link FeatureTransfer#checkLayers}):
   * what {@link #prepare} would refuse first, before a command starts its session.
   *
   * @param transfer the transfer's settings
   * @param space the joint space
   * @param inputSize per CNN, its input size (null: the transfer's)
   * @throws IllegalArgumentException for an unknown model or layer (listing the valid ones), or a
   *     space whose layer values name no model
   * @throws ArgusException when a model cannot be provisioned or read
   */
  static void checkLayers(TransferSpec transfer, SearchSpace space, java.util.function.ToIntFunction<String> inputSize)
      throws ArgusException {
    if (space.domains().containsKey(FeatureViews.MODEL)) {
      for (String m : FusedSpace.models(space)) {
        FeatureTransfer.checkLayers(modelSpec(transfer, space, m, inputSize));
      }
    } else if (space.domains().containsKey(FeatureViews.LAYER)) {
      FeatureTransfer.checkLayers(transfer.withLayers(FusedSpace.of(space, List.of(), transfer.pooling()).layers()));
    } else {
      FeatureTransfer.checkLayers(transfer);
    }
  }

  /**
   * @return CNN {@code m}'s transfer in a space with a {@code model} dimension: its input size, its
   *     own preprocessing beside other CNNs when it is a roster model (an explicit preprocessing is
   *     for the CNNs that carry none: ONNX files), the space's layers of {@code m} or the transfer's
   *     top k (1 by default)
   */
  private static TransferSpec modelSpec(TransferSpec transfer, SearchSpace space, String m,
      java.util.function.ToIntFunction<String> inputSize) {
    List<String> names = FusedSpace.models(space);
    Map<String, List<String>> named = FusedSpace.layersByModel(space);
    int size = inputSize != null ? inputSize.applyAsInt(m) : transfer.inputSize();
    boolean own = names.size() > 1 && org.argus.model.roster.Roster.names().contains(m);
    int k = transfer.topK() > 0 ? transfer.topK() : 1;
    TransferSpec t = transfer.withModel(m, own ? null : transfer.preprocessing(), size, k);
    return named != null ? t.withLayers(named.get(m)) : t;
  }

  /** A space with a {@code model} dimension: one transfer per (CNN, precision), each planned on its own. */
  private static FusedTransfers prepareModels(SparkSession spark, TransferSpec transfer, SearchSpace space,
      ProgressSink progress, java.util.function.ToIntFunction<String> inputSize, List<Precision> each)
      throws ArgusException {
    List<String> names = FusedSpace.models(space);
    Map<String, Domain> rest = new LinkedHashMap<>(space.domains());
    rest.remove(FeatureViews.MODEL);
    rest.remove(FeatureViews.LAYER);
    List<Pooling> pools = FusedSpace.of(new SearchSpace(rest), List.of("?"), transfer.pooling()).poolings();
    List<FeatureTransfer> fts = new ArrayList<>();
    List<String> models = new ArrayList<>();
    List<Precision> precisions = new ArrayList<>();
    Map<String, List<String>> layers = new LinkedHashMap<>();
    for (String m : names) {
      TransferSpec t = modelSpec(transfer, space, m, inputSize).withPoolings(pools);
      FeatureTransfer first = FeatureTransfer.prepare(spark, t.withPrecision(each.get(0)), progress);
      layers.put(m, first.layers());
      for (Precision p : each) { // the other precisions: the same inputs and layers, planned anew
        fts.add(p == each.get(0) ? first : first.withPrecision(p));
        models.add(m);
        precisions.add(p);
      }
    }
    FusedSpace f = FusedSpace.ofModels(space, layers, transfer.pooling());
    return new FusedTransfers(f, fts, models, precisions);
  }

  /** @return the first transfer (its inputs, counts and rows are every transfer's) */
  FeatureTransfer first() {
    return transfers.get(0);
  }

  /**
   * @param i a transfer's index
   * @return how EXPLAIN names it, e.g. {@code model mobilenet_v2, precision int8}
   */
  String label(int i) {
    String model = models.get(i) != null ? models.get(i) : transfers.get(i).model().name();
    return "model " + model + (fused.precisions().isEmpty() ? "" : ", precision " + precisions.get(i).paramValue());
  }

  /**
   * @param view a view of the run
   * @return the transfer that materialized it
   * @throws IllegalArgumentException when no transfer did (names the view)
   */
  FeatureTransfer of(FeatureViews.View view) {
    String model = FeatureViews.modelOf(view.layer());
    for (int i = 0; i < transfers.size(); i++) {
      boolean sameModel = model == null || model.equals(models.get(i));
      if (sameModel && precisions.get(i).paramValue().equals(view.precision())) {
        return transfers.get(i);
      }
    }
    throw new IllegalArgumentException("no transfer of this run materialized view " + view + "; transfers: "
        + java.util.stream.IntStream.range(0, transfers.size()).mapToObj(this::label).toList());
  }

  /**
   * @param view a view of the run
   * @return the CNN cut (pixels → the view's layer) its features came from: the int8 cut of a
   *     {@code int8} view (its transfer's calibration), null for an fp32 view (the CNN's own cut)
   * @throws IllegalStateException for an int8 view whose transfer was not materialized yet
   */
  GraphCut cut(FeatureViews.View view) {
    if (!"int8".equals(view.precision())) {
      return null;
    }
    var int8 = of(view).int8Graphs();
    if (int8 == null) {
      throw new IllegalStateException("the int8 graphs of view " + view + " exist once its transfer materialized");
    }
    return int8.cutFromPixels(List.of(FeatureViews.layerOf(view.layer())));
  }
}
