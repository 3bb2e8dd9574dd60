package org.argus.surfaces.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * The result of {@code argus demo}: one row per layer plus how the run was made, written as {@code
 * report.json} and {@code report.md}.
 */
record DemoReport(
    String model,
    int train,
    int test,
    List<LayerRow> layers,
    double totalSeconds,
    String preprocessing,
    String pooling,
    long seed,
    String modelSha256,
    String plan,
    int taskSlots,
    int ortThreads,
    int batchSize,
    int maxIter,
    double regParam) {

  /**
   * @param layer layer name
   * @param dim feature dimension after pooling
   * @param accuracy test accuracy
   * @param f1 test macro-F1
   * @param seconds stage inference + training seconds
   * @param inferenceSeconds seconds to compute and materialize the stage
   * @param trainingSeconds seconds to fit and score the downstream model
   * @param activationShape activation per image before pooling
   */
  record LayerRow(
      String layer,
      int dim,
      double accuracy,
      double f1,
      double seconds,
      double inferenceSeconds,
      double trainingSeconds,
      long[] activationShape) {}

  LayerRow best() {
    return layers.stream().max(Comparator.comparingDouble(LayerRow::accuracy)).orElseThrow();
  }

  String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%n%-24s | %11s | %8s | %8s | %7s%n", "layer", "feature dim", "accuracy", "macro-F1", "seconds"));
    sb.append("-".repeat(24)).append("-+-").append("-".repeat(11)).append("-+-")
        .append("-".repeat(8)).append("-+-").append("-".repeat(8)).append("-+-").append("-".repeat(7)).append('\n');
    for (LayerRow r : layers) {
      sb.append(String.format("%-24s | %11d | %8.4f | %8.4f | %7.1f%n", r.layer(), r.dim(), r.accuracy(), r.f1(), r.seconds()));
    }
    LayerRow b = best();
    sb.append(String.format(
        "%nbest layer: %s (accuracy %.4f) — %s, %d train / %d test images, input %s, pooling %s, %.1f s total%n",
        b.layer(), b.accuracy(), model, train, test, preprocessing, pooling, totalSeconds));
    return sb.toString();
  }

  void write(Path dir) throws IOException {
    ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = om.createObjectNode();
    root.put("model", model);
    root.put("train", train);
    root.put("test", test);
    ArrayNode arr = root.putArray("layers");
    for (LayerRow r : layers) {
      ObjectNode n = arr.addObject();
      n.put("layer", r.layer());
      n.put("dim", r.dim());
      n.put("accuracy", r.accuracy());
      n.put("f1", r.f1());
      n.put("seconds", r.seconds());
      n.put("inference_seconds", r.inferenceSeconds());
      n.put("training_seconds", r.trainingSeconds());
      ArrayNode shape = n.putArray("activation_shape");
      for (long d : r.activationShape()) {
        shape.add(d);
      }
    }
    root.put("total_seconds", totalSeconds);
    ObjectNode prov = root.putObject("provenance");
    prov.put("plan", plan);
    prov.put("preprocessing", preprocessing);
    prov.put("pooling", pooling);
    prov.put("seed", seed);
    prov.put("model_sha256", modelSha256);
    prov.put("task_slots", taskSlots);
    prov.put("ort_threads_per_task", ortThreads);
    prov.put("batch_size", batchSize);
    prov.put("downstream", "LogisticRegression(multinomial, maxIter=" + maxIter + ", regParam=" + regParam + ")");
    prov.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    prov.put("java", System.getProperty("java.version"));
    Files.writeString(dir.resolve("report.json"), om.writeValueAsString(root) + "\n");

    StringBuilder md = new StringBuilder();
    md.append("# Argus demo: feature transfer on Fashion-MNIST\n\n");
    md.append(String.format("Model `%s` (sha256 `%s`), input %s, pooling `%s`, staged plan, %d train / %d test images (seed %d), downstream LogisticRegression (maxIter %d, regParam %s).%n%n",
        model, modelSha256.substring(0, 16), preprocessing, pooling, train, test, seed, maxIter, regParam));
    md.append("| layer | feature dim | accuracy | macro-F1 | seconds |\n|---|---:|---:|---:|---:|\n");
    for (LayerRow r : layers) {
      md.append(String.format("| `%s` | %d | %.4f | %.4f | %.1f |%n", r.layer(), r.dim(), r.accuracy(), r.f1(), r.seconds()));
    }
    LayerRow b = best();
    md.append(String.format("%nBest layer: `%s` (accuracy %.4f). Total %.1f s.%n", b.layer(), b.accuracy(), totalSeconds));
    Files.writeString(dir.resolve("report.md"), md.toString());
  }
}
