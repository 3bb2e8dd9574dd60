package org.argus.execution.fusion;

import java.util.List;
import org.argus.execution.mop.SelectionResult;
import org.argus.execution.transfer.TransferResult;
import org.argus.plan.cost.Optimizer;

/**
 * What a fused selection produced.
 *
 * @param selection the model-selection run (leaderboard, units, epochs, test scores)
 * @param views the row layout every config read its view from
 * @param standardizer the z-scoring fitted on the training split that every head's input went through
 * @param factory the heads' trainer factory (views, family, classes)
 * @param byLayer the best config of each layer (Vista's per-layer table), bottom layer first
 * @param byPooling the best config of each pooling, in the space's order
 * @param explain EXPLAIN of both phases: the materialization plan and the MOP plan
 * @param materialization task metrics and storage of the materialization phases
 * @param inferenceSeconds wall seconds of the inference queries
 * @param materializationSeconds wall seconds of the whole materialization (inference included)
 * @param selectionSeconds wall seconds of the learner phase: z-scoring the features, model selection (sharding,
 *     units, validation, test scoring) and the per-layer macro-F1 scoring
 * @param featureBytes Σ over training rows of every view's pooled features and the structured
 *     columns as float32 (what the shards must hold: 4 bytes per float), computed
 * @param counts rows read, joined and quarantined
 * @param decision the transfer optimizer's decision for the materialization (chosen plan with its
 *     per-stage estimates, rejected plans): what EXPLAIN ANALYZE sets the measurements against
 * @param model the CNN the features came from (name, sha256, preprocessing, the spec's pooling), for
 *     provenance
 * @param models per CNN (one without a {@code model} dimension): its provenance, layers, plan and
 *     measured materialization; {@link #decision()}, {@link #materialization()} and {@link
 *     #counts()} are the first CNN's
 * @param byModel the best config of each CNN, in the space's order (empty without a {@code model}
 *     dimension)
 * @param refit the winner retrained on every training-split row and scored on the test split (what
 *     {@code best/model.onnx} deploys), or null when refitting was off or no config finished
 */
public record FusedResult(
    SelectionResult selection,
    FeatureViews views,
    Standardizer standardizer,
    ViewTrainerFactory factory,
    List<Best> byLayer,
    List<Best> byPooling,
    String explain,
    TransferResult.Measured materialization,
    double inferenceSeconds,
    double materializationSeconds,
    double selectionSeconds,
    long featureBytes,
    TransferResult.Counts counts,
    Optimizer.Decision decision,
    TransferResult.ModelInfo model,
    List<PerModel> models,
    List<Best> byModel,
    Refit refit) {

  /** Copies the lists. */
  public FusedResult {
    byLayer = List.copyOf(byLayer);
    byPooling = List.copyOf(byPooling);
    models = List.copyOf(models);
    byModel = List.copyOf(byModel);
  }

  /**
   * @return the best config of each precision of a run over {@code precision=choice(fp32,int8)}, in
   *     the views' order (empty when the run has one precision); test macro-F1 not scored (NaN)
   */
  public List<Best> byPrecision() {
    return views.precisions().size() < 2 ? List.of()
        : Tables.best(selection, FeatureViews.PRECISION, views.precisions());
  }

  /**
   * One CNN's materialization.
   *
   * @param model name, sha256, preprocessing, pooling
   * @param layers its layers materialized, bottom first (unqualified)
   * @param decision the transfer optimizer's decision for it
   * @param measured task metrics and storage of its phases
   * @param counts rows read, joined and quarantined
   * @param seconds wall seconds of its materialization
   * @param inferenceSeconds wall seconds of its inference queries
   */
  public record PerModel(TransferResult.ModelInfo model, List<String> layers, Optimizer.Decision decision,
      TransferResult.Measured measured, TransferResult.Counts counts, double seconds, double inferenceSeconds) {
    /** Copies the list. */
    public PerModel {
      layers = List.copyOf(layers);
    }

    /**
     * @param transfers the prepared transfers, one per CNN
     * @param each their materializations, in the same order
     * @return per CNN, its materialization as measured
     */
    static List<PerModel> of(List<org.argus.execution.transfer.FeatureTransfer> transfers,
        List<org.argus.execution.transfer.MaterializedFeatures> each) {
      List<PerModel> out = new java.util.ArrayList<>();
      for (int i = 0; i < transfers.size(); i++) {
        var t = transfers.get(i);
        var m = each.get(i);
        out.add(new PerModel(info(t), t.layers(), t.decision(), m.measured(), m.counts(), m.seconds(),
            m.inferenceSeconds()));
      }
      return out;
    }

    /**
     * @param t a prepared transfer
     * @return its CNN as provenance names it: name, sha256, preprocessing, the spec's pooling
     */
    static TransferResult.ModelInfo info(org.argus.execution.transfer.FeatureTransfer t) {
      org.argus.model.resolve.ResolvedModel model = t.model();
      return new TransferResult.ModelInfo(model.name(), model.sha256(), model.preprocessing().compact(),
          t.spec().pooling().toString());
    }
  }

  /**
   * The best config of one value of a materialization dimension.
   *
   * @param value the layer or pooling
   * @param trial the config's trial id, or -1 when every config of this value failed or none was drawn
   * @param config the config
   * @param metric its goal metric on the validation rows (NaN when none)
   * @param valAccuracy its validation accuracy
   * @param testAccuracy its accuracy on the test split (NaN without test rows)
   * @param testMacroF1 its unweighted mean per-label F1 on the test split (NaN when not scored)
   * @param configs configs drawn with this value
   */
  public record Best(String value, int trial, String config, double metric, double valAccuracy, double testAccuracy,
      double testMacroF1, int configs) {}

  /**
   * The winner of the selection retrained on the whole training split — its validation rows
   * included — with its own config for as many epochs as it reached, as scikit-learn's {@code
   * GridSearchCV(refit=True)} and Keras Tuner's final fit do: the choice is made on held-out rows,
   * the deployed model then learns from every row. Scored on the test split, which never informed
   * the choice.
   *
   * @param trial the winner's trial id in {@link #selection()}
   * @param config the winner's config (text)
   * @param hyperparameters the winner's hyperparameters, {@code layer} and {@code pooling} included
   * @param epochs epochs trained (the winner's)
   * @param selection the refit's own one-config run (run directory {@code <run>/refit}; its
   *     validation rows are the test split)
   * @param testAccuracy accuracy of the refit head on the test split, in [0, 1]
   * @param testMacroF1 unweighted mean per-label F1 of the refit head on the test split
   * @param seconds wall seconds of the refit (training and scoring)
   */
  public record Refit(int trial, String config, org.argus.runtime.train.Hyperparameters hyperparameters, int epochs,
      SelectionResult selection, double testAccuracy, double testMacroF1, double seconds) {}
}
