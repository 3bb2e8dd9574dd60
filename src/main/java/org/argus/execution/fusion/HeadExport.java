package org.argus.execution.fusion;

import org.argus.ArgusException;
import java.nio.file.Path;
import java.util.List;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.Pooling;
import org.argus.runtime.train.HeadDeployment;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.OnnxExport;
import org.argus.select.procedure.Procedure;
import org.argus.store.CheckpointStore;

/** A trained head of a fused run as an ONNX graph over raw (unstandardized) features. */
public final class HeadExport {
  private HeadExport() {}

  /**
   * Deploys a trained config as one graph: the CNN cut at the config's layer, its pooling, the
   * z-scoring and the head, spliced into {@code dir/model.onnx} with the provenance of both parts
   * in {@code dir/config.txt} ({@link HeadDeployment}).
   *
   * @param r the fused run
   * @param procedure its procedure
   * @param trial a trial that finished
   * @param model the CNN the trial's layer belongs to ({@link FusedSelection#modelOf})
   * @param labels class names in label order, or empty
   * @param dir where to write
   * @return what was written
   * @throws ArgusException when the checkpoint cannot be read or the graph not written
   * @throws IllegalArgumentException when the trial has no checkpoint or the labels do not match
   */
  public static HeadDeployment.Deployed deploy(FusedResult r, Procedure procedure, int trial, ResolvedModel model,
      List<String> labels, Path dir) throws ArgusException {
    return write(r, trained(r, procedure, trial), model, null, labels, dir);
  }

  /**
   * Deploys a trained config of a prepared run as one graph, on the CNN and cut its features came
   * from ({@link FusedSelection#modelOf}, {@link FusedSelection#cutOf}): an {@code int8} config is
   * spliced onto the int8 cut its transfer calibrated, so it serves on the graph it was trained on.
   *
   * @param fs the prepared, run selection
   * @param r its result
   * @param trial a trial that finished
   * @param labels class names in label order, or empty
   * @param dir where to write
   * @return what was written
   * @throws ArgusException when the checkpoint cannot be read or the graph not written
   * @throws IllegalArgumentException when the trial has no checkpoint or the labels do not match
   */
  public static HeadDeployment.Deployed deploy(FusedSelection fs, FusedResult r, int trial, List<String> labels,
      Path dir) throws ArgusException {
    Trained t = trained(r, fs.procedure(), trial);
    return write(r, t, fs.modelOf(t.view().layer()), fs.cutOf(t.view()), labels, dir);
  }

  /**
   * Deploys the refit winner of a prepared run as one graph, on the CNN and cut its features came
   * from, as {@link #deploy(FusedSelection, FusedResult, int, List, Path)} does a trial.
   *
   * @param fs the prepared, run selection
   * @param r its result
   * @param refit its refit ({@link FusedResult#refit()})
   * @param labels class names in label order, or empty
   * @param dir where to write
   * @return what was written
   * @throws ArgusException when the checkpoint cannot be read or the graph not written
   * @throws IllegalArgumentException when the refit did not finish or the labels do not match
   */
  public static HeadDeployment.Deployed deploy(FusedSelection fs, FusedResult r, FusedResult.Refit refit,
      List<String> labels, Path dir) throws ArgusException {
    Trained t = refitted(r, refit);
    return write(r, t, fs.modelOf(t.view().layer()), fs.cutOf(t.view()), labels, dir);
  }

  private static HeadDeployment.Deployed write(FusedResult r, Trained t, ResolvedModel model,
      org.argus.model.resolve.GraphCut cut, List<String> labels, Path dir) throws ArgusException {
    Hyperparameters h = t.config();
    FeatureViews.View v = t.view();
    Standardizer z = t.standardizer();
    byte[] state = t.state();
    return HeadDeployment.write(model, cut, FeatureViews.layerOf(v.layer()), Pooling.parse(v.pooling()),
        r.views().structuredDim(),
        r.factory().family(), h, r.factory().classes(), state, z.mean(), z.invStd(), labels, dir);
  }

  /**
   * Deploys the winner as refit on the whole training split ({@link FusedResult.Refit}) as one
   * graph, as {@link #deploy(FusedResult, Procedure, int, ResolvedModel, List, Path)} does a trial.
   *
   * @param r the fused run
   * @param refit its refit ({@link FusedResult#refit()})
   * @param model the CNN the refit's layer belongs to ({@link FusedSelection#modelOf})
   * @param labels class names in label order, or empty
   * @param dir where to write
   * @return what was written
   * @throws ArgusException when the checkpoint cannot be read or the graph not written
   * @throws IllegalArgumentException when the refit did not finish or the labels do not match
   */
  public static HeadDeployment.Deployed deploy(FusedResult r, FusedResult.Refit refit, ResolvedModel model,
      List<String> labels, Path dir) throws ArgusException {
    return write(r, refitted(r, refit), model, null, labels, dir);
  }

  private static Trained refitted(FusedResult r, FusedResult.Refit refit) throws ArgusException {
    if (refit.selection().best() == null) {
      throw new IllegalArgumentException("the refit of trial " + refit.trial() + " did not finish: nothing to deploy");
    }
    return trained(r, refit.selection(), refit.hyperparameters(), refit.selection().best().trial());
  }

  /**
   * @param r the fused run
   * @param procedure its procedure (the trials' configs)
   * @param trial a trial that finished
   * @return ONNX bytes: {@code x [N, dim + structuredDim]} float32 (the trial's view, then the
   *     structured columns, unstandardized) → z-scoring with the training split's statistics → the
   *     head → {@code probability [N, classes]} ({@link OnnxExport})
   * @throws ArgusException when the trial's checkpoint cannot be read or the head not exported
   * @throws IllegalArgumentException when the trial has no successful unit query
   */
  public static byte[] onnx(FusedResult r, Procedure procedure, int trial) throws ArgusException {
    Trained t = trained(r, procedure, trial);
    return OnnxExport.export(r.factory().family(), t.config(), r.factory().inputShape(t.config()),
        r.factory().classes(), t.state(), t.standardizer().mean(), t.standardizer().invStd());
  }

  /** A finished trial's config, view, input standardization and last checkpoint's state. */
  private record Trained(Hyperparameters config, FeatureViews.View view, Standardizer standardizer, byte[] state) {}

  private static Trained trained(FusedResult r, Procedure procedure, int trial) throws ArgusException {
    return trained(r, r.selection(), Tables.hyperparameters("trial " + trial, procedure, trial), trial);
  }

  private static Trained trained(FusedResult r, org.argus.execution.mop.SelectionResult sel, Hyperparameters h,
      int trial) throws ArgusException {
    String ckpt = FusedSelection.lastCheckpoint(sel, trial);
    if (ckpt == null) {
      throw new IllegalArgumentException("trial " + trial + " has no checkpoint: no unit query of it succeeded");
    }
    FeatureViews.View v = r.views().view(h);
    return new Trained(h, v, r.standardizer().slice(r.views(), v), new CheckpointStore(sel.runDir()).read(ckpt));
  }
}
