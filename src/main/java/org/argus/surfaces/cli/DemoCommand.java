package org.argus.surfaces.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.ml.classification.LogisticRegression;
import org.argus.ArgusException;
import org.argus.execution.fusion.HeadTransfer;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.roster.Roster;
import org.argus.plan.Pooling;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code argus demo}: a preset of {@code argus transfer} (same engine, same report schema, same
 * optimizer) — feature transfer on a Fashion-MNIST sample with a real pretrained CNN on embedded
 * Spark, four curated layers, the staged plan forced to show staging (pixels → l₁, l₁ → l₂, …),
 * one MLlib LogisticRegression per layer; prints the table and writes {@code report.md}/{@code
 * report.json}.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Feature transfer on Fashion-MNIST: which layer of a pretrained CNN transfers best?",
      "A preset of 'argus transfer': staged plan over cut graphs (each layer computed from the previous",
      "one), pooled features, one LogisticRegression per layer; prints a table, writes report.md/report.json."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--model", description = "roster model: ${COMPLETION-CANDIDATES}", defaultValue = "mobilenet_v2", completionCandidates = RosterNames.class)
  String model;

  @Option(names = "--layers", split = ",", description = "layers to compare (default: 4 curated layers of the model)")
  List<String> layers;

  @Option(names = "--pooling", defaultValue = "max:2", description = "none | avg | max | avg:K | max:K (default ${DEFAULT-VALUE}, Vista's)")
  String pooling;

  @Option(names = "--input-size", description = "square input size in pixels (default: 96 for mobilenet_v2, 139 for inception_v3; 28x28 images are upsampled to it)")
  Integer inputSize;

  @Option(names = "--train", defaultValue = "4000", description = "training images drawn from the official train split (default ${DEFAULT-VALUE})")
  int train;

  @Option(names = "--test", defaultValue = "1000", description = "test images drawn from the official test split (default ${DEFAULT-VALUE})")
  int test;

  @Option(names = "--seed", defaultValue = "42", description = "seed of the sample (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--plan", defaultValue = "staged", description = "auto | lazy | eager | staged (default ${DEFAULT-VALUE}: the demo shows staging)")
  String plan;

  @Option(names = "--batch-size", description = "images per ONNX Runtime call (default: optimizer)")
  Integer batchSize;

  @Option(names = "--master", description = "Spark master (default: the spark-submit'ed application's, else local[*])")
  String master;

  @Option(names = "--learner", description = "per-layer learner: head (a DJL multinomial logistic regression per layer, all trained together by MOP) | spark-lr (Spark ML LogisticRegression). Default: head; spark-lr when --max-iter or --reg-param is given")
  String learner;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec commandSpec;

  @Option(names = "--max-iter", defaultValue = "100", description = "LogisticRegression iterations (default ${DEFAULT-VALUE})")
  int maxIter;

  @Option(names = "--reg-param", defaultValue = "0.001", description = "LogisticRegression L2 strength (default ${DEFAULT-VALUE})")
  double regParam;

  @Option(names = "--out", defaultValue = "argus-out/demo", description = "output folder for report.md and report.json (default ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--verbose", description = "keep Spark's INFO logs and print stack traces")
  boolean verbose;

  static final class RosterNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Roster.names().iterator();
    }
  }

  /** @return the demo's four curated layers of a roster model */
  static List<String> defaultLayers(String model) {
    return switch (model) {
      case "inception_v3" -> List.of("mixed5", "mixed7", "mixed9", "mixed10");
      default -> List.of("block_6_expand_relu", "block_13_expand_relu", "block_16_project_BN", "out_relu");
    };
  }

  /** @return the demo's input size: 28×28 images upsampled to a size the model accepts */
  static int defaultInputSize(String model) {
    return model.equals("inception_v3") ? 139 : 96;
  }

  /** @return the transfer spec this preset stands for */
  TransferSpec spec() {
    Roster.get(model); // an unknown name fails here, listing the roster
    return TransferSpec.builder()
        .setFashionMnist(train, test)
        .setModel(model)
        .setLayers(layers == null || layers.isEmpty() ? defaultLayers(model) : layers)
        .optInputSize(inputSize == null ? defaultInputSize(model) : inputSize)
        .optPooling(Pooling.parse(pooling))
        .optLearner(new LogisticRegression().setMaxIter(maxIter).setRegParam(regParam).setFamily("multinomial"))
        .optSeed(seed)
        .optOverrides(new Overrides(plan.equalsIgnoreCase("auto") ? null : LogicalPlan.parse(plan), null, null, null,
            null, batchSize, null, null, null))
        .build();
  }

  @Override
  public Integer call() throws ArgusException, IOException {
    TransferSpec s = spec();
    String l = learner != null ? learner
        : TransferCommand.sparkLrOnly(commandSpec.commandLine().getParseResult(), "--max-iter", "--reg-param")
            ? "spark-lr" : "head";
    HeadTransfer.HeadSpec head = TransferCommand.headSpec(l, TransferCommand.DEFAULT_HEAD,
        HeadTransfer.HeadSpec.DEFAULT.epochs());
    return TransferCommand.execute("demo", master, verbose, false, out, false, null, s, false, head);
  }
}
