package org.argus.surfaces.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.argus.ArgusException;
import org.argus.model.onnx.OnnxModel;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.model.roster.PreprocessingSpec;
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

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the roster: native input, preprocessing per stage, feature layers, cache state.")
  static final class ListCmd implements Callable<Integer> {
    @Override
    public Integer call() {
      for (RosterModel m : Roster.all()) {
        Path onnx = ArgusHome.model(m.name()).resolve("model.onnx");
        System.out.printf("%s%n  %s%n  source: %s%n  input: %s (min %dx%d)%n"
                + "  preprocessing, featurize/transfer/training: %s%n"
                + "  preprocessing, predict (nsfwjs's own): %s%n"
                + "  feature layers: %s%n  head: %s → %s%n  imported: %s%n",
            m.name(), m.description(), m.source(), m.inputTensor(), m.minInputSize(), m.minInputSize(),
            m.preprocessing().compact(), m.predictorPreprocessing().compact(),
            String.join(", ", m.featureLayers()), m.outputTensor(), m.labels(),
            Files.exists(onnx) ? onnx : "no (argus models import " + m.name() + ")");
      }
      System.out.println("Preprocessing is SIZE:ORDER:SCALING:LAYOUT[:RESIZE]; unit = x/255 (how nsfwjs"
          + " fine-tuned and feeds these models; higher transfer accuracy than tf = x/127.5-1 on every"
          + " curated layer, bench/results/scaling.md); resize half_pixel (default) or align_corners"
          + " (TF.js, as nsfwjs). The predictor matches nsfwjs's classify within 1e-3.");
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

    @Option(names = "--preprocessing", description = "for an ONNX file: SIZE:ORDER:SCALING:LAYOUT (default: NHWC RGB at --input-size)")
    String preprocessing;

    @Override
    public Integer call() throws ArgusException {
      boolean roster = Roster.names().contains(model);
      if (!roster && !Files.exists(Path.of(model))) {
        throw new IllegalArgumentException("model '" + model + "' is neither a roster model ("
            + String.join(", ", Roster.names()) + ") nor an existing .onnx file");
      }
      PreprocessingSpec spec = preprocessing != null ? PreprocessingSpec.parse(preprocessing)
          : roster ? null : new PreprocessingSpec(Math.max(1, inputSize == null ? 1 : inputSize),
              Math.max(1, inputSize == null ? 1 : inputSize), PreprocessingSpec.ChannelOrder.RGB,
              PreprocessingSpec.Scaling.NONE, PreprocessingSpec.Layout.NHWC);
      ResolvedModel r = ResolvedModel.resolve(new ModelRef(roster ? model : null, roster ? null : model, spec,
          inputSize == null ? 0 : inputSize), ResolvedModel.LOCAL_FILES);
      int size = inputSize != null ? inputSize : roster ? r.preprocessing().height() : -1;
      OnnxModel m = until == null ? r.graph() : r.cutFromPixels(r.orderLayers(List.of(until))).model();
      Map<String, long[]> shapes = size > 0 ? Map.of(r.pixelInput(), r.preprocessing().batchShape(1)) : Map.of();
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
    public Integer call() throws ArgusException {
      Roster.get(model);
      Path onnx = PretrainedModels.onnxFile(model);
      OnnxModel m = OnnxModel.load(onnx);
      System.out.printf("%s: %s (%d nodes, sha256 %s)%n", model, onnx, m.nodeCount(), m.sha256());
      return 0;
    }
  }
}
