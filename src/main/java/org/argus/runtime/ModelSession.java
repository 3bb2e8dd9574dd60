package org.argus.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /** One output of a run: values plus shape, batch dimension first. */
  public record Output(String name, float[] values, long[] shape) {
    /** @return floats per example (product of the non-batch dims) */
    public int perExample() {
      long n = 1;
      for (int i = 1; i < shape.length; i++) {
        n *= shape[i];
      }
      return Math.toIntExact(n);
    }
  }

  /**
   * Runs one batch.
   *
   * @param input the graph input's name
   * @param data batch values, {@code float32}, laid out as {@code shape}
   * @param shape batch shape, batch first (e.g. {@code [N, H, W, 3]} or {@code [N, C, H, W]})
   * @param outputs graph outputs to fetch, each returned as a flat {@code float32} copy
   * @return one {@link Output} per requested name, in request order
   * @throws InferenceException when ORT rejects the input or fails (message names the model key,
   *     the input and its shape)
   * @throws IllegalArgumentException for an input or output the graph does not have
   */
  public List<Output> run(String input, float[] data, long[] shape, List<String> outputs)
      throws InferenceException {
    if (!inputNames.contains(input)) {
      throw new IllegalArgumentException(
          "graph " + key + " has no input '" + input + "'; inputs: " + inputNames);
    }
    for (String o : outputs) {
      if (!outputNames.contains(o)) {
        throw new IllegalArgumentException(
            "graph " + key + " has no output '" + o + "'; outputs: " + outputNames);
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        OrtSession.Result r = session.run(Map.of(input, t), new HashSet<>(outputs))) {
      List<Output> result = new ArrayList<>(outputs.size());
      for (String o : outputs) {
        OnnxTensor ot = (OnnxTensor) r.get(o).orElseThrow();
        long[] oshape = ot.getInfo().getShape();
        FloatBuffer fb = ot.getFloatBuffer();
        float[] values = new float[fb.remaining()];
        fb.get(values);
        result.add(new Output(o, values, oshape));
      }
      return result;
    } catch (OrtException e) {
      throw new InferenceException(
          "ONNX Runtime failed on graph "
              + key
              + " with input '"
              + input
              + "' of shape "
              + java.util.Arrays.toString(shape)
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Runs the graph on several float32 inputs at once (e.g. a model with two feature inputs).
   *
   * @param inputs input tensor names, in the order of {@code data} and {@code shapes}
   * @param data one row-major float32 buffer per input, {@code product(shape)} values each
   * @param shapes one shape per input, batch dimension first
   * @param outputs output tensor names to fetch (float32)
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
    for (String in : inputs) {
      if (!inputNames.contains(in)) {
        throw new IllegalArgumentException(
            "graph " + key + " has no input '" + in + "'; inputs: " + inputNames);
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
      for (int i = 0; i < inputs.size(); i++) {
        feed.put(inputs.get(i),
            OnnxTensor.createTensor(env, FloatBuffer.wrap(data.get(i)), shapes.get(i)));
      }
      try (OrtSession.Result r = session.run(feed, new HashSet<>(outputs))) {
        List<Output> result = new ArrayList<>(outputs.size());
        for (String o : outputs) {
          OnnxTensor ot = (OnnxTensor) r.get(o).orElseThrow();
          FloatBuffer fb = ot.getFloatBuffer();
          float[] values = new float[fb.remaining()];
          fb.get(values);
          result.add(new Output(o, values, ot.getInfo().getShape()));
        }
        return result;
      }
    } catch (OrtException e) {
      StringBuilder sh = new StringBuilder();
      for (int i = 0; i < inputs.size(); i++) {
        sh.append(i == 0 ? "" : ", ").append(inputs.get(i)).append(' ')
            .append(java.util.Arrays.toString(shapes.get(i)));
      }
      throw new InferenceException(
          "ONNX Runtime failed on graph " + key + " with inputs " + sh + ": " + e.getMessage(), e);
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
