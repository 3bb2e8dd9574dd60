package org.argus.execution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.argus.plan.StagedPlan;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * Runs every stage of a {@link StagedPlan} once on the driver with one blank example (all zeros
 * before scaling) to learn each layer's activation shape per example. This checks the whole plan
 * (every cut loads in ONNX Runtime and accepts the previous stage's output at this input size)
 * before any Spark job starts.
 */
public final class StageProbe {
  private StageProbe() {}

  /**
   * @param plan the plan to check
   * @param intraOpThreads ORT threads for the probe sessions
   * @return per stage, the activation shape of one example without the batch dim ({@code [C, H,
   *     W]} for conv layers)
   * @throws InferenceException when a stage's graph does not load or run (names the stage)
   */
  public static List<long[]> shapes(StagedPlan plan, int intraOpThreads) throws InferenceException {
    List<long[]> shapes = new ArrayList<>();
    float[] data = new float[plan.preprocessing().floatsPerExample()];
    long[] shape = plan.preprocessing().batchShape(1);
    for (StagedPlan.Stage s : plan.stages()) {
      ModelSession session = SessionCache.get(s.sha256(), s::graph, intraOpThreads);
      ModelSession.Output out;
      try {
        out = session.run(s.input(), data, shape, List.of(s.layer())).get(0);
      } catch (InferenceException e) {
        throw new InferenceException(
            "stage "
                + (s.index() + 1)
                + " ("
                + s.input()
                + " → "
                + s.layer()
                + ") fails at input "
                + plan.preprocessing().compact()
                + " — is the input size at least the model's minimum? "
                + e.getMessage(),
            e);
      }
      long[] per = Arrays.copyOfRange(out.shape(), 1, out.shape().length);
      shapes.add(per);
      data = out.values();
      shape = out.shape();
    }
    return shapes;
  }
}
