package org.argus.execution.fusion;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.argus.ArgusException;
import org.argus.execution.mop.Example;
import org.argus.execution.mop.Execution;
import org.argus.execution.mop.ModelSelection;
import org.argus.execution.mop.SelectionResult;
import org.argus.runtime.train.Hyperparameters;
import org.argus.select.procedure.FixedEpochs;
import org.argus.select.procedure.Procedure;
import org.argus.select.space.Config;
import org.argus.store.RunDirectory;

/**
 * Retrains a fused selection's winner on every training row — its validation rows included — for
 * the epochs it reached, with its own config, as scikit-learn's {@code GridSearchCV(refit=True)}
 * does: a one-config MOP run in {@code <run>/refit}, validated on the test split (or, without one,
 * on the training rows), then scored on the test split ({@link FusedResult.Refit}).
 */
final class WinnerRefit {
  private WinnerRefit() {}

  /**
   * @param r the selection (its best entry is the winner)
   * @param procedure its procedure (the winner's hyperparameters)
   * @param train every training row, standardized
   * @param test the test split, standardized, or null
   * @param factory the heads' trainer factory
   * @param spec the selection's spec (stored with the refit, plus the winner it refits)
   * @param execution how the refit runs
   * @param workers worker slots (≤ 0: Spark's default parallelism)
   * @param seed the run seed
   * @param resume continue a refit already in {@code <run>/refit}, if there is one
   * @return the refit with its test accuracy and macro-F1 (NaN without a test split)
   * @throws ArgusException when the refit's run directory cannot be read or written
   */
  static FusedResult.Refit run(SelectionResult r, Procedure procedure, JavaRDD<Example> train, JavaRDD<Example> test,
      ViewTrainerFactory factory, Map<String, String> spec, Execution execution, int workers, long seed,
      boolean resume) throws ArgusException {
    long t0 = System.nanoTime();
    SelectionResult.Entry w = r.best();
    Hyperparameters h = Tables.hyperparameters(w.config(), procedure, w.trial());
    Procedure one = FixedEpochs.of(List.of(new Config(h.values())), Math.max(1, w.epochs()), procedure.goal());
    Map<String, String> refitSpec = new LinkedHashMap<>(spec);
    refitSpec.put("fused.refit.of", "trial " + w.trial() + " " + w.config() + ", " + w.epochs() + " epochs");
    String dir = r.runDir() + "/refit";
    boolean again;
    try {
      again = resume && new RunDirectory(dir).readSpec() != null;
    } catch (java.io.IOException e) {
      throw new ArgusException("run directory " + dir + ": " + e.getMessage(), e);
    }
    SelectionResult rr = ModelSelection.builder()
        .setData(train)
        .setTrainerFactory(factory)
        .setProcedure(one)
        .setRunDir(dir)
        .optSpec(refitSpec)
        .optExecution(execution)
        .optWorkers(workers)
        .optSeed(seed)
        .optResume(again)
        .optValidationData(test != null ? test : train)
        .optTestData(test) // scored with its macro-F1 in one job at the end
        .build()
        .run();
    SelectionResult.Entry e = rr.best();
    double acc = Double.NaN;
    double f1 = Double.NaN;
    SelectionResult.TestScore t = e == null ? null : rr.test().get(e.trial());
    if (t != null) {
      acc = t.accuracy();
      f1 = t.macroF1();
    }
    return new FusedResult.Refit(w.trial(), w.config(), h, w.epochs(), rr, acc, f1, (System.nanoTime() - t0) / 1e9);
  }
}
