package org.argus.execution.fusion;

import org.argus.ArgusException;
import org.argus.runtime.train.Hyperparameters;
import org.argus.runtime.train.OnnxExport;
import org.argus.select.procedure.Procedure;
import org.argus.store.CheckpointStore;

/** A trained head of a fused run as an ONNX graph over raw (unstandardized) features. */
public final class HeadExport {
  private HeadExport() {}

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
    String ckpt = FusedSelection.lastCheckpoint(r.selection(), trial);
    if (ckpt == null) {
      throw new IllegalArgumentException("trial " + trial + " has no checkpoint: no unit query of it succeeded");
    }
    Hyperparameters h = Tables.hyperparameters("trial " + trial, procedure, trial);
    FeatureViews.View v = r.views().view(h);
    Standardizer z = r.standardizer().slice(r.views(), v);
    byte[] state = new CheckpointStore(r.selection().runDir()).read(ckpt);
    return OnnxExport.export(r.factory().family(), h, r.factory().inputShape(h), r.factory().classes(), state,
        z.mean(), z.invStd());
  }
}
