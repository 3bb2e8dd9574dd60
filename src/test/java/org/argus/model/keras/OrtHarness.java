package org.argus.model.keras;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Test helpers: the reference input formula, ORT runs, layout conversion, fixture reading. */
public final class OrtHarness {
  private OrtHarness() {}

  /** One output: values and ONNX shape. */
  public record Out(float[] data, long[] shape) {}

  /**
   * The input of tools/tfjs-reference/reference.js: {@code x[0,h,w,c] = (float) sin(0.01·(h·W+w) +
   * 0.3·c)}, {@code [1, H, W, C]} NHWC.
   */
  public static float[] input(int h, int w, int c) {
    float[] x = new float[h * w * c];
    for (int y = 0; y < h; y++) {
      for (int xx = 0; xx < w; xx++) {
        for (int k = 0; k < c; k++) {
          x[(y * w + xx) * c + k] = (float) StrictMath.sin(0.01 * (y * w + xx) + 0.3 * k);
        }
      }
    }
    return x;
  }

  /** Runs {@code model} on one NHWC input and returns the named outputs. */
  public static Map<String, Out> run(OnnxMl.ModelProto model, String inputName, float[] x, long[] shape,
      List<String> outputs) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, Out> res = new LinkedHashMap<>();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(2);
      try (OrtSession s = env.createSession(model.toByteArray(), so);
          OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
          OrtSession.Result r = s.run(Map.of(inputName, t), new java.util.LinkedHashSet<>(outputs))) {
        for (String o : outputs) {
          OnnxTensor v = (OnnxTensor) r.get(o).orElseThrow();
          FloatBuffer fb = v.getFloatBuffer();
          float[] a = new float[fb.remaining()];
          fb.get(a);
          res.put(o, new Out(a, v.getInfo().getShape()));
        }
      }
    }
    return res;
  }

  /** {@code [N, C, H, W]} → {@code [N, H, W, C]}; rank-2 data is returned unchanged. */
  public static float[] toNhwc(Out o) {
    if (o.shape().length != 4) {
      return o.data();
    }
    int n = (int) o.shape()[0], c = (int) o.shape()[1], h = (int) o.shape()[2], w = (int) o.shape()[3];
    float[] out = new float[o.data().length];
    for (int b = 0; b < n; b++) {
      for (int k = 0; k < c; k++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            out[((b * h + y) * w + x) * c + k] = o.data()[((b * c + k) * h + y) * w + x];
          }
        }
      }
    }
    return out;
  }

  /** Reads a gzipped little-endian float32 fixture. */
  public static float[] readF32Gz(Path file) throws IOException {
    byte[] b;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      b = in.readAllBytes();
    }
    float[] a = new float[b.length / 4];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
    return a;
  }

  /** @return max|a−b| / max|b| */
  public static double relErr(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("length " + a.length + " vs reference " + b.length);
    }
    double num = 0, den = 0;
    for (int i = 0; i < a.length; i++) {
      num = Math.max(num, Math.abs((double) a[i] - b[i]));
      den = Math.max(den, Math.abs((double) b[i]));
    }
    return den == 0 ? num : num / den;
  }

  /** Parses a JSON file. */
  public static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }

  /** @return the fixture folder {@code src/test/resources/fixtures/tfjs/<name>} on the test classpath */
  public static Path fixture(String name) {
    try {
      return Path.of(OrtHarness.class.getResource("/fixtures/tfjs/" + name).toURI());
    } catch (java.net.URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("fixture " + name + " not on the test classpath", e);
    }
  }
}
