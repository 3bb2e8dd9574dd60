package org.argus.surfaces.cli;

import java.util.Locale;
import org.argus.execution.transfer.TransferResult;

/**
 * The table {@code argus transfer --precision int8 --compare-precision} prints and writes to {@code
 * OUT/precision.md}: per layer, test accuracy and macro-F1 of the fp32 and the int8 run on the same
 * inputs and split, the difference in points, inference seconds of both, then the int8 run's
 * accuracy guard (cosine similarity of int8 vs fp32 activations on held-out images).
 */
final class PrecisionComparison {
  private PrecisionComparison() {}

  /**
   * @param fp32 the fp32 run
   * @param int8 the int8 run (same layers)
   * @return a Markdown table and the guard lines
   */
  static String table(TransferResult fp32, TransferResult int8) {
    StringBuilder sb = new StringBuilder("\n## int8 vs fp32\n\n| layer | fp32 accuracy | int8 accuracy | Δ points "
        + "| fp32 macro-F1 | int8 macro-F1 | fp32 inference s | int8 inference s |\n|---|---|---|---|---|---|---|---|\n");
    double sum = 0;
    for (int i = 0; i < fp32.layers().size(); i++) {
      TransferResult.LayerResult f = fp32.layers().get(i);
      TransferResult.LayerResult q = int8.layers().get(i);
      sum += q.accuracy() - f.accuracy();
      sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %+.2f | %.4f | %.4f | %.1f | %.1f |%n", f.layer(),
          f.accuracy(), q.accuracy(), 100 * (q.accuracy() - f.accuracy()), f.macroF1(), q.macroF1(),
          f.inferenceSeconds(), q.inferenceSeconds()));
    }
    sb.append(String.format(Locale.ROOT, "%nmean Δ accuracy %+.2f points over %d layers; %d test images%n",
        100 * sum / fp32.layers().size(), fp32.layers().size(), fp32.layers().get(0).testRows()));
    int8.notes().stream().filter(n -> n.startsWith("int8")).forEach(n -> sb.append("- ").append(n).append('\n'));
    return sb.toString();
  }
}
