package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Test utility: runs ONNX models with ONNX Runtime and exposes intermediate tensors. */
final class Ort {
  private Ort() {}

  /**
   * A tensor read back from ORT: its shape, ONNX element type number, and its data if float32
   * (empty otherwise).
   */
  record Tensor(long[] shape, int elemType, float[] data) {}

  /** Seeded uniform [0, 1) float data for a shape. */
  static float[] random(long seed, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    SplittableRandom r = new SplittableRandom(seed);
    float[] f = new float[(int) n];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) r.nextDouble();
    }
    return f;
  }

  /** The same model with {@code tensors} added as (untyped) graph outputs. */
  static ModelProto exposing(ModelProto m, List<String> tensors) {
    ModelProto.Builder b = m.toBuilder();
    var existing = new java.util.HashSet<String>();
    m.getGraph().getOutputList().forEach(o -> existing.add(o.getName()));
    for (String t : tensors) {
      if (!existing.contains(t)) {
        b.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(t));
      }
    }
    return b.build();
  }

  /**
   * Runs {@code model} on one float32 input and returns the requested outputs (they must be graph
   * outputs; see {@link #exposing}).
   */
  static Map<String, Tensor> run(ModelProto model, String input, long[] shape, float[] data,
      List<String> outputs) throws OrtException {
    Map<String, Tensor> result = new LinkedHashMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      try (OrtSession s = env.createSession(model.toByteArray(), opts);
          OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape)) {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put(input, x);
        try (OrtSession.Result r = s.run(in, new LinkedHashSet<>(outputs))) {
          for (String o : outputs) {
            OnnxTensor t = (OnnxTensor) r.get(o).orElseThrow();
            int type = ai.onnx.proto.OnnxMl.TensorProto.DataType.valueOf(
                t.getInfo().onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", ""))
                .getNumber();
            float[] f = new float[0];
            if (type == ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
              FloatBuffer fb = t.getFloatBuffer();
              f = new float[fb.remaining()];
              fb.get(f);
            }
            result.put(o, new Tensor(t.getInfo().getShape(), type, f));
          }
        }
      }
    }
    return result;
  }

  /** Runs the full model exposing {@code tensors}. */
  static Map<String, Tensor> runExposing(ModelProto model, String input, long[] shape,
      float[] data, List<String> tensors) throws OrtException {
    return run(exposing(model, tensors), input, shape, data, tensors);
  }
}
