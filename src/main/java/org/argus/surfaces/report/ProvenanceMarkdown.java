package org.argus.surfaces.report;

import java.util.Map;

/** Renders a {@link Provenance} as the "Provenance" section of a {@code report.md}. */
final class ProvenanceMarkdown {
  private ProvenanceMarkdown() {}

  /** @return a Markdown section: environment, models, then every setting of the spec */
  static String of(Provenance p) {
    StringBuilder md = new StringBuilder("## Provenance\n\n");
    Environment e = p.environment();
    md.append(String.format("- Argus %s (commit `%s`), Java %s, Spark %s (built against %s), ONNX Runtime %s, "
            + "DJL %s, PyTorch %s%n", e.argusVersion(), e.gitCommit(), e.java(), e.spark(), e.sparkBuild(),
        e.onnxRuntime(), e.djl(), e.pytorch()));
    md.append(String.format("- machine: %d cores, max heap %.1f GiB, physical memory %.1f GiB, %s%n", e.cores(),
        e.maxHeapBytes() / (double) (1L << 30), e.physicalMemoryBytes() / (double) (1L << 30), e.os()));
    md.append(String.format("- %s run at %s, seed %d%n", p.kind(), p.createdAt(), p.seed()));
    for (Provenance.ModelUse m : p.models()) {
      md.append(String.format("- model `%s` sha256 `%s`, preprocessing `%s`, layers %s%n", m.name(), m.sha256(),
          m.preprocessing(), m.layers()));
    }
    md.append("\n| setting | value |\n|---|---|\n");
    for (Map.Entry<String, String> s : p.spec().entrySet()) {
      md.append("| ").append(s.getKey()).append(" | `").append(s.getValue().replace("|", "\\|")).append("` |\n");
    }
    return md.toString();
  }
}
