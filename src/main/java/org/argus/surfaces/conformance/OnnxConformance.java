package org.argus.surfaces.conformance;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.execution.inference.Emit;
import org.argus.model.onnx.TensorData;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.argus.surfaces.ml.OnnxTransformer;

/**
 * Runs ONNX backend test cases ({@link BackendCase}) through {@link OnnxTransformer} on Spark and,
 * for comparison, through a plain ONNX Runtime session, and classifies each (see {@link Verdict}).
 * Each case is one DataFrame row whose columns hold the inputs' whole tensors ({@code
 * batchMode=tensor}, {@code inputShapes} = the data set's dims); outputs are compared with the
 * expected ones by {@code |a − e| ≤ atol + rtol·|e|} ({@link #RTOL}, {@link #ATOL}; NaN equals NaN;
 * integers and booleans exactly), the same tolerance for both sides.
 */
public final class OnnxConformance {
  /** Relative tolerance (ONNX's backend tests use 1e-3). */
  public static final double RTOL = 1e-3;
  /** Absolute tolerance (ONNX's backend tests use 1e-7; 1e-4 allows float32 kernels' rounding). */
  public static final double ATOL = 1e-4;

  private OnnxConformance() {}

  /** How a case went. */
  public enum Verdict {
    /** Every output within tolerance. */
    PASS,
    /** Refused before any job, with a reason (Argus) / the session could not be created (raw ORT). */
    REFUSED,
    /** Ran, but an output differs beyond tolerance or has another number of values. */
    MISMATCH,
    /** Failed while running. */
    FAILED,
    /** Raw ONNX Runtime only: the data set holds a type Argus cannot decode, so it was not fed. */
    NOT_FED
  }

  /**
   * @param id the case ({@code suite/name})
   * @param argus how {@link OnnxTransformer} did
   * @param raw how a plain ONNX Runtime session did on the same data
   * @param detail the refusal or failure message, or what differed (first line, ≤ 300 chars)
   */
  public record CaseResult(String id, Verdict argus, Verdict raw, String detail) {}

  /**
   * Runs one case both ways.
   *
   * @param spark the session (local mode: the driver's session cache is evicted after the case)
   * @param c the case
   * @return the verdicts
   */
  public static CaseResult run(SparkSession spark, BackendCase c) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(Files.readAllBytes(c.model()));
    } catch (IOException e) {
      return new CaseResult(c.id(), Verdict.FAILED, Verdict.FAILED, "cannot read the model: " + e.getMessage());
    }
    List<String> names = feedNames(model, c.inputs().size());
    List<TensorData> ins = decodeAll(c.inputs());
    List<TensorData> outs = decodeAll(c.outputs());
    Verdict raw = ins == null || outs == null ? Verdict.NOT_FED : raw(c, names, ins, outs);
    String[] result = argus(spark, c, model, names, ins, outs);
    return new CaseResult(c.id(), Verdict.valueOf(result[0]), raw, clip(result[1]));
  }

  /** @return the graph inputs the data set feeds: the non-initializer inputs, the first {@code k} */
  private static List<String> feedNames(ModelProto m, int k) {
    Set<String> init = new HashSet<>();
    for (TensorProto t : m.getGraph().getInitializerList()) {
      init.add(t.getName());
    }
    List<String> names = m.getGraph().getInputList().stream().map(ValueInfoProto::getName)
        .filter(n -> !init.contains(n)).toList();
    return names.subList(0, Math.min(k, names.size()));
  }

  /** @return the decoded tensors, or null when one is not a tensor of a type Argus supports */
  private static List<TensorData> decodeAll(List<java.nio.file.Path> files) {
    List<TensorData> out = new ArrayList<>();
    for (java.nio.file.Path f : files) {
      try {
        out.add(TensorData.read(f));
      } catch (IOException | RuntimeException e) {
        return null; // not a tensor proto (a sequence, an optional) or a type Argus does not decode
      }
    }
    return out;
  }

  private static Verdict raw(BackendCase c, List<String> names, List<TensorData> ins, List<TensorData> outs) {
    ModelSession s;
    try {
      s = SessionCache.open(c.id(), Files.readAllBytes(c.model()), 1);
    } catch (IOException | InferenceException e) {
      return Verdict.REFUSED;
    }
    try (s) {
      List<ModelSession.Input> feed = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        TensorData t = ins.get(i);
        feed.add(new ModelSession.Input(names.get(i), t.values(), t.type(), t.shape()));
      }
      List<String> outNames = outputNames(c);
      List<ModelSession.Output> got = s.run(feed, outNames);
      for (int j = 0; j < outs.size(); j++) {
        if (differs(got.get(j).data(), outs.get(j).values()) != null) {
          return Verdict.MISMATCH;
        }
      }
      return Verdict.PASS;
    } catch (InferenceException | RuntimeException | ai.onnxruntime.OrtException e) {
      return Verdict.FAILED;
    }
  }

  private static List<String> outputNames(BackendCase c) {
    try {
      return ModelProto.parseFrom(Files.readAllBytes(c.model())).getGraph().getOutputList().stream()
          .map(ValueInfoProto::getName).toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @return {verdict, detail} */
  private static String[] argus(SparkSession spark, BackendCase c, ModelProto m, List<String> names,
      List<TensorData> ins, List<TensorData> outs) {
    StructType schema = new StructType();
    Object[] row = new Object[names.size()];
    String[] cols = new String[names.size()];
    String[] shapes = new String[names.size()];
    for (int i = 0; i < names.size(); i++) {
      cols[i] = "in_" + i;
      TensorData t = ins == null ? null : ins.get(i);
      schema = schema.add(cols[i], DataTypes.createArrayType(t == null ? DataTypes.FloatType : Emit.Tensor.sparkElement(t.type())));
      row[i] = t == null ? new Float[0] : boxed(t.values());
      shapes[i] = Arrays.stream(t != null ? t.shape() : dims(c.inputs().get(i))).mapToObj(Long::toString)
          .collect(Collectors.joining(","));
    }
    List<String> outNames = m.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
    String[] outCols = new String[outNames.size()];
    Arrays.setAll(outCols, j -> "out_" + j);
    OnnxTransformer t = new OnnxTransformer().setModelPath(c.model().toString()).setInputCols(cols)
        .setInputTensors(names.toArray(new String[0])).setInputShapes(shapes).setOutputCols(outCols)
        .setBatchMode("tensor");
    org.apache.spark.sql.Dataset<Row> out;
    try {
      out = t.transform(spark.createDataFrame(List.of(RowFactory.create(row)), schema));
    } catch (IllegalArgumentException e) {
      return new String[] {"REFUSED", e.getMessage()};
    } catch (RuntimeException e) {
      return new String[] {"FAILED", "at transform (no clear refusal): " + e};
    }
    try {
      Row r = out.first();
      if (ins == null || outs == null) {
        return new String[] {"FAILED", "ran, but the runner cannot decode the data set to check it"};
      }
      for (int j = 0; j < outs.size(); j++) {
        String d = differs(r.getList(r.fieldIndex(outCols[j])).toArray(), outs.get(j).values());
        if (d != null) {
          return new String[] {"MISMATCH", "output " + outNames.get(j) + ": " + d};
        }
      }
      return new String[] {"PASS", ""};
    } catch (RuntimeException e) {
      return new String[] {"FAILED", String.valueOf(e.getMessage())};
    } finally {
      SessionCache.evict(sha256(c));
    }
  }

  /** @return the dims of a tensor proto whose values cannot be decoded (strings, bfloat16, …), or none */
  private static long[] dims(java.nio.file.Path pb) {
    try {
      return TensorProto.parseFrom(Files.readAllBytes(pb)).getDimsList().stream().mapToLong(Long::longValue).toArray();
    } catch (IOException | RuntimeException e) {
      return new long[0];
    }
  }

  private static String sha256(BackendCase c) {
    try {
      return org.argus.model.onnx.OnnxModel.load(c.model()).sha256();
    } catch (org.argus.model.ModelFormatException e) {
      return "-";
    }
  }

  private static Object[] boxed(Object array) {
    int n = java.lang.reflect.Array.getLength(array);
    Object[] b = new Object[n];
    for (int i = 0; i < n; i++) {
      b[i] = java.lang.reflect.Array.get(array, i);
    }
    return b;
  }

  /** @return null when {@code got} matches {@code want} within tolerance, else what differs */
  static String differs(Object got, Object want) {
    Object[] g = got instanceof Object[] o ? o : boxed(got);
    Object[] w = boxed(want);
    if (g.length != w.length) {
      return g.length + " values, expected " + w.length;
    }
    for (int i = 0; i < g.length; i++) {
      if (w[i] instanceof Boolean || w[i] instanceof Integer || w[i] instanceof Long) {
        if (!String.valueOf(w[i]).equals(String.valueOf(g[i]))) {
          return "value " + i + " is " + g[i] + ", expected " + w[i];
        }
        continue;
      }
      double a = ((Number) g[i]).doubleValue();
      double e = ((Number) w[i]).doubleValue();
      boolean ok = Double.isNaN(e) ? Double.isNaN(a) : Double.isInfinite(e) ? a == e : Math.abs(a - e) <= ATOL + RTOL * Math.abs(e);
      if (!ok) {
        return "value " + i + " is " + a + ", expected " + e;
      }
    }
    return null;
  }

  private static String clip(String s) {
    String line = s == null ? "" : s.lines().findFirst().orElse("");
    return line.length() <= 300 ? line : line.substring(0, 300) + "…";
  }
}
