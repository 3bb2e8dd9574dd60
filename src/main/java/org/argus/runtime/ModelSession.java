package org.argus.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.argus.model.onnx.ElementType;

/**
 * One ONNX Runtime session over one graph (usually a cut), shared by all tasks of an executor JVM
 * through {@link SessionCache}. {@link OrtSession#run} is thread-safe, so concurrent tasks call
 * {@link #run} on the same instance. Closed by the cache at JVM shutdown.
 */
public final class ModelSession implements AutoCloseable {
  private final String key;
  private final OrtSession session;
  private final Set<String> inputNames;
  private final Set<String> outputNames;

  ModelSession(String key, OrtSession session) throws OrtException {
    this.key = key;
    this.session = session;
    this.inputNames = new HashSet<>(session.getInputNames());
    this.outputNames = new HashSet<>(session.getOutputNames());
  }

  /**
   * One input of a run.
   *
   * @param name the graph input's name
   * @param values the batch's values, row-major, as the Java array {@link ElementType} names for
   *     {@code type} ({@code float[]} for float and float16, {@code int[]} for int8/uint8/int16/int32,
   *     …), exactly {@code product(shape)} elements
   * @param type the graph input's element type
   * @param shape the batch tensor's shape, batch first when the graph has a batch axis
   */
  public record Input(String name, Object values, ElementType type, long[] shape) {}

  /**
   * One output of a run, batch dimension first.
   *
   * @param name the graph output's name
   * @param data the values as the Java array {@link ElementType} names for {@code type} (float16
   *     converted to {@code float[]}, uint8 to {@code int[]} 0…255)
   * @param type the output's element type
   * @param shape the output's shape
   */
  public record Output(String name, Object data, ElementType type, long[] shape) {
    /**
     * A float32 output.
     *
     * @param name the graph output's name
     * @param values the values
     * @param shape the shape
     */
    public Output(String name, float[] values, long[] shape) {
      this(name, values, ElementType.FLOAT, shape);
    }

    /**
     * @return the values of a float or float16 output
     * @throws IllegalStateException for an output of another type
     */
    public float[] values() {
      if (data instanceof float[] f) {
        return f;
      }
      throw new IllegalStateException("output '" + name + "' has element type " + type.onnxName()
          + ", not float");
    }

    /** @return values per example (product of the non-batch dims) */
    public int perExample() {
      long n = 1;
      for (int i = 1; i < shape.length; i++) {
        n *= shape[i];
      }
      return Math.toIntExact(n);
    }
  }

  /**
   * Runs one float32 batch.
   *
   * @param input the graph input's name
   * @param data batch values, {@code float32}, laid out as {@code shape}
   * @param shape batch shape, batch first (e.g. {@code [N, H, W, 3]} or {@code [N, C, H, W]})
   * @param outputs graph outputs to fetch
   * @return one {@link Output} per requested name, in request order
   * @throws InferenceException when ORT rejects the input or fails (message names the model key,
   *     the input and its shape)
   * @throws IllegalArgumentException for an input or output the graph does not have
   */
  public List<Output> run(String input, float[] data, long[] shape, List<String> outputs)
      throws InferenceException {
    return run(List.of(new Input(input, data, ElementType.FLOAT, shape)), outputs);
  }

  /**
   * Runs the graph on several float32 inputs at once (e.g. a model with two feature inputs).
   *
   * @param inputs input tensor names, in the order of {@code data} and {@code shapes}
   * @param data one row-major float32 buffer per input, {@code product(shape)} values each
   * @param shapes one shape per input, batch dimension first
   * @param outputs output tensor names to fetch
   * @return one {@link Output} per requested output, in the order asked
   * @throws IllegalArgumentException for an unknown input/output name or mismatched list sizes
   * @throws InferenceException when ONNX Runtime rejects the inputs or fails while running
   */
  public List<Output> run(
      List<String> inputs, List<float[]> data, List<long[]> shapes, List<String> outputs)
      throws InferenceException {
    if (inputs.size() != data.size() || inputs.size() != shapes.size()) {
      throw new IllegalArgumentException("graph " + key + ": " + inputs.size() + " input names, "
          + data.size() + " buffers and " + shapes.size() + " shapes; they must match");
    }
    List<Input> in = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      in.add(new Input(inputs.get(i), data.get(i), ElementType.FLOAT, shapes.get(i)));
    }
    return run(in, outputs);
  }

  /**
   * Runs the graph on typed inputs.
   *
   * @param inputs one per graph input fed
   * @param outputs output tensor names to fetch
   * @return one {@link Output} per requested output, in the order asked
   * @throws IllegalArgumentException for an unknown input/output name, or values that are not the
   *     Java array of their type
   * @throws InferenceException when ONNX Runtime rejects the inputs or fails while running, or
   *     returns an output of a type Argus does not read (names the graph, the inputs' shapes and
   *     types)
   */
  public List<Output> run(List<Input> inputs, List<String> outputs) throws InferenceException {
    for (Input in : inputs) {
      if (!inputNames.contains(in.name())) {
        throw new IllegalArgumentException(
            "graph " + key + " has no input '" + in.name() + "'; inputs: " + inputNames);
      }
    }
    for (String o : outputs) {
      if (!outputNames.contains(o)) {
        throw new IllegalArgumentException(
            "graph " + key + " has no output '" + o + "'; outputs: " + outputNames);
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    try {
      for (Input in : inputs) {
        feed.put(in.name(), Tensors.create(env, in));
      }
      try (OrtSession.Result r = session.run(feed, new HashSet<>(outputs))) {
        List<Output> result = new ArrayList<>(outputs.size());
        for (String o : outputs) {
          result.add(Tensors.read(o, (OnnxTensor) r.get(o).orElseThrow()));
        }
        return result;
      }
    } catch (OrtException e) {
      StringBuilder sh = new StringBuilder();
      for (Input in : inputs) {
        sh.append(sh.length() == 0 ? "" : ", ").append(in.name()).append(' ').append(in.type().onnxName())
            .append(java.util.Arrays.toString(in.shape()));
      }
      throw new InferenceException(
          "ONNX Runtime failed on graph " + key + " with input" + (inputs.size() == 1 ? " " : "s ") + sh + ": "
              + e.getMessage(), e);
    } finally {
      for (OnnxTensor t : feed.values()) {
        t.close();
      }
    }
  }

  /** @return input names and their ORT-declared shapes (−1 for symbolic dims) */
  public Map<String, String> describeInputs() {
    Map<String, String> m = new LinkedHashMap<>();
    try {
      session.getInputInfo().forEach((k, v) -> m.put(k, v.getInfo().toString()));
    } catch (OrtException e) {
      m.put("?", e.getMessage());
    }
    return m;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
