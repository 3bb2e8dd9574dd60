package org.argus.surfaces.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.provision.PretrainedModels;
import org.argus.model.roster.Roster;
import org.argus.model.roster.RosterModel;
import org.argus.provision.ArgusHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code argus models list|inspect|import}: the roster of pretrained CNNs and ONNX inspection. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "List roster models, import them to ONNX, inspect any ONNX graph.",
    subcommands = {ModelsCommand.ListCmd.class, ModelsCommand.InspectCmd.class, ModelsCommand.ImportCmd.class})
final class ModelsCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the roster: native input, feature layers, cache state.")
  static final class ListCmd implements Callable<Integer> {
    @Override
    public Integer call() {
      for (RosterModel m : Roster.all()) {
        Path onnx = ArgusHome.model(m.name()).resolve("model.onnx");
        System.out.printf("%s%n  %s%n  source: %s%n  input: %s %s (min %dx%d)%n  feature layers: %s%n  head: %s → %s%n  imported: %s%n",
            m.name(), m.description(), m.source(), m.inputTensor(), m.preprocessing().compact(),
            m.minInputSize(), m.minInputSize(), String.join(", ", m.featureLayers()),
            m.outputTensor(), m.labels(), Files.exists(onnx) ? onnx : "no (argus models import " + m.name() + ")");
      }
      return 0;
    }
  }

  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Print every named tensor of a model: op, shape, bytes and cumulative FLOPs per image.")
  static final class InspectCmd implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "roster name (imported on demand) or path to an .onnx file")
    String model;

    @Option(names = "--input-size", description = "square input size for shapes (default: the roster model's native size)")
    Integer inputSize;

    @Option(names = "--until", paramLabel = "LAYER", description = "inspect only the graph cut from the input to LAYER (e.g. the conv body at a smaller input size)")
    String until;

    @Override
    public Integer call() throws Exception {
      OnnxModel m;
      String input;
      int size;
      if (Roster.names().contains(model)) {
        RosterModel rm = Roster.get(model);
        m = OnnxModel.load(PretrainedModels.onnxFile(model));
        input = rm.inputTensor();
        size = inputSize == null ? rm.preprocessing().height() : inputSize;
      } else {
        Path p = Path.of(model);
        if (!Files.exists(p)) {
          throw new IllegalArgumentException("model '" + model + "' is neither a roster model ("
              + String.join(", ", Roster.names()) + ") nor an existing .onnx file");
        }
        m = OnnxModel.load(p);
        input = m.inputNames().get(0);
        size = inputSize == null ? -1 : inputSize;
      }
      if (until != null) {
        if (!m.tensorNames().contains(until)) {
          throw new IllegalArgumentException("unknown layer '" + until + "' in " + model
              + "; see the tensor column of `argus models inspect " + model + "`");
        }
        m = m.cut(java.util.List.of(input), java.util.List.of(until));
      }
      Map<String, long[]> shapes = size > 0 ? Map.of(input, new long[] {1, size, size, 3}) : Map.of();
      String table;
      try {
        table = m.describe(shapes);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " (at input " + size + "x" + size
            + "; use the native size, or --until a conv-body layer such as out_relu / mixed10)", e);
      }
      System.out.printf("%s: %d nodes, inputs %s, outputs %s, sha256 %s%n", m.sourceName(), m.nodeCount(),
          m.inputNames(), m.outputNames(), m.sha256());
      if (size > 0) {
        System.out.printf("shapes at input %dx%d (N = batch); total %.2f GFLOPs/image%n", size, size,
            m.flopsPerExample(shapes) / 1e9);
      }
      System.out.print(table);
      return 0;
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Provision a roster model (npm nsfwjs@4.4.0 → TF.js layers → ONNX) into the cache.")
  static final class ImportCmd implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "roster name: ${COMPLETION-CANDIDATES}", completionCandidates = DemoCommand.RosterNames.class)
    String model;

    @Override
    public Integer call() throws Exception {
      Roster.get(model);
      Path onnx = PretrainedModels.onnxFile(model);
      OnnxModel m = OnnxModel.load(onnx);
      System.out.printf("%s: %s (%d nodes, sha256 %s)%n", model, onnx, m.nodeCount(), m.sha256());
      return 0;
    }
  }
}
