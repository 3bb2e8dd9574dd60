package org.argus.surfaces.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One case of ONNX's backend test data (Debian {@code libonnx-testdata}: {@code data/node},
 * {@code data/pytorch-operator}, {@code data/pytorch-converted}, {@code data/simple}): a model and
 * its first data set, {@code test_data_set_0/input_K.pb} and {@code output_K.pb} serialized
 * {@code TensorProto}s (or sequence / optional protos for non-tensor cases).
 *
 * @param suite the suite folder (e.g. {@code node})
 * @param name the case folder (e.g. {@code test_abs})
 * @param model the {@code model.onnx} file
 * @param inputs the input files, in index order
 * @param outputs the expected output files, in index order
 */
public record BackendCase(String suite, String name, Path model, List<Path> inputs, List<Path> outputs) {

  /** Copies the lists. */
  public BackendCase {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** @return {@code suite/name} */
  public String id() {
    return suite + "/" + name;
  }

  /**
   * Lists every case under a test-data root, sorted by suite then name; a case without {@code
   * model.onnx} or {@code test_data_set_0} is left out.
   *
   * @param root the folder holding the suites (e.g. {@code /usr/share/libonnx-testdata/data})
   * @return the cases
   * @throws IOException when the folders cannot be listed
   */
  public static List<BackendCase> list(Path root) throws IOException {
    List<BackendCase> cases = new ArrayList<>();
    for (Path suite : sorted(root)) {
      if (!Files.isDirectory(suite)) {
        continue;
      }
      for (Path dir : sorted(suite)) {
        Path model = dir.resolve("model.onnx");
        Path data = dir.resolve("test_data_set_0");
        if (Files.isRegularFile(model) && Files.isDirectory(data)) {
          cases.add(new BackendCase(suite.getFileName().toString(), dir.getFileName().toString(), model,
              indexed(data, "input_"), indexed(data, "output_")));
        }
      }
    }
    return cases;
  }

  private static List<Path> sorted(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  private static List<Path> indexed(Path data, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(data)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".pb"))
          .sorted(Comparator.comparingInt(p -> Integer.parseInt(
              p.getFileName().toString().substring(prefix.length()).replace(".pb", ""))))
          .toList();
    }
  }
}
